package task

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
)

// The wire form is binary: a version byte, then the fields in order, each
// string as a uvarint length and its bytes, each number as a varint. It is
// a third the size of the JSON form and costs no reflection; encoding/json
// was the dispatcher's largest CPU cost per task. Tasks written as JSON by
// earlier versions (they may wait in Redis for days) still decode.
const wireV1 = 0x01

// Encode is the task's wire form.
func (t Task) Encode() ([]byte, error) {
	b := make([]byte, 0, 24+len(t.DeliveryID)+len(t.SubscriptionID)+len(t.EventID)+len(t.Trigger)+len(t.Run)+len(t.TP))
	b = append(b, wireV1)
	for _, s := range [...]string{t.DeliveryID, t.SubscriptionID, t.EventID, string(t.Trigger), t.Run, t.TP} {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	b = binary.AppendUvarint(b, t.EventSeq)
	b = binary.AppendVarint(b, int64(t.Step))
	b = binary.AppendVarint(b, t.Parked)
	var flags byte
	if t.Rerun {
		flags |= 1
	}
	return append(b, flags), nil
}

// Decode parses a task's wire form (or the JSON form of earlier versions)
// and checks the fields a worker needs.
func Decode(b []byte) (Task, error) {
	var t Task
	var err error
	if len(b) > 0 && b[0] == '{' {
		err = json.Unmarshal(b, &t)
	} else {
		t, err = decodeV1(b)
	}
	if err != nil {
		return Task{}, fmt.Errorf("decode task: %w", err)
	}
	if t.DeliveryID == "" || t.SubscriptionID == "" || t.EventID == "" || t.EventSeq == 0 {
		return Task{}, fmt.Errorf("decode task: missing delivery, subscription, event id or sequence in %q", b)
	}
	switch t.Trigger {
	case Scheduled, Redeliver, Replay:
	default:
		return Task{}, fmt.Errorf("decode task %s: unknown trigger %q", t.DeliveryID, t.Trigger)
	}
	return t, nil
}

var errMalformed = errors.New("malformed binary task")

func decodeV1(b []byte) (Task, error) {
	if len(b) == 0 || b[0] != wireV1 {
		return Task{}, errMalformed
	}
	b = b[1:]
	var strs [6]string
	for i := range strs {
		n, k := binary.Uvarint(b)
		if k <= 0 || uint64(len(b)-k) < n {
			return Task{}, errMalformed
		}
		strs[i] = string(b[k : k+int(n)])
		b = b[k+int(n):]
	}
	seq, k := binary.Uvarint(b)
	if k <= 0 {
		return Task{}, errMalformed
	}
	b = b[k:]
	step, k := binary.Varint(b)
	if k <= 0 || step < 0 || step > 1<<20 {
		return Task{}, errMalformed
	}
	b = b[k:]
	parked, k := binary.Varint(b)
	if k <= 0 || len(b) != k+1 || b[k] > 1 {
		return Task{}, errMalformed
	}
	return Task{
		DeliveryID: strs[0], SubscriptionID: strs[1], EventID: strs[2], Trigger: Trigger(strs[3]), Run: strs[4], TP: strs[5],
		EventSeq: seq, Step: int(step), Parked: parked, Rerun: b[k] == 1,
	}, nil
}
