package lane

import (
	"context"
	"time"

	"github.com/hookwire/hookwire/services/dispatcher/task"
)

// Run holds, releases and keeps alive the lanes' tasks until ctx ends,
// then stops (shutdown) and returns.
func (l *Lanes) Run(ctx context.Context) error {
	done := make(chan struct{})
	go func() { defer close(done); l.holdLoop(ctx) }()
	keep, sweep := time.NewTicker(l.opts.Touch/2), time.NewTicker(l.opts.Sweep)
	defer keep.Stop()
	defer sweep.Stop()
	for {
		select {
		case <-ctx.Done():
			<-done
			l.shutdown(keep.C)
			return nil
		case <-keep.C:
			l.keepAlive()
		case <-sweep.C:
			l.sweep(ctx)
		case <-l.refill:
			l.release(ctx)
		}
	}
}

// shutdown starts nothing more, hands back every task that has not
// started, and waits up to Grace for the attempts in flight (keeping their
// messages alive meanwhile); then cancels the rest, which hand their tasks
// back too.
func (l *Lanes) shutdown(keep <-chan time.Time) {
	l.mu.Lock()
	l.closing = true // no attempt starts and no Add happens from now on: Add must not race Wait
	close(l.stop)
	var back []item
	for _, ln := range l.lanes {
		for _, c := range []Class{First, Later} {
			for len(ln.queue[c]) > 0 {
				back = append(back, l.dequeue(ln, c))
			}
		}
	}
	l.mu.Unlock()
	for _, it := range back {
		l.settle(it, leave)
	}
	idle := make(chan struct{})
	go func() { l.active.Wait(); close(idle) }()
	grace := time.NewTimer(l.opts.Grace)
	defer grace.Stop()
wait:
	for {
		select {
		case <-idle:
			break wait
		case <-keep:
			l.keepAlive()
		case <-grace.C:
			l.log.Warn("shutdown grace over: handing back the attempts still in flight", "grace", l.opts.Grace,
				"in_flight", l.Stats().InFlight)
			l.stopWork()
			<-idle
			break wait
		}
	}
	for {
		select {
		case it := <-l.spill: // spilled after holdLoop stopped
			l.settle(it, leave)
		default:
			l.stopWork()
			return
		}
	}
}

// holdLoop moves spilled tasks to Redis, a batch per round trip, and only
// then settles their messages.
func (l *Lanes) holdLoop(ctx context.Context) {
	for {
		var batch []item
		select {
		case <-ctx.Done():
			return
		case it := <-l.spill:
			batch = append(batch, it)
		}
	fill:
		for len(batch) < 256 {
			select {
			case it := <-l.spill:
				batch = append(batch, it)
			default:
				break fill
			}
		}
		ts := make([]task.Task, len(batch))
		for i, it := range batch {
			ts[i] = it.t
		}
		if err := l.held.ParkAll(ctx, ts); err != nil {
			o := leave
			if ctx.Err() == nil {
				l.throttle.Fail(ctx, "hold tasks at their subscriptions' cap", err, "tasks", len(ts))
				o = task.Outcome{Verdict: task.RetryLater, Delay: l.opts.ErrorDelay}
			}
			for _, it := range batch {
				l.settle(it, o)
			}
			continue
		}
		l.throttle.OK(ctx, "hold tasks at their subscriptions' cap")
		for _, it := range batch {
			l.settle(it, task.Outcome{Verdict: task.SetAside})
		}
		l.heldTasks.Add(ctx, int64(len(batch)))
		l.mu.Lock()
		for _, it := range batch {
			if ln := l.lanes[it.t.SubscriptionID]; ln != nil {
				_, queue := l.limits(ln.id)
				l.wantHeld(ln, queue)
			}
		}
		l.mu.Unlock()
	}
}

// wantHeld asks for ln's held tasks when its queue is at most half full.
// l.mu is held.
func (l *Lanes) wantHeld(ln *lane, queue int) {
	if !ln.held || ln.refilling || ln.paused || ln.units > queue*unit/2 {
		return
	}
	ln.refilling = true
	l.wanted[ln.id] = struct{}{}
	select {
	case l.refill <- struct{}{}:
	default:
	}
}

// release puts held tasks of the wanted lanes back on the retry subject,
// as many as their queues have room for.
func (l *Lanes) release(ctx context.Context) {
	l.mu.Lock()
	type want struct {
		ln *lane
		n  int
	}
	var wants []want
	for id := range l.wanted {
		ln := l.lanes[id]
		if ln == nil {
			ln = &lane{id: id, held: true, refilling: true}
			l.lanes[id] = ln
		}
		_, queue := l.limits(id)
		wants = append(wants, want{ln, max(queue-ln.units/unit, 1)})
	}
	clear(l.wanted)
	l.mu.Unlock()
	for _, w := range wants {
		n, err := l.held.ReleaseN(ctx, w.ln.id, w.n)
		if err != nil && ctx.Err() == nil {
			l.throttle.Fail(ctx, "release held tasks", err, "subscription_id", w.ln.id)
		} else if err == nil {
			l.throttle.OK(ctx, "release held tasks")
		}
		l.mu.Lock()
		w.ln.refilling = false
		if err == nil && n < w.n {
			w.ln.held = false // none left (a replica may hold more: the sweep finds them)
		}
		if w.ln.idle() && l.lanes[w.ln.id] == w.ln {
			delete(l.lanes, w.ln.id)
		}
		l.mu.Unlock()
	}
}

// sweep asks for the held tasks of every subscription whose lane here has
// room: they may have been held by another replica or before a restart.
func (l *Lanes) sweep(ctx context.Context) {
	ids, err := l.held.Subscriptions(ctx)
	if err != nil {
		if ctx.Err() == nil {
			l.throttle.Fail(ctx, "sweep held tasks", err)
		}
		return
	}
	l.throttle.OK(ctx, "sweep held tasks")
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, id := range ids {
		ln := l.lanes[id]
		if ln == nil {
			ln = &lane{id: id}
			l.lanes[id] = ln
		}
		ln.held = true
		_, queue := l.limits(id)
		l.wantHeld(ln, queue)
	}
}

// keepAlive tells JetStream that every unsettled message not touched for
// half of Touch is still in progress, wherever it waits (a lane queue, a
// worker, a crew goroutine, the rate limit, a blocked router) or while its
// attempt is in flight. It runs every half of Touch, so no message goes
// longer than Touch untouched.
func (l *Lanes) keepAlive() {
	now := time.Now()
	before := now.Add(-l.opts.Touch / 2).UnixNano()
	l.liveMu.Lock()
	var due []*message
	for m := range l.live {
		if m.touched.Load() <= before {
			due = append(due, m)
		}
	}
	l.liveMu.Unlock()
	for _, m := range due {
		if !m.Settled() {
			_ = m.Msg.InProgress()
			m.touched.Store(now.UnixNano())
		}
	}
}

// Stats are the lanes' counts, for tests and metrics.
type Stats struct {
	Lanes, InFlight, Waiting int
	// Unsettled is how many DELIVERIES messages the lanes own; Oldest is
	// how long the oldest of them has been owned (0 with none).
	Unsettled int
	Oldest    time.Duration
}

// Stats returns the current counts.
func (l *Lanes) Stats() Stats {
	l.mu.Lock()
	s := Stats{Lanes: len(l.lanes), Waiting: l.waiting}
	for _, ln := range l.lanes {
		s.InFlight += ln.inFlight
	}
	l.mu.Unlock()
	now := time.Now()
	l.liveMu.Lock()
	defer l.liveMu.Unlock()
	s.Unsettled = len(l.live)
	for m := range l.live {
		s.Oldest = max(s.Oldest, now.Sub(m.received))
	}
	return s
}
