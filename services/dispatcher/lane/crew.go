package lane

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// crew runs attempts on goroutines that outlive them. A goroutine started
// for every attempt grew its stack from 8 KiB again each time (the HTTP
// client, the signing and the delivery log need more): copying stacks was
// ~6 % of the dispatcher's CPU at full speed. A crew goroutine keeps its
// stack between attempts and waits, idle, for the next one; it exits after
// idle without work or when the lanes stop. How many run at once is still
// bounded by the worker semaphores, not by the crew.
//
// Idle goroutines wait on channels of their own, and the last one to go
// idle is the first to get work: the few that a light load needs stay warm,
// the others time out, and no channel is shared by hundreds of waiters.
type crew struct {
	idle    time.Duration
	mu      sync.Mutex
	waiting []*hand      // idle goroutines, most recent last
	started atomic.Int64 // goroutines started
	live    atomic.Int64 // goroutines running or idle
}

// hand is one crew goroutine's mailbox.
type hand struct{ work chan func() }

// crewIdle is how long an idle crew goroutine waits for work.
const crewIdle = 10 * time.Second

func newCrew(idle time.Duration) *crew { return &crew{idle: idle} }

// run runs f on an idle crew goroutine, or on a new one when none is idle;
// it never waits for f.
func (c *crew) run(ctx context.Context, f func()) {
	c.mu.Lock()
	if n := len(c.waiting); n > 0 {
		h := c.waiting[n-1]
		c.waiting[n-1] = nil
		c.waiting = c.waiting[:n-1]
		c.mu.Unlock()
		h.work <- f // buffered: the hand takes it when it wakes
		return
	}
	c.mu.Unlock()
	c.started.Add(1)
	c.live.Add(1)
	go c.loop(ctx, &hand{work: make(chan func(), 1)}, f)
}

func (c *crew) loop(ctx context.Context, h *hand, f func()) {
	defer c.live.Add(-1)
	idle := time.NewTimer(c.idle)
	defer idle.Stop()
	for {
		f()
		f = nil // let it go while idle
		idle.Reset(c.idle)
		c.mu.Lock()
		c.waiting = append(c.waiting, h)
		c.mu.Unlock()
		select {
		case f = <-h.work:
			continue
		case <-idle.C:
		case <-ctx.Done():
		}
		if c.leave(h) {
			return
		}
		f = <-h.work // run took this hand just before it left: the work is on the way
	}
}

// leave takes h off the idle list; false if run took it first.
func (c *crew) leave(h *hand) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	i := slices.Index(c.waiting, h)
	if i < 0 {
		return false
	}
	c.waiting = slices.Delete(c.waiting, i, i+1)
	return true
}
