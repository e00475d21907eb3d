package ingest

import (
	"context"
	"log/slog"
	"maps"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hookwire/hookwire/pkg/catalog"
)

// knownTypes is the in-memory set of catalogued event types, kept current by
// a watch on the catalog bucket. Reads are lock-free (the hot path checks
// every event); writes copy the small set.
type knownTypes struct {
	set   atomic.Pointer[map[string]struct{}]
	mu    sync.Mutex // serialises writers
	ready chan struct{}
	once  sync.Once
}

func newKnownTypes() *knownTypes {
	return &knownTypes{ready: make(chan struct{})}
}

// Has reports whether name is catalogued; false before the first sync.
func (k *knownTypes) Has(name string) bool {
	m := k.set.Load()
	if m == nil {
		return false
	}
	_, ok := (*m)[name]
	return ok
}

// Ready is closed once the first full load of the catalog is done.
func (k *knownTypes) Ready() <-chan struct{} { return k.ready }

func (k *knownTypes) isReady() bool {
	select {
	case <-k.ready:
		return true
	default:
		return false
	}
}

func (k *knownTypes) update(fn func(m map[string]struct{})) {
	k.mu.Lock()
	defer k.mu.Unlock()
	next := make(map[string]struct{})
	if cur := k.set.Load(); cur != nil {
		maps.Copy(next, *cur)
	}
	fn(next)
	k.set.Store(&next)
}

// watch follows the catalog until ctx ends, re-establishing the watch after
// failures. Each session loads the whole catalog into a fresh set and swaps
// it in when the replay is done, so deletions missed while disconnected do
// not linger.
func (k *knownTypes) watch(ctx context.Context, cat *catalog.Catalog, log *slog.Logger) {
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		var (
			fresh  = map[string]struct{}{}
			synced bool
		)
		put := func(et catalog.EventType) {
			if !synced {
				fresh[et.Name] = struct{}{}
				return
			}
			k.update(func(m map[string]struct{}) { m[et.Name] = struct{}{} })
		}
		del := func(name string) {
			if !synced {
				delete(fresh, name)
				return
			}
			k.update(func(m map[string]struct{}) { delete(m, name) })
		}
		onSynced := func() {
			if synced {
				return
			}
			synced = true
			k.mu.Lock()
			k.set.Store(&fresh)
			k.mu.Unlock()
			k.once.Do(func() { close(k.ready) })
			log.Info("event-type catalog loaded", "types", len(fresh))
			backoff = 100 * time.Millisecond
		}
		err := cat.Watch(ctx, put, del, onSynced)
		if ctx.Err() != nil {
			return
		}
		log.Warn("event-type catalog watch ended, restarting", "error", err, "backoff", backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 5*time.Second)
	}
}
