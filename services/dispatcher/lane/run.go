package lane

import (
	"context"
	"sync"
	"time"

	"github.com/hookwire/hookwire/pkg/subscription"
)

// launch runs it on a worker of its class (a crew goroutine); the lane slot
// is already taken.
// With wait, the caller blocks until a worker is free (Submit: backpressure;
// ctx is the caller's); otherwise a goroutine waits for one (a slot handed
// over by a finished attempt or a resumed lane must not block that
// caller). Once the lanes stop, a task still waiting for a worker is
// handed back.
func (l *Lanes) launch(ctx context.Context, ln *lane, it item, wait bool) {
	l.mu.Lock()
	if l.closing {
		ln.inFlight--
		l.mu.Unlock()
		l.settle(it, leave)
		return
	}
	l.active.Add(1)
	l.mu.Unlock()
	sem := l.sem[it.class]
	acquire := func(done <-chan struct{}) bool {
		select {
		case sem <- struct{}{}:
			return true
		case <-done:
		case <-l.stop:
		}
		l.finish(ln)
		l.settle(it, leave)
		l.active.Done()
		return false
	}
	if wait {
		if acquire(ctx.Done()) {
			l.crew.run(l.work, func() { l.attempt(ln, it) })
		}
		return
	}
	l.crew.run(l.work, func() {
		if acquire(nil) {
			l.attempt(ln, it)
		}
	})
}

// attempt runs on a worker: rate limit, then the delivery, then the
// settlement of its outcome. A task whose worker came free only after the
// lanes began to stop has not started: it is handed back.
func (l *Lanes) attempt(ln *lane, it item) {
	defer l.active.Done()
	defer func() { <-l.sem[it.class] }()
	select {
	case <-l.stop:
		l.finish(ln)
		l.settle(it, leave)
		return
	default:
	}
	if wait := l.rateWait(it); wait > 0 {
		l.mu.Lock()
		ln.inFlight--
		if l.closing {
			l.mu.Unlock()
			l.settle(it, leave)
			return
		}
		l.enqueue(ln, it, true)
		ln.paused = true
		l.mu.Unlock()
		time.AfterFunc(wait, func() { l.resume(ln) })
		return
	}
	var once sync.Once
	sent := func() { once.Do(func() { l.finish(ln) }) }
	o := l.run(l.work, it.t, it.m.redelivered, sent)
	sent()
	l.settle(it, o)
}

// rateWait asks the subscription's rate limit; > 0 means wait that long.
// Tasks of a resting or deleted subscription are only parked or discarded:
// they do not use the budget.
func (l *Lanes) rateWait(it item) time.Duration {
	ctx := l.work
	rec, ok := l.index.Get(it.t.SubscriptionID)
	if !ok || rec.Status != subscription.StatusActive || rec.RateLimit == nil || ctx.Err() != nil {
		return 0
	}
	wait, err := l.limiter.Take(ctx, rec.ID, rec.RateLimit)
	if err != nil {
		if ctx.Err() != nil {
			return 0 // the runner sees the cancelled context and leaves the task
		}
		l.throttle.Fail(ctx, "rate limit unavailable, lane paused", err, "subscription_id", rec.ID)
		return l.opts.ErrorDelay
	}
	l.throttle.OK(ctx, "rate limit unavailable, lane paused")
	if wait > 0 {
		l.limited.Add(ctx, 1)
	}
	return wait
}

// resume ends a rate-limit pause.
func (l *Lanes) resume(ln *lane) {
	l.mu.Lock()
	ln.paused = false
	next := l.next(ln)
	l.mu.Unlock()
	for _, it := range next {
		l.launch(l.work, ln, it, false)
	}
}

// finish frees an attempt's slot and hands it on.
func (l *Lanes) finish(ln *lane) {
	l.mu.Lock()
	ln.inFlight--
	next := l.next(ln)
	l.mu.Unlock()
	for _, it := range next {
		l.launch(l.work, ln, it, false)
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
