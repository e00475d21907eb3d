package subscription

import (
	"context"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
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
	w, err := s.kv.WatchAll(ctx)
	if err != nil {
		return fmt.Errorf("watch %s: %w", Bucket, err)
	}
	defer func() { _ = w.Stop() }()
	for {
		select {
		case <-ctx.Done():
			return nil
		case e, ok := <-w.Updates():
			if !ok {
				return fmt.Errorf("watch %s: closed", Bucket)
			}
			if e == nil {
				if synced != nil {
					synced()
				}
				continue
			}
			switch e.Operation() {
			case jetstream.KeyValueDelete, jetstream.KeyValuePurge:
				fn(Change{ID: e.Key(), Revision: e.Revision(), Deleted: true})
			default:
				rec, err := Decode(e.Value())
				if err != nil {
					if bad != nil {
						bad(e.Key(), err)
					}
					continue
				}
				fn(Change{ID: e.Key(), Record: rec, Revision: e.Revision()})
			}
		}
	}
}
