// Package lane keeps slow subscribers from slowing the others down, and
// paces deliveries to a subscription's rate limit, without ever letting a
// waiting task occupy a worker.
//
// Every subscription has a lane in each dispatcher process: its deliveries
// in flight (at most MaxInFlight; HOOKWIRE_MAX_IN_FLIGHT_DEFAULT when the
// subscription sets none) and a short in-memory queue of tasks waiting for
// a slot. The consumers' routers Submit each DELIVERIES message; a task whose
// lane has a free slot starts at once on a worker of its class, otherwise it
// waits in the lane holding no goroutine, and when the lane's queue is full
// (or the process's waiting budget is spent) the task is held in Redis
// (package park's sorted sets under HeldPrefix) and its message acked, so it
// leaves the consumer's ack-pending set too. A finished attempt hands its
// slot to the lane's next task; a lane that has room again pulls held tasks
// back onto the retry subject. A subscriber that hangs until the timeout
// thus ties up at most MaxInFlight workers, and everything behind it waits
// in memory or in Redis, never in a worker or in front of other lanes.
//
// # The lanes own their messages
//
// From Submit to its settlement, a DELIVERIES message belongs to the
// lanes: the attempt code (Runner, worker.Worker.Attempt) only returns a
// task.Outcome, and settle acks or naks the message once every task it
// carries has one (task.Settlement). While a message is unsettled —
// queued, waiting for a worker or a crew goroutine, in flight, waiting
// for its rate limit, or in the Submit of a router blocked for a worker —
// keepAlive tells JetStream it is in progress every Touch at most, by its
// age, not by where it waits; so JetStream redelivers a message only when
// its process is gone, and the consumers' AckWait can be short. The
// invariants are listed in the dispatcher's doc.go.
//
// # Stopping
//
// When Run's context ends, nothing starts any more: every task that has
// not started (queued, waiting for a worker, about to be held) is handed
// back at once (task.Leave: nak without delay, so another replica takes
// it), and the attempts in flight get Options.Grace to finish and be
// recorded; after it their context is cancelled and they are handed back
// too.
//
// # Rate limits wait in the lane
//
// Just before an attempt, a rate-limited subscription asks the Redis GCRA
// (package ratelimit). When the budget is spent the task goes back to the
// head of its lane, the slot is freed, and the lane pauses for the GCRA's
// RetryAfter on a timer: no worker waits, the attempt is not made, not
// failed and not counted, and the lane resumes exactly when the budget
// allows (millisecond timers, not the 100 ms retry poll, which is what keeps
// the delivered rate close to the configured one). Re-scheduling through the
// retry sorted set was the alternative; it wakes every limited task at the
// same poll and re-limits most of them, while the paused lane wakes once.
//
// # Classes: first attempts are never starved by retries
//
// First attempts (subject hookwire.deliveries.<sub>) and Later tasks
// (hookwire.retries.<sub>: retries, replays, released tasks) come from two
// consumers and run on two worker shares (HOOKWIRE_DELIVERY_WORKERS and
// HOOKWIRE_RETRY_WORKERS). A lane serves its first attempts before its
// retries; the in-flight cap covers both.
//
// The cap is per process: with R dispatcher replicas a subscriber sees at
// most R × MaxInFlight requests at once (the README says why). The rate
// limit is global (Redis).
package lane

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"

	"github.com/hookwire/hookwire/pkg/subscription"
	"github.com/hookwire/hookwire/pkg/telemetry"
	"github.com/hookwire/hookwire/services/dispatcher/task"
)

// Redis keys of held tasks (park.NewWithKeys).
const (
	HeldPrefix  = "hookwire:held:" // + subscription id: sorted set of tasks
	HeldListKey = "hookwire:held"  // subscriptions with held tasks
)

// Class is a worker share.
type Class int

const (
	First Class = iota // first attempts and redeliveries
	Later              // retries, replays, released tasks
)

// Index finds subscriptions (match.Index).
type Index interface {
	Get(id string) (*subscription.Record, bool)
}

// Limiter is the per-subscription rate limit (ratelimit.Limiter).
type Limiter interface {
	Take(ctx context.Context, subID string, rl *subscription.RateLimit) (time.Duration, error)
}

// Holder keeps tasks aside in Redis (park.Lot over HeldPrefix).
type Holder interface {
	ParkAll(ctx context.Context, ts []task.Task) error
	ReleaseN(ctx context.Context, subID string, n int) (int, error)
	Subscriptions(ctx context.Context) ([]string, error)
}

// Runner makes the attempt of t and returns what its message needs
// (worker.Worker.Attempt); it never settles the message. redelivered:
// JetStream delivered the message before. It calls sent as soon as the
// subscriber has answered (or the attempt failed), before recording it:
// the lane's slot is the subscriber's connection, not the bookkeeping.
// sent may be called more than once.
type Runner func(ctx context.Context, t task.Task, redelivered bool, sent func()) task.Outcome

// Options tune the lanes.
type Options struct {
	MaxInFlight int    // per subscription when it sets none; default 10
	Workers     [2]int // attempts at once per Class; default 256, 64
	// MaxWaiting bounds what waits in memory over all lanes (the rest is
	// held in Redis), in messages: a task alone counts one, each of the n
	// tasks sharing a message 1/n; default 4 × (Workers[First] +
	// Workers[Later]). A lane's queue is bounded the same way.
	MaxWaiting int
	// Touch is the longest an unsettled message goes without telling
	// JetStream it is in progress; keep it well under the consumers'
	// AckWait (the service uses AckWait/3). Default 5s.
	Touch time.Duration
	// Grace is how long attempts in flight may take to finish once Run's
	// context ends (HOOKWIRE_SHUTDOWN_GRACE). Default 25s.
	Grace time.Duration
	// Sweep is how often held tasks of idle lanes are looked for (they may
	// have been held by another replica, or before a restart). Default 2s.
	Sweep time.Duration
	// ErrorDelay is the pause of a lane whose rate limit cannot be read.
	ErrorDelay time.Duration
	// MaxUnsettled bounds the DELIVERIES messages of each Class this
	// process owns at once: Submit waits (and its router pulls no more)
	// until one settles. It is what each consumer's MaxAckPending used to
	// bound, kept per process so that a dead replica's messages cannot use
	// up a budget the others share. Default 2 × Workers + MaxWaiting/2 per
	// class: the two classes together cannot overrun the waiting budget,
	// so tasks are held in Redis only for lanes over their share (a slow
	// subscriber), never for healthy lanes at full speed.
	MaxUnsettled [2]int
}

// Resolved is o with every unset option at its default.
func (o Options) Resolved() Options {
	o.defaults()
	return o
}

func (o *Options) defaults() {
	if o.MaxInFlight <= 0 {
		o.MaxInFlight = 10
	}
	if o.Workers[First] <= 0 {
		o.Workers[First] = 256
	}
	if o.Workers[Later] <= 0 {
		o.Workers[Later] = 64
	}
	if o.MaxWaiting <= 0 {
		o.MaxWaiting = 4 * (o.Workers[First] + o.Workers[Later])
	}
	if o.Touch <= 0 {
		o.Touch = 5 * time.Second
	}
	if o.Grace <= 0 {
		o.Grace = 25 * time.Second
	}
	if o.Sweep <= 0 {
		o.Sweep = 2 * time.Second
	}
	if o.ErrorDelay <= 0 {
		o.ErrorDelay = time.Second
	}
	for c := range o.MaxUnsettled {
		if o.MaxUnsettled[c] <= 0 {
			o.MaxUnsettled[c] = 2*o.Workers[c] + o.MaxWaiting/2
		}
	}
}

// Lanes are one process's lanes. Submit may be called concurrently.
type Lanes struct {
	index     Index
	limiter   Limiter
	held      Holder
	run       Runner
	log       *slog.Logger
	throttle  *telemetry.Throttle // Redis outages: one line per cause and interval, then "recovered"
	opts      Options
	sem       [2]chan struct{}
	crew      *crew
	limited   metric.Int64Counter // attempts postponed by the rate limit
	heldTasks metric.Int64Counter // tasks held in Redis

	// work is the attempts' context: it outlives Run's so that attempts in
	// flight finish during the shutdown grace; stopWork ends it.
	work     context.Context
	stopWork context.CancelFunc
	stop     chan struct{} // closed when Run's context ends: nothing starts

	liveMu   sync.Mutex
	live     map[*message]struct{} // unsettled messages (keepAlive)
	admitted [2]int                // of them, those counted against MaxUnsettled
	room     [2]chan struct{}      // closed when admitted drops under MaxUnsettled; nil: no one waits

	mu      sync.Mutex
	closing bool // Run is stopping: nothing starts or waits any more
	lanes   map[string]*lane
	waiting int // tasks queued in all lanes
	units   int // their weight (see item.weight): the budget MaxWaiting counts it

	spill  chan item
	refill chan struct{}
	wanted map[string]struct{} // lanes asking for their held tasks (under mu)
	active sync.WaitGroup      // attempts, their launches, tasks on their way to spill
}

// message is one DELIVERIES message, owned by the lanes from Submit until
// its Settlement settles it.
type message struct {
	task.Settlement
	class       Class
	admitted    bool // counted in Lanes.admitted (under liveMu)
	redelivered bool
	received    time.Time
	touched     atomic.Int64 // unix ns of its last InProgress (or receipt)
}

// item is one task and its DELIVERIES message.
type item struct {
	t     task.Task
	m     *message
	class Class
	// weight is the item's share of its message, in units of 1/unit of a
	// message: unit for a task alone, unit/n for each of n tasks sharing
	// one. The waiting budgets count weight, not tasks: what a waiting
	// task holds on to is its message's slot in the consumer's ack-pending
	// set, and the tasks of a shared message (all of one subscription)
	// hold one slot together.
	weight int
}

// unit is the weight of a whole message.
const unit = task.MaxShared

// leave is the outcome of a task handed back unstarted.
var leave = task.Outcome{Verdict: task.Leave}

// lane is one subscription's state in this process (guarded by Lanes.mu).
type lane struct {
	id        string
	inFlight  int
	queue     [2][]item
	units     int  // weight of the queued tasks
	paused    bool // waiting for the rate limit
	held      bool // tasks of this subscription may be held in Redis
	refilling bool
}

func (ln *lane) queued() int { return len(ln.queue[First]) + len(ln.queue[Later]) }

func (ln *lane) idle() bool {
	return ln.inFlight == 0 && ln.queued() == 0 && !ln.paused && !ln.held && !ln.refilling
}

// New returns Lanes running attempts with run.
func New(ix Index, lim Limiter, held Holder, run Runner, log *slog.Logger, opts Options) *Lanes {
	opts.defaults()
	l := &Lanes{index: ix, limiter: lim, held: held, run: run, log: log, opts: opts, throttle: telemetry.NewThrottle(log, telemetry.ThrottleInterval),
		lanes: map[string]*lane{}, spill: make(chan item, 1024), refill: make(chan struct{}, 1),
		wanted: map[string]struct{}{}, crew: newCrew(crewIdle), stop: make(chan struct{}),
		live: map[*message]struct{}{}}
	l.work, l.stopWork = context.WithCancel(context.Background())
	for c := range l.sem {
		l.sem[c] = make(chan struct{}, opts.Workers[c])
	}
	meter := otel.Meter("github.com/hookwire/hookwire/services/dispatcher/lane")
	var err error
	l.limited, err = meter.Int64Counter("hookwire.deliveries.rate_limited",
		metric.WithDescription("Delivery attempts postponed because the subscription's rate limit was spent (each wait counts once)."),
		metric.WithUnit("{delivery}"))
	if err != nil { // only on an invalid instrument definition
		otel.Handle(err)
		l.limited = noop.Int64Counter{}
	}
	l.heldTasks, err = meter.Int64Counter("hookwire.tasks.held",
		metric.WithDescription("Tasks held in Redis because their subscription's lane or the process's waiting budget was full (they come back through the retry consumer)."),
		metric.WithUnit("{task}"))
	if err != nil {
		otel.Handle(err)
		l.heldTasks = noop.Int64Counter{}
	}
	// Both series exist from the start, at 0 (a rate or an alert on them
	// has a value before the first hold).
	l.limited.Add(context.Background(), 0)
	l.heldTasks.Add(context.Background(), 0)
	return l
}

// minQueue is the shortest lane queue: a pull brings tasks of one
// subscription in bunches, and a healthy lane must absorb them in memory
// rather than hold them in Redis.
const minQueue = 64

// laneShare is the fraction (1/laneShare) of the process's waiting budget
// one lane may fill. A healthy lane at a fast subscriber keeps a pull's worth
// of its tasks in memory instead of holding them in Redis, while a stuck
// lane leaves most of the budget to the others.
const laneShare = 8

// limits are subID's in-flight cap and lane queue length.
func (l *Lanes) limits(subID string) (capacity, queue int) {
	capacity = l.opts.MaxInFlight
	rec, ok := l.index.Get(subID)
	if ok && rec.MaxInFlight > 0 {
		capacity = rec.MaxInFlight
	}
	return capacity, max(4*capacity, minQueue, l.opts.MaxWaiting/laneShare)
}

// Submit takes one DELIVERIES message of class c and routes its tasks
// (one, or several sharing the message: its task.Settlement settles it
// once all have an outcome): start, wait, or hold. It blocks only while
// every worker of the class is busy (backpressure on the consumer), or
// while the hold queue is full. Once ctx has ended (or Run stopped), the
// message is handed back at once.
func (l *Lanes) Submit(ctx context.Context, c Class, msg jetstream.Msg) {
	ts, err := task.DecodeAll(msg.Data(), msg.Headers())
	if err != nil {
		l.log.Error("terminating malformed delivery task", "err", err)
		_ = msg.Term()
		return
	}
	n := len(ts)
	m := l.track(msg, n, c)
	if !l.admit(ctx, m) {
		for range n {
			l.settle(item{m: m}, leave)
		}
		return
	}
	for i, t := range ts {
		w := unit / n
		if i < unit%n {
			w++ // the tasks' weights add up to one message
		}
		l.submit(ctx, item{t: t, m: m, class: c, weight: w})
	}
}

// track makes msg, carrying n tasks, one of the lanes' unsettled messages.
// A message older than half of Touch may have waited that long in the pull
// buffer (JetStream's ack timer runs from its delivery, which the client
// does not see): it is kept alive at once.
func (l *Lanes) track(msg jetstream.Msg, n int, c Class) *message {
	m := &message{class: c, received: time.Now()}
	m.Init(msg, n)
	if md, err := msg.Metadata(); err == nil {
		m.redelivered = md.NumDelivered > 1
		if m.received.Sub(md.Timestamp) >= l.opts.Touch/2 {
			_ = msg.InProgress()
		}
	}
	m.touched.Store(m.received.UnixNano())
	l.liveMu.Lock()
	l.live[m] = struct{}{}
	l.liveMu.Unlock()
	return m
}

// admit waits until m's class has fewer than MaxUnsettled admitted
// messages, and counts m; false when ctx ended or the lanes stopped first.
// m is kept alive while it waits.
func (l *Lanes) admit(ctx context.Context, m *message) bool {
	c := m.class
	l.liveMu.Lock()
	for l.admitted[c] >= l.opts.MaxUnsettled[c] {
		if l.room[c] == nil {
			l.room[c] = make(chan struct{})
		}
		room := l.room[c]
		l.liveMu.Unlock()
		select {
		case <-room:
		case <-ctx.Done():
			return false
		case <-l.stop:
			return false
		}
		l.liveMu.Lock()
	}
	l.admitted[c]++
	m.admitted = true
	l.liveMu.Unlock()
	return true
}

// settle records it's outcome; the last task of its message settles the
// message, which then stops being kept alive and frees its admission. It
// is the only place that settles a DELIVERIES message (besides Submit
// terminating a malformed one).
func (l *Lanes) settle(it item, o task.Outcome) {
	settled, _ := it.m.Settle(o)
	if !settled {
		return
	}
	m := it.m
	l.liveMu.Lock()
	delete(l.live, m)
	if m.admitted {
		l.admitted[m.class]--
		if l.room[m.class] != nil {
			close(l.room[m.class])
			l.room[m.class] = nil
		}
	}
	l.liveMu.Unlock()
}

// enqueue puts it in ln's queue, at the back or the front. l.mu is held.
func (l *Lanes) enqueue(ln *lane, it item, front bool) {
	if front {
		ln.queue[it.class] = append([]item{it}, ln.queue[it.class]...)
	} else {
		ln.queue[it.class] = append(ln.queue[it.class], it)
	}
	ln.units += it.weight
	l.units += it.weight
	l.waiting++
}

// dequeue takes the next task of class c from ln's queue. l.mu is held.
func (l *Lanes) dequeue(ln *lane, c Class) item {
	it := ln.queue[c][0]
	ln.queue[c][0] = item{}
	ln.queue[c] = ln.queue[c][1:]
	ln.units -= it.weight
	l.units -= it.weight
	l.waiting--
	return it
}

// submit routes one task.
func (l *Lanes) submit(ctx context.Context, it item) {
	t, c := it.t, it.class
	capacity, queue := l.limits(t.SubscriptionID)
	l.mu.Lock()
	if l.closing || ctx.Err() != nil {
		l.mu.Unlock()
		l.settle(it, leave)
		return
	}
	ln := l.lanes[t.SubscriptionID]
	if ln == nil {
		ln = &lane{id: t.SubscriptionID}
		l.lanes[ln.id] = ln
	}
	switch {
	case !ln.paused && ln.inFlight < capacity && ln.queued() == 0 && !(ln.held && c == First):
		ln.inFlight++
		l.mu.Unlock()
		l.launch(ctx, ln, it, true)
	case ln.units < queue*unit && l.units < l.opts.MaxWaiting*unit && !(ln.held && c == First):
		l.enqueue(ln, it, false)
		l.mu.Unlock()
	default:
		ln.held = true
		l.active.Add(1) // Run's shutdown waits for it to reach spill, or to be handed back
		l.mu.Unlock()
		defer l.active.Done()
		it.t = it.t.SetAside()
		select {
		case l.spill <- it:
		case <-ctx.Done():
			l.settle(it, leave)
		case <-l.stop:
			l.settle(it, leave)
		}
	}
}
