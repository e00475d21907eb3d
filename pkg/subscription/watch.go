package subscription

import (
	"context"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookwire/hookwire/pkg/kvwatch"
)

// Change is one event of a Watch: a record put (Deleted false) or removed.
type Change struct {
	ID       string
	Record   Record // zero when Deleted
	Revision uint64
	Deleted  bool
}

// Watch replays every stored record, calls synced once the replay is done,
// then reports each change until ctx ends. Records that cannot be decoded
// are reported to bad and skipped. fn runs on one goroutine, in order.
func (s *Store) Watch(ctx context.Context, fn func(Change), synced func(), bad func(key string, err error)) error {
	return kvwatch.Run(ctx, s.kv,
		func(e jetstream.KeyValueEntry) {
			rec, err := Decode(e.Value())
			if err != nil {
				if bad != nil {
					bad(e.Key(), err)
				}
				return
			}
			fn(Change{ID: e.Key(), Record: rec, Revision: e.Revision()})
		},
		func(key string, rev uint64) { fn(Change{ID: key, Revision: rev, Deleted: true}) },
		synced)
}
