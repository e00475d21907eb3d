package task

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/hookwire/hookwire/services/dispatcher/deliverylog"
)

// The wire form is binary: a version byte, a flags byte, then the fields,
// each string as a uvarint length and its bytes, each number as a varint.
// It costs no reflection (encoding/json was the dispatcher's largest CPU
// cost per task), and every retry waiting in Redis is one such form, so its
// size is the retry backlog's memory. It leaves out or packs what it can:
// the usual delivery id, deliverylog.ID(subscription, scope, event), is
// the subscription id and the 12 bytes of the event key its hex spells
// (the event's scope is not carried: the key already holds it); a
// registry subscription id, "sub_" and a ULID, is the ULID's 16 bytes
// rather than 30 characters; the trigger is one byte; a W3C traceparent is
// its 25 bytes rather than 55 characters.
// There is one form: the repository has had no release, so no task in any
// Redis was written in another.
const wireVersion = 0x03

// Flags of the wire form.
const (
	flagRerun     = 1 << iota
	flagOwnID     // the delivery id is spelled out: it is not <subscription id>_<event key>
	flagBinaryTP  // TP is 25 bytes: trace id, span id, flags of a version 00 traceparent
	flagULIDSub   // the subscription id is 16 bytes: the ULID of "sub_<ULID>"
	flagsKnown    = flagRerun | flagOwnID | flagBinaryTP | flagULIDSub
	binaryTPBytes = 16 + 8 + 1
	eventKeyBytes = deliverylog.EventKeyLen / 2
)

// triggers are the trigger codes (their index).
var triggers = [...]Trigger{Scheduled, Redeliver, Replay}

// Encode is the task's wire form.
func (t Task) Encode() ([]byte, error) {
	code := slices.Index(triggers[:], t.Trigger)
	if code < 0 {
		return nil, fmt.Errorf("encode task %s: unknown trigger %q", t.DeliveryID, t.Trigger)
	}
	var flags byte
	if t.Rerun {
		flags |= flagRerun
	}
	key, usual := packEventKey(t.DeliveryID, t.SubscriptionID)
	if !usual {
		flags |= flagOwnID
	}
	tp, binTP := packTraceparent(t.TP)
	if binTP {
		flags |= flagBinaryTP
	}
	ulid, ulidSub := packSubscriptionID(t.SubscriptionID)
	if ulidSub {
		flags |= flagULIDSub
	}
	b := make([]byte, 0, 48+len(t.SubscriptionID)+len(t.EventID)+len(t.Run)+len(t.TP))
	b = append(b, wireVersion, flags)
	if ulidSub {
		b = append(b, ulid[:]...)
	} else {
		b = appendString(b, t.SubscriptionID)
	}
	b = appendString(b, t.EventID)
	if usual {
		b = append(b, key[:]...)
	} else {
		b = appendString(b, t.DeliveryID)
	}
	b = append(b, byte(code))
	b = appendString(b, t.Run)
	if binTP {
		b = append(b, tp[:]...)
	} else {
		b = appendString(b, t.TP)
	}
	b = binary.AppendUvarint(b, t.EventSeq)
	b = binary.AppendVarint(b, int64(t.Step))
	return binary.AppendVarint(b, t.Parked), nil
}

// packEventKey is the event key of id as bytes, if id is the usual form
// of a delivery id of subscription sub: sub + "_" + 24 lowercase hex.
func packEventKey(id, sub string) (out [eventKeyBytes]byte, ok bool) {
	if len(id) != len(sub)+1+deliverylog.EventKeyLen || id[:len(sub)] != sub || id[len(sub)] != '_' {
		return out, false
	}
	hx := id[len(sub)+1:]
	if strings.ToLower(hx) != hx {
		return out, false
	}
	if _, err := hex.Decode(out[:], []byte(hx)); err != nil {
		return out, false
	}
	return out, true
}

// subPrefix starts the registry's subscription ids (registry.IDPrefix).
const subPrefix = "sub_"

// crockford is the ULID alphabet (Crockford's base32, upper case).
const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// packSubscriptionID is the 128 bits of the ULID of id, if id is "sub_"
// and a canonical ULID: 26 upper-case Crockford characters, the first at
// most 7 (130 bits of which the top two are zero). Anything else (a
// lower-case ULID, an id from elsewhere) is kept as text, so that decoding
// gives back the very id.
func packSubscriptionID(id string) (out [16]byte, ok bool) {
	u, found := strings.CutPrefix(id, subPrefix)
	if !found || len(u) != 26 || u[0] > '7' {
		return out, false
	}
	var hi, lo uint64 // the 130-bit number, hi holding its top 66 bits' low 64 (the top 2 are 0)
	for i := range 26 {
		v := strings.IndexByte(crockford, u[i])
		if v < 0 {
			return out, false
		}
		hi = hi<<5 | lo>>59
		lo = lo<<5 | uint64(v)
	}
	binary.BigEndian.PutUint64(out[:8], hi)
	binary.BigEndian.PutUint64(out[8:], lo)
	return out, true
}

// unpackSubscriptionID is the id of a packSubscriptionID form.
func unpackSubscriptionID(b []byte) string {
	hi, lo := binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:])
	var u [26]byte
	for i := 25; i >= 0; i-- {
		u[i] = crockford[lo&31]
		lo = lo>>5 | hi<<59
		hi >>= 5
	}
	return subPrefix + string(u[:])
}

func appendString(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

// packTraceparent is tp's binary form, if tp is a well-formed version 00
// W3C traceparent in lowercase hex (what OpenTelemetry writes); anything
// else is kept as text.
func packTraceparent(tp string) (out [binaryTPBytes]byte, ok bool) {
	// 00-<32 hex trace id>-<16 hex span id>-<2 hex flags>
	if len(tp) != 55 || tp[:3] != "00-" || tp[35] != '-' || tp[52] != '-' {
		return out, false
	}
	for _, part := range [...]struct{ from, to, at int }{{3, 35, 0}, {36, 52, 16}, {53, 55, 24}} {
		hx := tp[part.from:part.to]
		if strings.ToLower(hx) != hx {
			return out, false
		}
		if _, err := hex.Decode(out[part.at:], []byte(hx)); err != nil {
			return out, false
		}
	}
	return out, true
}

// unpackTraceparent is the text of a packTraceparent form.
func unpackTraceparent(b []byte) string {
	out := make([]byte, 0, 55)
	out = append(out, "00-"...)
	out = hex.AppendEncode(out, b[:16])
	out = append(out, '-')
	out = hex.AppendEncode(out, b[16:24])
	out = append(out, '-')
	out = hex.AppendEncode(out, b[24:25])
	return string(out)
}

// Decode parses a task's wire form and checks the fields a worker needs.
func Decode(b []byte) (Task, error) {
	t, err := decode(b)
	if err != nil {
		return Task{}, fmt.Errorf("decode task: %w", err)
	}
	if t.DeliveryID == "" || t.SubscriptionID == "" || t.EventID == "" || t.EventSeq == 0 {
		return Task{}, fmt.Errorf("decode task: missing delivery, subscription, event id or sequence in %q", b)
	}
	return t, nil
}

var errMalformed = errors.New("malformed binary task")

// reader takes fields off the front of a wire form; the first malformed
// field sets bad and every later read returns zero values.
type reader struct {
	b   []byte
	bad bool
}

func (r *reader) string() string {
	n, k := binary.Uvarint(r.b)
	if r.bad || k <= 0 || uint64(len(r.b)-k) < n {
		r.bad = true
		return ""
	}
	s := string(r.b[k : k+int(n)])
	r.b = r.b[k+int(n):]
	return s
}

func (r *reader) bytes(n int) []byte {
	if r.bad || len(r.b) < n {
		r.bad = true
		return nil
	}
	out := r.b[:n]
	r.b = r.b[n:]
	return out
}

func (r *reader) uvarint() uint64 {
	v, k := binary.Uvarint(r.b)
	if r.bad || k <= 0 {
		r.bad = true
		return 0
	}
	r.b = r.b[k:]
	return v
}

func (r *reader) varint() int64 {
	v, k := binary.Varint(r.b)
	if r.bad || k <= 0 {
		r.bad = true
		return 0
	}
	r.b = r.b[k:]
	return v
}

func decode(b []byte) (Task, error) {
	if len(b) < 2 || b[0] != wireVersion || b[1]&^flagsKnown != 0 {
		return Task{}, errMalformed
	}
	flags := b[1]
	r := reader{b: b[2:]}
	var t Task
	if flags&flagULIDSub != 0 {
		if u := r.bytes(16); u != nil {
			t.SubscriptionID = unpackSubscriptionID(u)
		}
	} else {
		t.SubscriptionID = r.string()
	}
	t.EventID, t.Rerun = r.string(), flags&flagRerun != 0
	if flags&flagOwnID != 0 {
		t.DeliveryID = r.string()
	} else if key := r.bytes(eventKeyBytes); key != nil {
		id := make([]byte, 0, len(t.SubscriptionID)+1+deliverylog.EventKeyLen)
		id = append(id, t.SubscriptionID...)
		id = append(id, '_')
		t.DeliveryID = string(hex.AppendEncode(id, key))
	}
	if code := r.bytes(1); code != nil {
		if int(code[0]) >= len(triggers) {
			return Task{}, errMalformed
		}
		t.Trigger = triggers[code[0]]
	}
	t.Run = r.string()
	if flags&flagBinaryTP != 0 {
		if tp := r.bytes(binaryTPBytes); tp != nil {
			t.TP = unpackTraceparent(tp)
		}
	} else {
		t.TP = r.string()
	}
	t.EventSeq = r.uvarint()
	step := r.varint()
	t.Parked = r.varint()
	if r.bad || len(r.b) != 0 || step < 0 || step > 1<<20 {
		return Task{}, errMalformed
	}
	t.Step = int(step)
	return t, nil
}
