package lane

import (
	"context"
	"encoding/binary"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/redis/go-redis/v9"

	"github.com/hookwire/hookwire/pkg/subscription"
	"github.com/hookwire/hookwire/pkg/testkit"
	"github.com/hookwire/hookwire/services/dispatcher/clock"
	"github.com/hookwire/hookwire/services/dispatcher/park"
	"github.com/hookwire/hookwire/services/dispatcher/pool"
	"github.com/hookwire/hookwire/services/dispatcher/ratelimit"
	"github.com/hookwire/hookwire/services/dispatcher/task"
)

// rig is a lane test's infrastructure: JetStream with the DELIVERIES
// queue and a consumer per class, redis-server for held tasks and rate
// limits, and a runner the test steers.
type rig struct {
	t     *testing.T
	ctx   context.Context
	js    jetstream.JetStream
	queue *task.Queue
	cons  [2]jetstream.Consumer
	rdb   *redis.Client
	held  *park.Lot
	index index
	run   *runner
	// ackWait is the consumers'
	ackWait time.Duration
}

// newRig starts the infrastructure; the consumers redeliver after ackWait.
func newRig(t *testing.T, ackWait time.Duration) *rig {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	r := &rig{t: t, ctx: ctx, index: index{}, run: newRunner(), ackWait: ackWait}
	_, r.js = testkit.StartNATS(t).Connect(t)
	var err error
	if r.queue, err = task.OpenQueue(ctx, r.js, task.QueueConfig{}); err != nil {
		t.Fatal(err)
	}
	for c, prefix := range map[Class]string{First: task.SubjectPrefix, Later: task.RetrySubjectPrefix} {
		r.cons[c], err = r.queue.Stream().CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{
			Durable: fmt.Sprintf("c%d", c), FilterSubject: prefix + ">", AckPolicy: jetstream.AckExplicitPolicy,
			AckWait: ackWait, MaxDeliver: -1,
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	r.rdb = testkit.StartRedis(t).Client(t)
	r.held = park.NewWithKeys(r.rdb, r.queue, clock.System{}, slog.New(slog.DiscardHandler), HeldPrefix, HeldListKey)
	return r
}

// lanes returns Lanes over the rig, with Touch a third of the consumers'
// AckWait as in the service, and runs them until the test ends or stop is
// called; stop waits for Run to return.
func (r *rig) lanes(opts Options) (l *Lanes, stop func()) {
	if opts.Touch == 0 {
		opts.Touch = r.ackWait / 3
	}
	l = New(r.index, ratelimit.New(r.rdb), r.held, r.run.attempt, slog.New(slog.DiscardHandler), opts)
	ctx, cancel := context.WithCancel(r.ctx)
	done := make(chan struct{})
	go func() { defer close(done); _ = l.Run(ctx) }()
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); <-done }) }
	r.t.Cleanup(stop)
	return l, stop
}

// tsk is the first attempt of event n to sub.
func tsk(sub string, n int) task.Task {
	id := fmt.Sprintf("e%d", n)
	return task.Task{DeliveryID: sub + "_" + id, SubscriptionID: sub, EventID: id, EventSeq: uint64(n), Trigger: task.Scheduled}
}

// enqueue stores ts, each in a message of its own.
func (r *rig) enqueue(ts ...task.Task) {
	r.t.Helper()
	if err := r.queue.EnqueueAll(r.ctx, ts); err != nil {
		r.t.Fatal(err)
	}
}

// enqueueShared stores ts (of one subscription) in one message.
func (r *rig) enqueueShared(ts ...task.Task) {
	r.t.Helper()
	b := binary.AppendUvarint([]byte{0x10}, uint64(len(ts)))
	for _, t := range ts {
		one, err := t.Encode()
		if err != nil {
			r.t.Fatal(err)
		}
		b = binary.AppendUvarint(b, uint64(len(one)))
		b = append(b, one...)
	}
	if _, err := r.js.PublishMsg(r.ctx, &nats.Msg{Subject: task.SubjectPrefix + ts[0].SubscriptionID, Data: b}); err != nil {
		r.t.Fatal(err)
	}
}

// submit fetches n messages of class c and submits them to l.
func (r *rig) submit(l *Lanes, c Class, n int) {
	r.t.Helper()
	for _, m := range r.fetch(c, n, 5*time.Second) {
		l.Submit(r.ctx, c, m)
	}
}

// feed routes the messages of class c to l as the service does, until the
// test ends.
func (r *rig) feed(l *Lanes, c Class) {
	ctx, cancel := context.WithCancel(r.ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = pool.Run(ctx, r.cons[c], pool.Options{Workers: 2, Buffer: 16}, slog.New(slog.DiscardHandler),
			func(ctx context.Context, m jetstream.Msg) { l.Submit(ctx, c, m) })
	}()
	r.t.Cleanup(func() { cancel(); <-done })
}

// fetch takes up to n messages of class c within wait.
func (r *rig) fetch(c Class, n int, wait time.Duration) []jetstream.Msg {
	r.t.Helper()
	var out []jetstream.Msg
	deadline := time.Now().Add(wait)
	for len(out) < n && time.Now().Before(deadline) {
		b, err := r.cons[c].Fetch(n-len(out), jetstream.FetchMaxWait(time.Until(deadline)))
		if err != nil {
			r.t.Fatal(err)
		}
		for m := range b.Messages() {
			out = append(out, m)
		}
	}
	return out
}

// info is the consumer of class c as the server sees it.
func (r *rig) info(c Class) *jetstream.ConsumerInfo {
	r.t.Helper()
	ci, err := r.cons[c].Info(r.ctx)
	if err != nil {
		r.t.Fatal(err)
	}
	return ci
}

// index is an in-memory subscription index.
type index map[string]*subscription.Record

func (ix index) Get(id string) (*subscription.Record, bool) {
	rec, ok := ix[id]
	return rec, ok
}

func (ix index) add(id string, maxInFlight int, rl *subscription.RateLimit) {
	ix[id] = &subscription.Record{ID: id, Status: subscription.StatusActive, MaxInFlight: maxInFlight, RateLimit: rl}
}

// runner records attempts; an attempt of a blocked delivery waits until
// the test unblocks it (or its context ends: then it leaves the task, as
// worker.Attempt does).
type runner struct {
	mu      sync.Mutex
	ran     map[string]int
	times   map[string][]time.Time
	blocked map[string]chan struct{}
	started chan string
}

func newRunner() *runner {
	return &runner{ran: map[string]int{}, times: map[string][]time.Time{}, blocked: map[string]chan struct{}{},
		started: make(chan string, 1000)}
}

func (r *runner) block(id string) { r.mu.Lock(); r.blocked[id] = make(chan struct{}); r.mu.Unlock() }

func (r *runner) unblock(id string) { r.mu.Lock(); close(r.blocked[id]); r.mu.Unlock() }

func (r *runner) attempt(ctx context.Context, t task.Task, _ bool, sent func()) task.Outcome {
	r.mu.Lock()
	r.ran[t.DeliveryID]++
	r.times[t.SubscriptionID] = append(r.times[t.SubscriptionID], time.Now())
	gate := r.blocked[t.DeliveryID]
	r.mu.Unlock()
	r.started <- t.DeliveryID
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return task.Outcome{Verdict: task.Leave}
		}
	}
	sent()
	return task.Outcome{Verdict: task.Done}
}

func (r *runner) count(id string) int { r.mu.Lock(); defer r.mu.Unlock(); return r.ran[id] }

// waitStarted waits for the attempt of id.
func (r *rig) waitStarted(id string) {
	r.t.Helper()
	for {
		select {
		case got := <-r.run.started:
			if got == id {
				return
			}
		case <-r.ctx.Done():
			r.t.Fatalf("attempt of %s never started", id)
		}
	}
}
