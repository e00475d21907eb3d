package worker

import (
	"bytes"
	"context"
	"sync"
)

// eventCache keeps recently read events by stream sequence: a fan-out to
// n subscriptions makes n tasks for one event, and they are usually
// handled together, so one read from EVENTS serves all of them. Concurrent
// misses for one sequence share a single read. Bounded by what its entries
// keep in memory (stored.size): each keeps a copy of its body, not the
// message buffer around it. Counting the body only, a full cache of 1 KiB
// events kept about 2.5 times its bound (the NATS message with its headers
// and subject, the parsed header strings, the entry), which W4 at a
// million retries measured as the dispatcher's largest live memory.
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
	e.ev = e.ev.own()
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
	e := &cached{ready: make(chan struct{}), ev: ev.own()}
	close(e.ready)
	c.entries[seq] = e
	c.add(seq, e)
}

// add accounts for the completed entry e at seq and evicts the oldest
// entries beyond maxBytes. c.mu is held.
func (c *eventCache) add(seq uint64, e *cached) {
	c.order = append(c.order, seq)
	c.bytes += e.ev.size()
	for c.bytes > c.maxBytes && len(c.order) > 1 {
		old := c.order[0]
		c.order = c.order[1:]
		if o, ok := c.entries[old]; ok {
			c.bytes -= o.ev.size()
			delete(c.entries, old)
		}
	}
}

// entryOverhead is what a cache entry keeps besides its body and strings:
// the map slot, the entry and its channel, the stored value, its place in
// the order.
const entryOverhead = 256

// size is what ev keeps in memory once cached (see own).
func (ev stored) size() int {
	n := entryOverhead + len(ev.body) + len(ev.traceparent) + len(ev.meta.ID) + len(ev.meta.Type) + len(ev.meta.Scope)
	for k, v := range ev.meta.Attributes {
		n += len(k) + len(v) + 64 // and the map's slot
	}
	return n
}

// own is ev with a body of its own: the body a NATS message hands out is a
// slice of the buffer that holds the whole message, headers and subject
// included, which a cached slice would keep alive.
func (ev stored) own() stored {
	ev.body = bytes.Clone(ev.body)
	return ev
}
