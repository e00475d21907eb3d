package worker

import (
	"context"
	"sync"
)

// eventCache keeps recently read events by stream sequence: a fan-out to
// n subscriptions makes n tasks for one event, and they are usually
// handled together, so one read from EVENTS serves all of them. Concurrent
// misses for one sequence share a single read. Bounded by total body bytes.
type eventCache struct {
	mu       sync.Mutex
	entries  map[uint64]*cached
	order    []uint64 // completed entries, oldest first
	bytes    int
	maxBytes int
}

type cached struct {
	ready chan struct{}
	ev    stored
	err   error
}

func newEventCache(maxBytes int) *eventCache {
	return &eventCache{entries: map[uint64]*cached{}, maxBytes: maxBytes}
}

// get returns the event at seq, calling read on a miss. Errors are not cached.
func (c *eventCache) get(ctx context.Context, seq uint64, read func(context.Context) (stored, error)) (stored, error) {
	c.mu.Lock()
	if e, ok := c.entries[seq]; ok {
		c.mu.Unlock()
		select {
		case <-e.ready:
			if e.err == nil {
				return e.ev, nil
			}
		case <-ctx.Done():
			return stored{}, ctx.Err()
		}
		return read(ctx) // the shared read failed: try on our own
	}
	e := &cached{ready: make(chan struct{})}
	c.entries[seq] = e
	c.mu.Unlock()

	e.ev, e.err = read(ctx)
	close(e.ready)
	c.mu.Lock()
	defer c.mu.Unlock()
	if e.err != nil {
		delete(c.entries, seq)
		return stored{}, e.err
	}
	c.add(seq, e)
	return e.ev, nil
}

// put stores ev as the event at seq, unless an entry is there already.
func (c *eventCache) put(seq uint64, ev stored) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.entries[seq]; ok {
		return
	}
	e := &cached{ready: make(chan struct{}), ev: ev}
	close(e.ready)
	c.entries[seq] = e
	c.add(seq, e)
}

// add accounts for the completed entry e at seq and evicts the oldest
// entries beyond maxBytes. c.mu is held.
func (c *eventCache) add(seq uint64, e *cached) {
	c.order = append(c.order, seq)
	c.bytes += len(e.ev.body)
	for c.bytes > c.maxBytes && len(c.order) > 1 {
		old := c.order[0]
		c.order = c.order[1:]
		if o, ok := c.entries[old]; ok {
			c.bytes -= len(o.ev.body)
			delete(c.entries, old)
		}
	}
}
