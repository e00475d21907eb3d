// Package worker makes delivery attempts: for each task of the DELIVERIES
// queue it finds the subscription and the event, sends one signed POST,
// records the attempt in the delivery log, and acts on the outcome as
// Decide says (ack, schedule a retry, give up, or park).
package worker

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookwire/hookwire/pkg/bus"
	"github.com/hookwire/hookwire/pkg/deliver"
	"github.com/hookwire/hookwire/pkg/subscription"
	"github.com/hookwire/hookwire/services/dispatcher/clock"
	"github.com/hookwire/hookwire/services/dispatcher/deliverylog"
	"github.com/hookwire/hookwire/services/dispatcher/task"
)

// Index finds subscriptions (match.Index).
type Index interface {
	Get(id string) (*subscription.Record, bool)
}

// Events reads stored events by sequence (the EVENTS jetstream.Stream).
type Events interface {
	GetMsg(ctx context.Context, seq uint64, opts ...jetstream.GetMsgOpt) (*jetstream.RawStreamMsg, error)
	// Info is the stream leader's state: whether a sequence a replica did
	// not find is still stored.
	Info(ctx context.Context, opts ...jetstream.StreamInfoOpt) (*jetstream.StreamInfo, error)
}

// Sender makes one HTTP attempt (deliver.Client).
type Sender interface {
	Send(ctx context.Context, r deliver.Request) deliver.Result
}

// Recorder is the delivery log (deliverylog.Store).
type Recorder interface {
	Get(ctx context.Context, id string) (deliverylog.Delivery, error)
	RecordAttempt(ctx context.Context, d deliverylog.Delivery, a deliverylog.Attempt, state deliverylog.State, next time.Time) (deliverylog.Delivery, error)
	SetState(ctx context.Context, id string, state deliverylog.State, next time.Time) (deliverylog.Delivery, error)
	Hold(ctx context.Context, d deliverylog.Delivery, reason deliverylog.HoldReason) (deliverylog.Delivery, error)
}

// Scheduler holds retries until due (retry.Scheduler).
type Scheduler interface {
	Schedule(ctx context.Context, t task.Task, due time.Time) error
}

// Parker sets tasks of resting subscriptions aside (park.Lot).
type Parker interface {
	Park(ctx context.Context, t task.Task) error
}

// Suspender suspends a subscription whose endpoint is gone or keeps
// failing.
type Suspender interface {
	Suspend(ctx context.Context, s Suspension) error
}

// Suspension is a suspension the worker decided and the attempt that
// decided it (for the one log line that reports it).
type Suspension struct {
	SubscriptionID string
	Reason         string
	DeliveryID     string // the delivery whose attempt decided it
	Attempts       int    // that delivery's attempts so far
	LastStatus     int    // its last HTTP status; 0: no response
	LastError      string // its last failure in a few words
}

// Streaks counts exhausted deliveries in a row (streak.Counter).
type Streaks interface {
	Fail(ctx context.Context, subID string) (int64, error)
	Succeeded(ctx context.Context, subID string) error
}

// Announcer publishes operational events (ops.Publisher).
type Announcer interface {
	Publish(ctx context.Context, ev bus.Event) error
}

// Opener opens sealed secrets for their place (seal.Box).
type Opener interface {
	Open(sealed, place string) ([]byte, error)
}

// Deps are the worker's collaborators; all are required.
type Deps struct {
	Index     Index
	Events    Events
	Sender    Sender
	Log       Recorder
	Retries   Scheduler
	Parking   Parker
	Suspender Suspender
	Streaks   Streaks
	Announcer Announcer
	Box       Opener
	Clock     clock.Clock
	Logger    *slog.Logger
	// Wake asks for the release of subID's parked tasks; the worker calls
	// it when a subscription became active (or was deleted) while it was
	// parking a task, so that task is not left behind.
	Wake func(subID string)
}

// Options tune the worker.
type Options struct {
	// Timeout of an attempt when the subscription sets none.
	Timeout time.Duration
	// Jitter is the largest extra fraction of a retry delay added at
	// random (0.1: up to +10 %); 0 in tests.
	Jitter float64
	// ErrorDelay is how long a task waits after an infrastructure error
	// (Redis, NATS) before it is tried again.
	ErrorDelay time.Duration
	// CacheBytes bounds the memory of the events kept for the tasks of one
	// fan-out: their bodies, strings and entries (default 32 MiB).
	CacheBytes int
	// SuspendAfter is how many deliveries in a row may end FAILED before
	// the subscription is suspended; 0 never suspends for that.
	SuspendAfter int
}

// Worker handles delivery tasks; it is safe for concurrent use.
type Worker struct {
	d     Deps
	opts  Options
	cache *eventCache
	obs   *observer
}

// New returns a Worker.
func New(d Deps, opts Options) *Worker {
	if opts.Timeout <= 0 {
		opts.Timeout = deliver.DefaultTimeout
	}
	if opts.ErrorDelay <= 0 {
		opts.ErrorDelay = time.Second
	}
	if opts.CacheBytes <= 0 {
		opts.CacheBytes = 32 << 20
	}
	return &Worker{d: d, opts: opts, cache: newEventCache(opts.CacheBytes), obs: newObserver()}
}

func (w *Worker) jitter(d time.Duration) time.Duration {
	if w.opts.Jitter <= 0 || d <= 0 {
		return 0
	}
	return time.Duration(rand.Int64N(int64(float64(d)*w.opts.Jitter) + 1))
}

// Handle processes one DELIVERIES message, its tasks one after the other,
// and settles it (for tests and tools: the service's lanes own their
// messages, keep them alive and call Attempt). A malformed message is
// terminated.
func (w *Worker) Handle(ctx context.Context, msg jetstream.Msg) {
	ts, err := task.DecodeAll(msg.Data(), msg.Headers())
	if err != nil {
		w.d.Logger.Error("terminating malformed delivery task", "err", err)
		_ = msg.Term()
		return
	}
	s, redelivered := task.NewSettlement(msg, len(ts)), task.Redelivered(msg)
	for _, t := range ts {
		_, _ = s.Settle(w.Attempt(ctx, t, redelivered, func() {}))
	}
}

// Attempt makes the attempt t stands for and says what its message needs;
// it never settles the message itself (its owner does: package lane).
// redelivered: JetStream delivered t's message before. sent is called as
// soon as the subscriber has answered (or the attempt failed), before the
// attempt is recorded.
//
// This is the one place that maps what happened to a message's fate:
// handled (Done), held or parked in Redis (SetAside), an infrastructure
// failure (RetryLater after ErrorDelay), or ctx ended before the attempt
// counted (Leave: another replica takes it at once).
func (w *Worker) Attempt(ctx context.Context, t task.Task, redelivered bool, sent func()) task.Outcome {
	v, err := w.process(ctx, t, redelivered, sent)
	switch {
	case err == nil:
		return task.Outcome{Verdict: v}
	case ctx.Err() != nil:
		return task.Outcome{Verdict: task.Leave}
	default:
		w.d.Logger.WarnContext(t.TraceContext(ctx), "delivery task failed, will retry", "delivery_id", t.DeliveryID, "err", err)
		return task.Outcome{Verdict: task.RetryLater, Delay: w.opts.ErrorDelay}
	}
}
