package task

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookwire/hookwire/pkg/bus"
	"github.com/hookwire/hookwire/pkg/telemetry"
)

// Stream and subjects of the delivery queue.
const (
	Stream = "DELIVERIES"
	// SubjectPrefix + subscription ID is the subject of that subscription's
	// first attempts.
	SubjectPrefix = "hookwire.deliveries."
	// RetrySubjectPrefix + subscription ID is the subject of its Later tasks
	// (retries, replays, released tasks); another consumer reads them.
	RetrySubjectPrefix = "hookwire.retries."
)

// QueueConfig configures the DELIVERIES stream.
type QueueConfig struct {
	Replicas int           // 1 on a single server, 3 in a cluster
	Dedup    time.Duration // duplicate window for MsgID; zero means 2m
	// AckTimeout bounds the wait for JetStream's acknowledgement of a
	// publish (HOOKWIRE_PUBLISH_ACK_TIMEOUT); zero means DefaultAckTimeout.
	// An unacknowledged enqueue returns an error instead of waiting for ever,
	// so the message that caused it is redelivered.
	AckTimeout time.Duration
}

// DefaultAckTimeout is QueueConfig.AckTimeout's default.
const DefaultAckTimeout = 10 * time.Second

// StreamConfig is the DELIVERIES stream: a work queue (a task is removed
// once a worker acks it), file storage, and a duplicate window so that a
// re-run fan-out or retry publish creates no second task. First attempts
// and Later tasks have subjects of their own, read by separate consumers.
func StreamConfig(cfg QueueConfig) jetstream.StreamConfig {
	dup := cfg.Dedup
	if dup <= 0 {
		dup = 2 * time.Minute
	}
	return jetstream.StreamConfig{
		Name:        Stream,
		Description: "Hookwire delivery tasks",
		Subjects:    []string{SubjectPrefix + ">", RetrySubjectPrefix + ">"},
		Retention:   jetstream.WorkQueuePolicy,
		Storage:     jetstream.FileStorage,
		Replicas:    max(cfg.Replicas, 1),
		Duplicates:  dup,
	}
}

// Queue publishes tasks to DELIVERIES. It is safe for concurrent use.
type Queue struct {
	js      jetstream.JetStream // publishes, with the async ack timeout
	stream  jetstream.Stream
	timeout time.Duration
	group   group // EnqueueFanout's rounds
}

// OpenQueue creates or updates the DELIVERIES stream. Tasks are published
// through a JetStream context of their own over js's connection, whose
// asynchronous publishes time out after cfg.AckTimeout (a publish that is
// never acknowledged is otherwise pending in the client for ever).
func OpenQueue(ctx context.Context, js jetstream.JetStream, cfg QueueConfig) (*Queue, error) {
	s, err := bus.EnsureStream(ctx, js, StreamConfig(cfg))
	if err != nil {
		return nil, fmt.Errorf("open stream %s: %w", Stream, err)
	}
	timeout := cfg.AckTimeout
	if timeout <= 0 {
		timeout = DefaultAckTimeout
	}
	pub, err := jetstream.New(js.Conn(), jetstream.WithPublishAsyncTimeout(timeout))
	if err != nil {
		return nil, fmt.Errorf("open stream %s: %w", Stream, err)
	}
	return &Queue{js: pub, stream: s, timeout: timeout}, nil
}

// Stream is the DELIVERIES stream, for consumers.
func (q *Queue) Stream() jetstream.Stream { return q.stream }

// Enqueue stores t durably; it returns after JetStream acknowledged.
func (q *Queue) Enqueue(ctx context.Context, t Task) error {
	m, err := message(ctx, t)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, q.timeout)
	defer cancel()
	if _, err := q.js.PublishMsg(ctx, m); err != nil {
		return fmt.Errorf("enqueue task %s: %w", t.MsgID(), err)
	}
	return nil
}

// asyncChunk bounds the publishes in flight per EnqueueAll wait, below
// the client's async pending limit (4000 by default).
const asyncChunk = 1024

// EnqueueAll stores every task, publishing a chunk of them before waiting
// for the acknowledgements; it returns once all are durable, or a
// *NotStored error saying which were (it stops after the first chunk with
// a failure: later tasks are not tried).
func (q *Queue) EnqueueAll(ctx context.Context, ts []Task) error {
	if len(ts) == 1 {
		if err := q.Enqueue(ctx, ts[0]); err != nil {
			return &NotStored{Stored: []bool{false}, errs: []error{err}}
		}
		return nil
	}
	stored := make([]bool, len(ts))
	for off := 0; off < len(ts); off += asyncChunk {
		chunk := ts[off:min(len(ts), off+asyncChunk)]
		msgs := make([]*nats.Msg, len(chunk))
		for i, t := range chunk {
			m, err := message(ctx, t)
			if err != nil {
				return &NotStored{Stored: stored, errs: []error{err}}
			}
			msgs[i] = m
		}
		var errs []error
		for i, err := range q.publishChunk(ctx, msgs) {
			if err != nil {
				errs = append(errs, fmt.Errorf("enqueue task %s: %w", chunk[i].MsgID(), err))
			} else {
				stored[off+i] = true
			}
		}
		if len(errs) > 0 {
			return &NotStored{Stored: stored, errs: errs}
		}
	}
	return nil
}

// NotStored is EnqueueAll's error: Stored[i] says whether task i is
// durable. The caller may drop what is stored from wherever it kept it.
type NotStored struct {
	Stored []bool
	errs   []error // of the tasks tried and not stored (later ones were not tried)
}

func (e *NotStored) Error() string {
	n := 0
	for _, ok := range e.Stored {
		if !ok {
			n++
		}
	}
	return fmt.Sprintf("%d of %d tasks not stored: %v", n, len(e.Stored), e.errs[0])
}

func (e *NotStored) Unwrap() []error { return e.errs }

// InProcessOnly reports whether every task tried and not stored failed
// only because a publish of the same Nats-Msg-Id was in process at the
// same moment (JetStream's 10158, on a cluster): another replica releasing
// the same Redis members. That twin stores it, or fails and leaves the
// member for the next round, so it is no failure worth a log line — as
// long as the caller keeps the members that are not Stored.
func (e *NotStored) InProcessOnly() bool {
	for _, err := range e.errs {
		if !InProcess(err) {
			return false
		}
	}
	return len(e.errs) > 0
}

// codeMsgIDInProcess is nats-server's JSStreamDuplicateMessageConflict:
// "duplicate message id is in process".
const codeMsgIDInProcess jetstream.ErrorCode = 10158

// InProcess reports whether err is JetStream's "duplicate message id is in
// process".
func InProcess(err error) bool {
	var api *jetstream.APIError
	return errors.As(err, &api) && api.ErrorCode == codeMsgIDInProcess
}

// publishChunk publishes msgs (at most asyncChunk) and returns each one's
// error, nil once stored. Every wait is bounded: the client fails a future
// after q.timeout, a timer a second later (or the end of ctx) fails what is
// left.
func (q *Queue) publishChunk(ctx context.Context, msgs []*nats.Msg) []error {
	errs := make([]error, len(msgs))
	futures := make([]jetstream.PubAckFuture, len(msgs))
	for i, m := range msgs {
		futures[i], errs[i] = q.js.PublishMsgAsync(m)
	}
	wait := time.NewTimer(q.timeout + time.Second)
	defer wait.Stop()
	var late error // why the wait ended early: later futures get no more time
	for i, f := range futures {
		if errs[i] != nil {
			continue
		}
		if late != nil {
			select {
			case <-f.Ok():
			default:
				errs[i] = late
			}
			continue
		}
		select {
		case <-f.Ok():
		case err := <-f.Err():
			errs[i] = err
		case <-ctx.Done():
			late, errs[i] = ctx.Err(), ctx.Err()
		case <-wait.C:
			late = fmt.Errorf("no acknowledgement within %s", q.timeout)
			errs[i] = late
		}
	}
	return errs
}

// message lays t out as its queue message. Its trace context goes in the
// traceparent header: t.TP, or the span of ctx for a task without one (a
// Redeliver or Replay call's).
func message(ctx context.Context, t Task) (*nats.Msg, error) {
	tp := t.TP
	t.TP = ""
	b, err := t.Encode()
	if err != nil {
		return nil, err
	}
	m := nats.NewMsg(subject(t))
	m.Data = b
	m.Header.Set(jetstream.MsgIDHeader, t.MsgID())
	if tp != "" {
		m.Header[traceHeader] = []string{tp}
	} else {
		telemetry.Inject(ctx, m)
	}
	return m, nil
}
