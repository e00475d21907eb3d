// Package fanout turns each accepted event into one delivery task per
// matching subscription. It consumes EVENTS with the durable consumer
// "fanout"; for each event it drops a repeat of an event (scope, event_id)
// seen in an earlier message (Redis dedup, beyond the broker's window), asks the match
// index which subscriptions want it — paused and suspended ones too: their
// workers park the tasks until Resume — enqueues their tasks and waits
// until all are durable, and only then acks the event. Re-running a
// fan-out after a crash is harmless: a task's Nats-Msg-Id is derived from
// (subscription, event, step), so the queue stores it once — within its
// duplicate window. A fan-out that may run after that window (a redelivered
// EVENTS message, or one older than half the window) marks its tasks
// Rerun, and the worker checks the delivery log before sending them.
package fanout

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/hookwire/hookwire/pkg/bus"
	"github.com/hookwire/hookwire/pkg/subscription"
	"github.com/hookwire/hookwire/pkg/telemetry"
	"github.com/hookwire/hookwire/services/dispatcher/deliverylog"
	"github.com/hookwire/hookwire/services/dispatcher/task"
)

// Consumer is the durable consumer name on EVENTS.
const Consumer = "fanout"

// Matcher finds the subscriptions that want an event, whatever their
// status (match.Index.MatchAny).
type Matcher interface {
	MatchAny(m bus.Meta, fn func(*subscription.Record) bool)
}

// Deduper claims an event, (scope, event_id), for one EVENTS message
// (dedup.Filter).
type Deduper interface {
	First(ctx context.Context, scope, eventID string, seq uint64) (bool, error)
}

// Enqueuer stores tasks durably (task.Queue).
type Enqueuer interface {
	EnqueueFanout(ctx context.Context, ts []task.Task) error
}

// Fanout handles EVENTS messages; it is safe for concurrent use.
type Fanout struct {
	tracer trace.Tracer
	match  Matcher
	dedup  Deduper
	queue  Enqueuer
	log    *slog.Logger
	// throttle: a Redis or JetStream outage fails every event; one line
	// per interval, then "recovered".
	throttle *telemetry.Throttle
	opts     Options
	width    atomic.Int32 // tasks of the last fan-out, up to maxWidthHint
}

// maxWidthHint bounds the task slice a fan-out reserves from the last one's
// width (one allocation, not a doubling per match, when events match alike).
const maxWidthHint = 64

// Options tune a Fanout.
type Options struct {
	// ErrorDelay is how long an event waits after an infrastructure failure
	// before it is fanned out again; default 1s.
	ErrorDelay time.Duration
	// DuplicateWindow is the DELIVERIES queue's; default 2m. Events older
	// than half of it get Rerun tasks.
	DuplicateWindow time.Duration
	// Now is the wall clock compared with JetStream's timestamps; default
	// time.Now.
	Now func() time.Time
	// Seen, when set, is given each event that has tasks, just before they
	// are enqueued (worker.Worker.Remember: the event's deliveries then
	// need not read it back from EVENTS).
	Seen func(seq uint64, accepted time.Time, meta bus.Meta, body []byte, traceparent string)
}

// New returns a Fanout.
func New(m Matcher, d Deduper, q Enqueuer, log *slog.Logger, opts Options) *Fanout {
	if opts.ErrorDelay <= 0 {
		opts.ErrorDelay = time.Second
	}
	if opts.DuplicateWindow <= 0 {
		opts.DuplicateWindow = 2 * time.Minute
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Fanout{tracer: otel.Tracer(instrumentation), match: m, dedup: d, queue: q, log: log, opts: opts,
		throttle: telemetry.NewThrottle(log, telemetry.ThrottleInterval)}
}

// ConsumerConfig is the durable consumer on EVENTS.
func ConsumerConfig(ackWait time.Duration, maxAckPending int) jetstream.ConsumerConfig {
	return jetstream.ConsumerConfig{
		Durable:       Consumer,
		Description:   "Hookwire fan-out: event -> delivery tasks",
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       ackWait,
		MaxAckPending: maxAckPending,
		MaxDeliver:    -1,
		DeliverPolicy: jetstream.DeliverAllPolicy,
	}
}

// Handle fans one EVENTS message out and settles it.
func (f *Fanout) Handle(ctx context.Context, msg jetstream.Msg) {
	meta, err := bus.ReadMeta(msg.Headers())
	if err != nil {
		f.log.Error("terminating malformed event message", "subject", msg.Subject(), "err", err)
		_ = msg.Term()
		return
	}
	md, err := msg.Metadata()
	if err != nil {
		f.log.Error("terminating event message without metadata", "event_id", meta.ID, "err", err)
		_ = msg.Term()
		return
	}
	rerun := md.NumDelivered > 1 || f.opts.Now().Sub(md.Timestamp) > f.opts.DuplicateWindow/2
	ctx, span := f.trace(ctx, msg, meta, rerun)
	defer span.End()
	n, err := f.fanOut(ctx, msg, meta, md, rerun)
	span.SetAttributes(attrMatched.Int(max(n, 0)), attrRepeat.Bool(n < 0))
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, "fan-out failed")
		if ctx.Err() != nil {
			_ = msg.Nak()
			return
		}
		f.throttle.Fail(ctx, "fan-out failed, will retry", err, "event_id", meta.ID)
		_ = msg.NakWithDelay(f.opts.ErrorDelay)
		return
	}
	f.throttle.OK(ctx, "fan-out failed, will retry")
	if n >= 0 {
		f.log.Debug("event fanned out", "event_id", meta.ID, "tasks", n)
	}
	_ = msg.Ack()
}

// fanOut enqueues the tasks of one event and returns how many; -1 means
// the event was a repeat and was skipped.
func (f *Fanout) fanOut(ctx context.Context, msg jetstream.Msg, meta bus.Meta, md *jetstream.MsgMetadata, rerun bool) (int, error) {
	seq := md.Sequence.Stream
	first, err := f.dedup.First(ctx, meta.Scope, meta.ID, seq)
	if err != nil {
		return 0, err
	}
	if !first {
		f.log.Info("skipping repeated event", "event_id", meta.ID, "scope", meta.Scope, "sequence", seq)
		return -1, nil
	}
	ts := make([]task.Task, 0, f.width.Load())
	tp := task.TraceParent(ctx) // the attempts are children of the fan-out
	// The index applies match.PatternWants: no operational event to a bare "*".
	f.match.MatchAny(meta, func(rec *subscription.Record) bool {
		ts = append(ts, task.Task{
			DeliveryID:     deliverylog.ID(rec.ID, meta.Scope, meta.ID),
			SubscriptionID: rec.ID,
			EventID:        meta.ID,
			EventSeq:       seq,
			Trigger:        task.Scheduled,
			Rerun:          rerun,
			TP:             tp,
		})
		return true
	})
	f.width.Store(int32(min(len(ts), maxWidthHint)))
	if len(ts) == 0 {
		return 0, nil
	}
	if f.opts.Seen != nil {
		f.opts.Seen(seq, md.Timestamp, meta, msg.Data(), msg.Headers().Get("traceparent"))
	}
	return len(ts), f.queue.EnqueueFanout(ctx, ts)
}
