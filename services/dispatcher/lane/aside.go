package lane

import (
	"context"
	"time"

	"github.com/hookwire/hookwire/services/dispatcher/task"
)

// Run holds, releases and keeps alive the tasks of the lanes until ctx
// ends, then waits for the attempts in progress.
func (l *Lanes) Run(ctx context.Context) error {
	done := make(chan struct{})
	go func() { defer close(done); l.holdLoop(ctx) }()
	touch, sweep := time.NewTicker(l.opts.Touch), time.NewTicker(l.opts.Sweep)
	defer touch.Stop()
	defer sweep.Stop()
	for {
		select {
		case <-ctx.Done():
			<-done
			l.mu.Lock()
			l.closing = true // no attempt starts from now on: Add must not race Wait
			l.mu.Unlock()
			l.active.Wait()
			return nil
		case <-touch.C:
			l.touch()
		case <-sweep.C:
			l.sweep(ctx)
		case <-l.refill:
			l.release(ctx)
		}
	}
}

// holdLoop moves spilled tasks to Redis, a batch per round trip, and only
// then acks their messages.
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
			if ctx.Err() == nil {
				l.log.Error("hold tasks at their subscriptions' cap", "tasks", len(ts), "err", err)
				for _, it := range batch {
					_ = it.msg.NakWithDelay(l.opts.ErrorDelay)
				}
			}
			continue
		}
		for _, it := range batch {
			_ = it.msg.Ack()
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
			l.log.Error("release held tasks", "subscription_id", w.ln.id, "err", err)
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
			l.log.Error("sweep held tasks", "err", err)
		}
		return
	}
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

// touch tells JetStream that every waiting task is still being worked on,
// so none is redelivered while it waits for a slot or for the rate limit.
func (l *Lanes) touch() {
	l.mu.Lock()
	var its []item
	for _, ln := range l.lanes {
		its = append(its, ln.queue[First]...)
		its = append(its, ln.queue[Later]...)
	}
	l.mu.Unlock()
	for _, it := range its {
		_ = it.msg.InProgress()
	}
}

// Stats are the lanes' counts, for tests and metrics.
type Stats struct {
	Lanes, InFlight, Waiting int
}

// Stats returns the current counts.
func (l *Lanes) Stats() Stats {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := Stats{Lanes: len(l.lanes), Waiting: l.waiting}
	for _, ln := range l.lanes {
		s.InFlight += ln.inFlight
	}
	return s
}
