// Package clock is the dispatcher's notion of time. Every due time, attempt
// time and webhook-timestamp comes from a Clock, so tests drive the real
// retry schedule (5m, 15m, 45m) with a Fake in milliseconds.
package clock

import (
	"sync"
	"time"
)

// Clock tells the time.
type Clock interface {
	Now() time.Time
}

// System is the wall clock.
type System struct{}

// Now is time.Now.
func (System) Now() time.Time { return time.Now() }

// Fake is a clock that moves only when told. It is safe for concurrent use.
type Fake struct {
	mu    sync.Mutex
	now   time.Time
	moved chan struct{} // closed and replaced on every move
}

// NewFake returns a Fake reading t.
func NewFake(t time.Time) *Fake {
	return &Fake{now: t, moved: make(chan struct{})}
}

// Now returns the fake time.
func (f *Fake) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

// Set moves the clock to t (never backwards).
func (f *Fake) Set(t time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if t.After(f.now) {
		f.now = t
	}
	close(f.moved)
	f.moved = make(chan struct{})
}

// Advance moves the clock forward by d.
func (f *Fake) Advance(d time.Duration) { f.Set(f.Now().Add(d)) }

// Moved is closed the next time the clock moves; pollers select on it to
// react at once instead of waiting for their next tick.
func (f *Fake) Moved() <-chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.moved
}

// Mover is implemented by clocks that can announce a move (Fake).
type Mover interface {
	Moved() <-chan struct{}
}
