package task

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// # Shared messages: fan-outs that run together share their messages
//
// Every first attempt is a durable task, but it need not be a message of
// its own. A JetStream message costs the server a store, a PubAck, a
// delivery and an ack (four of the six NATS messages a delivery took, and
// about half of its CPU); the tasks of one subscription from several
// events fanned out at the same moment can share one.
//
// EnqueueFanout commits in groups: the first caller publishes what every
// caller that arrived meanwhile wants to enqueue, one message per
// subscription, waits for the PubAcks, and hands the lead to a caller that
// arrived during its round. An idle system sends each task alone, as
// before (no waiting for company: latency is unchanged); a busy one packs
// as many tasks per message as fan-outs ran during the last round.
//
// A shared message's makeup depends on timing, so a re-run fan-out would
// not repeat it: its Nats-Msg-Id (unique per message) only makes a publish
// retried within the round safe. Those re-runs are already marked
// (Task.Rerun) and the worker checks the delivery log before their first
// attempt; a task alone in its message keeps its Nats-Msg-Id.

// wireShared is the first byte of a message that carries several tasks:
// then their count (uvarint) and each task's wire form, uvarint length
// first. Each keeps its traceparent in its own form.
const wireShared = 0x10

// MaxShared bounds the tasks in one shared message.
const MaxShared = 64

// encodeShared lays out several tasks as one message body.
func encodeShared(ts []Task) ([]byte, error) {
	b := make([]byte, 0, 8+len(ts)*128)
	b = append(b, wireShared)
	b = binary.AppendUvarint(b, uint64(len(ts)))
	for _, t := range ts {
		one, err := t.Encode()
		if err != nil {
			return nil, err
		}
		b = binary.AppendUvarint(b, uint64(len(one)))
		b = append(b, one...)
	}
	return b, nil
}

// DecodeAll decodes a DELIVERIES message: one task (DecodeMsg) or the
// tasks of a shared message.
func DecodeAll(data []byte, h nats.Header) ([]Task, error) {
	if len(data) == 0 || data[0] != wireShared {
		t, err := DecodeMsg(data, h)
		if err != nil {
			return nil, err
		}
		return []Task{t}, nil
	}
	r := reader{b: data[1:]}
	n := r.uvarint()
	if r.bad || n < 2 || n > MaxShared {
		return nil, fmt.Errorf("decode shared tasks: %w", errMalformed)
	}
	ts := make([]Task, 0, n)
	for range n {
		size := r.uvarint()
		if r.bad || size > uint64(len(r.b)) {
			return nil, fmt.Errorf("decode shared tasks: %w", errMalformed)
		}
		t, err := Decode(r.bytes(int(size)))
		if err != nil {
			return nil, fmt.Errorf("decode shared tasks: %w", err)
		}
		ts = append(ts, t)
	}
	if len(r.b) != 0 {
		return nil, fmt.Errorf("decode shared tasks: %w", errMalformed)
	}
	return ts, nil
}

// group is EnqueueFanout's state: the calls waiting for the next round and
// whether a round runs.
type group struct {
	mu      sync.Mutex
	waiting []*call
	busy    bool
}

// call is one EnqueueFanout waiting for its tasks to be stored, or for the
// lead.
type call struct {
	ts    []Task
	err   error
	lead  bool
	ready chan struct{} // closed when err is final or when lead is set
}

// EnqueueFanout stores ts durably, sharing messages with the tasks of
// concurrent calls (see "Shared messages" above); it returns once all of
// ts are stored, or an error. Tasks that must keep their Nats-Msg-Id in
// every case (released retries, parked tasks) go through EnqueueAll.
func (q *Queue) EnqueueFanout(ctx context.Context, ts []Task) error {
	if len(ts) == 0 {
		return nil
	}
	c := &call{ts: ts, ready: make(chan struct{})}
	q.group.mu.Lock()
	q.group.waiting = append(q.group.waiting, c)
	if !q.group.busy {
		q.group.busy = true
		c.lead = true
		close(c.ready)
	}
	q.group.mu.Unlock()
	<-c.ready // bounded: a round ends within the ack timeout
	if c.lead {
		// The round stores other callers' tasks too: one caller's
		// cancellation must not fail theirs (the ack timeout bounds it).
		q.round(context.WithoutCancel(ctx))
	}
	return c.err
}

// round stores the tasks of every waiting call, then passes the lead to a
// call that arrived meanwhile (or ends the group's work).
func (q *Queue) round(ctx context.Context) {
	q.group.mu.Lock()
	calls := q.group.waiting
	q.group.waiting = nil
	q.group.mu.Unlock()

	errs := q.publishShared(ctx, calls)
	for i, c := range calls {
		c.err = errs[i]
		if !c.lead {
			close(c.ready)
		}
	}

	q.group.mu.Lock()
	defer q.group.mu.Unlock()
	if len(q.group.waiting) == 0 {
		q.group.busy = false
		return
	}
	next := q.group.waiting[0]
	next.lead = true
	close(next.ready)
}

// shared is one message of a round and the calls whose tasks it carries.
type shared struct {
	ts    []Task
	calls []int
}

// publishShared publishes the tasks of calls, those of one subject
// together (at most MaxShared per message), and returns each call's error.
func (q *Queue) publishShared(ctx context.Context, calls []*call) []error {
	var msgs []*shared
	open := map[string]*shared{} // subject -> message being filled
	for ci, c := range calls {
		for _, t := range c.ts {
			subj := subject(t)
			m := open[subj]
			if m == nil || len(m.ts) == MaxShared {
				m = &shared{}
				open[subj] = m
				msgs = append(msgs, m)
			}
			m.ts = append(m.ts, t)
			if len(m.calls) == 0 || m.calls[len(m.calls)-1] != ci {
				m.calls = append(m.calls, ci)
			}
		}
	}
	errs := make([]error, len(calls))
	var pending []*pub
	for _, m := range msgs {
		nm, err := q.sharedMessage(ctx, m.ts)
		if err != nil {
			m.fail(errs, err)
			continue
		}
		pending = append(pending, &pub{msg: nm, shared: m})
	}
	// A message whose publish failed is published once more, with the same
	// Nats-Msg-Id (a first publish that was stored but not acknowledged is
	// not stored twice), before its callers see an error: they would re-run
	// their whole fan-outs.
	for try := 1; len(pending) > 0 && try <= 2; try++ {
		var failed []*pub
		for from := 0; from < len(pending); from += asyncChunk {
			chunk := pending[from:min(from+asyncChunk, len(pending))]
			nms := make([]*nats.Msg, len(chunk))
			for i, p := range chunk {
				nms[i] = p.msg
			}
			for i, err := range q.publishChunk(ctx, nms) {
				if err != nil {
					chunk[i].err = err
					failed = append(failed, chunk[i])
				}
			}
		}
		pending = failed
	}
	for _, p := range pending {
		p.shared.fail(errs, fmt.Errorf("enqueue %d tasks of %s: %w", len(p.shared.ts), p.shared.ts[0].SubscriptionID, p.err))
	}
	return errs
}

// fail adds err to the errors of m's calls.
func (m *shared) fail(errs []error, err error) {
	for _, ci := range m.calls {
		errs[ci] = errors.Join(errs[ci], err)
	}
}

// pub is one message of a round on its way.
type pub struct {
	msg    *nats.Msg
	shared *shared
	err    error // of the last try
}

// sharedMessage is the message of ts, all of one subject: a single task's
// own message, or a shared one. A shared message gets a Nats-Msg-Id of its
// own, so that publishing it again after a lost acknowledgement stores it
// once.
func (q *Queue) sharedMessage(ctx context.Context, ts []Task) (*nats.Msg, error) {
	if len(ts) == 1 {
		return message(ctx, ts[0])
	}
	b, err := encodeShared(ts)
	if err != nil {
		return nil, err
	}
	m := nats.NewMsg(subject(ts[0]))
	m.Data = b
	m.Header.Set(jetstream.MsgIDHeader, fmt.Sprintf("shared.%s.%d.%016x", ts[0].MsgID(), len(ts), rand.Uint64()))
	return m, nil
}

// subject is the DELIVERIES subject of t.
func subject(t Task) string {
	if t.Later() {
		return RetrySubjectPrefix + t.SubscriptionID
	}
	return SubjectPrefix + t.SubscriptionID
}
