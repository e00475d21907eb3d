// Package kvwatch follows a JetStream KV bucket: the current value of every
// key first, a "synced" signal once that replay is done, then each change,
// until the context ends. The registry, ingest and the dispatcher build
// their in-memory views (subscriptions, catalog) on it.
package kvwatch

import (
	"context"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
)

// Run calls put for each stored or changed key, del for each deleted or
// purged one, and synced (when not nil) once after the initial replay. The
// callbacks run on one goroutine, in bucket order. It returns nil when ctx
// ends and an error when the watch cannot start or is closed under it.
func Run(ctx context.Context, kv jetstream.KeyValue, put func(jetstream.KeyValueEntry), del func(key string, revision uint64), synced func()) error {
	w, err := kv.WatchAll(ctx)
	if err != nil {
		return fmt.Errorf("watch %s: %w", kv.Bucket(), err)
	}
	defer func() { _ = w.Stop() }()
	for {
		select {
		case <-ctx.Done():
			return nil
		case e, ok := <-w.Updates():
			if !ok {
				if ctx.Err() != nil {
					return nil
				}
				return fmt.Errorf("watch %s: closed", kv.Bucket())
			}
			switch {
			case e == nil:
				if synced != nil {
					synced()
				}
			case e.Operation() == jetstream.KeyValuePut:
				put(e)
			default:
				del(e.Key(), e.Revision())
			}
		}
	}
}
