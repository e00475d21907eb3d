package lane

import (
	"context"
	"sync"
	"time"

	"github.com/hookwire/hookwire/pkg/subscription"
)

// launch runs it on a worker of its class (a crew goroutine); the lane slot
// is already taken.
// With wait, the caller blocks until a worker is free (Submit: backpressure);
// otherwise a goroutine waits for one (a slot handed over by a finished
// attempt or a resumed lane must not block that caller).
func (l *Lanes) launch(ctx context.Context, ln *lane, it item, wait bool) {
	l.mu.Lock()
	if l.closing { // Run is waiting for the attempts: leave it unacked, JetStream redelivers it
		ln.inFlight--
		l.mu.Unlock()
		return
	}
	l.active.Add(1)
	l.mu.Unlock()
	sem := l.sem[it.class]
	acquire := func() bool {
		select {
		case sem <- struct{}{}:
			return true
		case <-ctx.Done():
			l.finish(ctx, ln) // left unacked: JetStream redelivers it
			l.active.Done()
			return false
		}
	}
	if wait {
		if !acquire() {
			return
		}
		l.crew.run(ctx, func() { l.attempt(ctx, ln, it) })
		return
	}
	l.crew.run(ctx, func() {
		if acquire() {
			l.attempt(ctx, ln, it)
		}
	})
}

// attempt runs on a worker: rate limit, then the delivery.
func (l *Lanes) attempt(ctx context.Context, ln *lane, it item) {
	defer l.active.Done()
	defer func() { <-l.sem[it.class] }()
	if wait := l.rateWait(ctx, it); wait > 0 {
		l.mu.Lock()
		if !it.queued {
			it.queued, it.since = true, time.Now()
		}
		l.enqueue(ln, it, true)
		ln.inFlight--
		ln.paused = true
		l.mu.Unlock()
		time.AfterFunc(wait, func() { l.resume(ctx, ln) })
		return
	}
	if it.stale(l.opts.Touch) {
		_ = it.msg.InProgress() // it waited a while
	}
	var once sync.Once
	sent := func() { once.Do(func() { l.finish(ctx, ln) }) }
	l.run(ctx, it.msg, it.t, sent)
	sent()
}

// rateWait asks the subscription's rate limit; > 0 means wait that long.
// Tasks of a resting or deleted subscription are only parked or discarded:
// they do not use the budget.
func (l *Lanes) rateWait(ctx context.Context, it item) time.Duration {
	rec, ok := l.index.Get(it.t.SubscriptionID)
	if !ok || rec.Status != subscription.StatusActive || rec.RateLimit == nil || ctx.Err() != nil {
		return 0
	}
	wait, err := l.limiter.Take(ctx, rec.ID, rec.RateLimit)
	if err != nil {
		if ctx.Err() != nil {
			return 0 // the runner sees the cancelled context and leaves the task
		}
		l.log.Warn("rate limit unavailable, lane paused", "subscription_id", rec.ID, "err", err)
		return l.opts.ErrorDelay
	}
	if wait > 0 {
		l.limited.Add(ctx, 1)
	}
	return wait
}

// resume ends a rate-limit pause.
func (l *Lanes) resume(ctx context.Context, ln *lane) {
	l.mu.Lock()
	ln.paused = false
	next := l.next(ln)
	l.mu.Unlock()
	for _, it := range next {
		l.launch(ctx, ln, it, false)
	}
}

// finish frees an attempt's slot and hands it on.
func (l *Lanes) finish(ctx context.Context, ln *lane) {
	l.mu.Lock()
	ln.inFlight--
	next := l.next(ln)
	l.mu.Unlock()
	for _, it := range next {
		l.launch(ctx, ln, it, false)
	}
}

// next takes the lane's queued tasks that may start now, first attempts
// first, asks for held tasks when the queue runs low, and forgets an idle
// lane. l.mu is held.
func (l *Lanes) next(ln *lane) []item {
	capacity, queue := l.limits(ln.id)
	var out []item
	for !ln.paused && ln.inFlight < capacity && ln.queued() > 0 {
		c := First
		if len(ln.queue[First]) == 0 {
			c = Later
		}
		ln.inFlight++
		out = append(out, l.dequeue(ln, c))
	}
	l.wantHeld(ln, queue)
	if ln.idle() && l.lanes[ln.id] == ln {
		delete(l.lanes, ln.id)
	}
	return out
}
