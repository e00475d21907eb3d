package lane

import (
	"context"
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
type crew struct {
	work    chan func()
	idle    time.Duration
	started atomic.Int64 // goroutines started
	live    atomic.Int64 // goroutines running or idle
}

// crewIdle is how long an idle crew goroutine waits for work.
const crewIdle = 10 * time.Second

func newCrew(idle time.Duration) *crew {
	return &crew{work: make(chan func()), idle: idle}
}

// run runs f on an idle crew goroutine, or on a new one when none is idle;
// it never waits for f.
func (c *crew) run(ctx context.Context, f func()) {
	select {
	case c.work <- f:
	default:
		c.started.Add(1)
		c.live.Add(1)
		go c.loop(ctx, f)
	}
}

func (c *crew) loop(ctx context.Context, f func()) {
	defer c.live.Add(-1)
	idle := time.NewTimer(c.idle)
	defer idle.Stop()
	for {
		f()
		f = nil // let it go while idle
		idle.Reset(c.idle)
		select {
		case f = <-c.work:
		case <-idle.C:
			return
		case <-ctx.Done():
			return
		}
	}
}
