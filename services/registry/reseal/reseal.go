// Package reseal rewrites every sealed value the registry stores — in the
// subscriptions bucket and the bucket of remembered responses — under the
// current master key, so a previous key can be retired (`hookwire admin
// reseal`). Each entry is written back with compare-and-set on its KV
// revision: a registry or dispatcher writing at the same time wins, and the
// entry is read again and resealed on top of its write, so resealing is
// safe while the services run. Entries already under the current key are
// left alone, so running it again writes nothing.
package reseal

import (
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookwire/hookwire/pkg/seal"
	"github.com/hookwire/hookwire/pkg/subscription"
	"github.com/hookwire/hookwire/services/registry/idempotency"
)

// Report counts what a reseal of one bucket did.
type Report struct {
	Bucket    string   `json:"bucket"`
	Entries   int      `json:"entries"`   // entries read
	Rewritten int      `json:"rewritten"` // entries written back (or, dry run, to write)
	Values    int      `json:"values"`    // sealed values resealed
	Conflicts int      `json:"conflicts"` // writes redone because the entry changed meanwhile
	Failed    []string `json:"failed"`    // "key: reason" of entries left as they are; never a value
}

// Options of a reseal.
type Options struct {
	// DryRun reads and opens everything and counts what would be rewritten,
	// writing nothing.
	DryRun bool
}

// rewrite returns an entry's value with its sealed values under the
// current key and how many it changed (0: nothing to write).
type rewrite func(key string, value []byte) ([]byte, int, error)

// All reseals the subscriptions bucket, then the remembered responses. A
// bucket that does not exist yet holds nothing to reseal.
func All(ctx context.Context, js jetstream.JetStream, box *seal.Box, o Options) ([]Report, error) {
	var reports []Report
	for _, b := range []struct {
		name string
		fn   rewrite
	}{
		{subscription.Bucket, func(_ string, v []byte) ([]byte, int, error) { return subscription.ResealRecord(v, box) }},
		{idempotency.Bucket, func(k string, v []byte) ([]byte, int, error) { return idempotency.ResealValue(k, v, box) }},
	} {
		kv, err := js.KeyValue(ctx, b.name)
		if errors.Is(err, jetstream.ErrBucketNotFound) {
			reports = append(reports, Report{Bucket: b.name})
			continue
		}
		if err != nil {
			return reports, fmt.Errorf("open kv bucket %s: %w", b.name, err)
		}
		r, err := bucket(ctx, kv, b.fn, o)
		reports = append(reports, r)
		if err != nil {
			return reports, err
		}
	}
	return reports, nil
}

// bucket reseals every entry of kv with fn.
func bucket(ctx context.Context, kv jetstream.KeyValue, fn rewrite, o Options) (Report, error) {
	r := Report{Bucket: kv.Bucket()}
	keys, err := kv.ListKeys(ctx)
	if err != nil {
		return r, fmt.Errorf("list %s: %w", r.Bucket, err)
	}
	defer func() { _ = keys.Stop() }()
	for key := range keys.Keys() {
		if err := entry(ctx, kv, key, fn, o, &r); err != nil {
			return r, err
		}
	}
	if err := ctx.Err(); err != nil {
		return r, err
	}
	return r, nil
}

// entry reseals one key, reading it again after every lost compare-and-set.
func entry(ctx context.Context, kv jetstream.KeyValue, key string, fn rewrite, o Options, r *Report) error {
	counted := false
	for {
		e, err := kv.Get(ctx, key)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			return nil // deleted (or expired) meanwhile
		}
		if err != nil {
			return fmt.Errorf("get %s/%s: %w", r.Bucket, key, err)
		}
		if !counted {
			r.Entries++
			counted = true
		}
		out, n, err := fn(key, e.Value())
		if err != nil {
			r.Failed = append(r.Failed, key+": "+err.Error())
			return nil
		}
		if n == 0 {
			return nil
		}
		if o.DryRun {
			r.Rewritten++
			r.Values += n
			return nil
		}
		_, err = kv.Update(ctx, key, out, e.Revision())
		if errors.Is(err, jetstream.ErrKeyRevisionMismatch) || errors.Is(err, jetstream.ErrKeyExists) {
			r.Conflicts++ // replicated buckets report a lost compare-and-set as ErrKeyExists
			continue
		}
		if err != nil {
			return fmt.Errorf("update %s/%s: %w", r.Bucket, key, err)
		}
		r.Rewritten++
		r.Values += n
		return nil
	}
}
