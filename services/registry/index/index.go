// Package index is the registry's in-memory copy of the subscription
// bucket, kept current by subscription.Store.Watch. It answers List queries
// in ID order and lets a writer wait until its own write is visible, so a
// client that creates and then lists on the same replica sees what it wrote.
package index

import (
	"context"
	"slices"
	"sync"

	"github.com/hookwire/hookwire/pkg/subscription"
)

// Entry is a record and the KV revision it was stored at.
type Entry struct {
	Record   subscription.Record
	Revision uint64
}

// Index is safe for concurrent use.
type Index struct {
	mu      sync.RWMutex
	byID    map[string]Entry
	ids     []string // sorted, the stable list order
	rev     uint64   // highest bucket revision applied
	synced  bool     // the initial replay is done
	changed chan struct{}
	ready   chan struct{} // closed when synced
}

// New returns an empty, not yet synced Index.
func New() *Index {
	return &Index{byID: map[string]Entry{}, changed: make(chan struct{}), ready: make(chan struct{})}
}

// Apply records one watched change. Changes arrive in revision order.
func (x *Index) Apply(c subscription.Change) {
	x.mu.Lock()
	defer x.mu.Unlock()
	i, found := slices.BinarySearch(x.ids, c.ID)
	switch {
	case c.Deleted && found:
		x.ids = slices.Delete(x.ids, i, i+1)
		delete(x.byID, c.ID)
	case !c.Deleted:
		if !found {
			x.ids = slices.Insert(x.ids, i, c.ID)
		}
		x.byID[c.ID] = Entry{Record: c.Record, Revision: c.Revision}
	}
	x.rev = max(x.rev, c.Revision)
	x.notify()
}

// MarkSynced records that the initial replay is complete.
func (x *Index) MarkSynced() {
	x.mu.Lock()
	defer x.mu.Unlock()
	if !x.synced {
		close(x.ready)
	}
	x.synced = true
	x.notify()
}

// Ready is closed once the initial replay is complete.
func (x *Index) Ready() <-chan struct{} { return x.ready }

func (x *Index) notify() {
	close(x.changed)
	x.changed = make(chan struct{})
}

// WaitFor blocks until the initial replay is done and every change up to
// bucket revision rev has been applied, or ctx ends.
func (x *Index) WaitFor(ctx context.Context, rev uint64) error {
	for {
		x.mu.RLock()
		ok, ch := x.synced && x.rev >= rev, x.changed
		x.mu.RUnlock()
		if ok {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Len returns the number of records.
func (x *Index) Len() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return len(x.ids)
}

// Page returns up to limit entries with IDs greater than after, in ID
// order, for which keep is true, and whether more such entries follow.
func (x *Index) Page(after string, limit int, keep func(*subscription.Record) bool) ([]Entry, bool) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	i, found := slices.BinarySearch(x.ids, after)
	if found {
		i++
	}
	var out []Entry
	for ; i < len(x.ids); i++ {
		e := x.byID[x.ids[i]]
		if !keep(&e.Record) {
			continue
		}
		if len(out) == limit {
			return out, true
		}
		out = append(out, e)
	}
	return out, false
}

// CountByStatus returns the number of records of each status.
func (x *Index) CountByStatus() map[subscription.Status]int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	n := map[subscription.Status]int{}
	for _, e := range x.byID {
		n[e.Record.Status]++
	}
	return n
}

// Count returns how many records keep accepts.
func (x *Index) Count(keep func(*subscription.Record) bool) int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	n := 0
	for _, e := range x.byID {
		if keep(&e.Record) {
			n++
		}
	}
	return n
}
