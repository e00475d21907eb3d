package subscription

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookwire/hookwire/pkg/bus"
)

// Bucket is the JetStream KV bucket of subscription records, keyed by ID.
const Bucket = "hookwire_subscriptions"

var (
	// ErrNotFound is returned for an ID that has no record.
	ErrNotFound = errors.New("subscription not found")
	// ErrConflict is returned when the stored revision is not the expected one.
	ErrConflict = errors.New("subscription was changed concurrently")
	// ErrExists is returned by Create for an ID already stored.
	ErrExists = errors.New("subscription already exists")
)

// Store reads and writes records in the KV bucket.
type Store struct {
	kv jetstream.KeyValue
}

// BucketConfig is the bucket's configuration; replicas is 1 for a single
// server and 3 for a cluster.
func BucketConfig(replicas int) jetstream.KeyValueConfig {
	return jetstream.KeyValueConfig{
		Bucket:      Bucket,
		Description: "Hookwire subscriptions (secrets sealed)",
		History:     1,
		Storage:     jetstream.FileStorage,
		Replicas:    max(replicas, 1),
	}
}

// Open creates the bucket if needed and returns a Store over it.
func Open(ctx context.Context, js jetstream.JetStream, replicas int) (*Store, error) {
	kv, err := bus.EnsureKeyValue(ctx, js, BucketConfig(replicas))
	if err != nil {
		return nil, fmt.Errorf("open kv bucket %s: %w", Bucket, err)
	}
	return &Store{kv: kv}, nil
}

// KV exposes the bucket, for watchers.
func (s *Store) KV() jetstream.KeyValue { return s.kv }

// Get returns the record and its revision.
func (s *Store) Get(ctx context.Context, id string) (Record, uint64, error) {
	e, err := s.kv.Get(ctx, id)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return Record{}, 0, ErrNotFound
	}
	if err != nil {
		return Record{}, 0, fmt.Errorf("get subscription %s: %w", id, err)
	}
	rec, err := Decode(e.Value())
	if err != nil {
		return Record{}, 0, fmt.Errorf("get subscription %s: %w", id, err)
	}
	return rec, e.Revision(), nil
}

// Create stores a new record and returns its revision.
func (s *Store) Create(ctx context.Context, rec Record) (uint64, error) {
	b, err := json.Marshal(rec)
	if err != nil {
		return 0, fmt.Errorf("encode subscription %s: %w", rec.ID, err)
	}
	rev, err := s.kv.Create(ctx, rec.ID, b)
	if errors.Is(err, jetstream.ErrKeyExists) {
		return 0, ErrExists
	}
	if err != nil {
		return 0, fmt.Errorf("create subscription %s: %w", rec.ID, err)
	}
	return rev, nil
}

// Update applies change to the stored record and writes it back only if
// nobody wrote in between. With expected > 0 the stored revision must be
// expected (ErrConflict otherwise); with expected == 0 a concurrent write is
// retried on the fresh record, so field-level changes never overwrite each
// other. change may return an error to abort.
func (s *Store) Update(ctx context.Context, id string, expected uint64, now time.Time, change func(*Record) error) (Record, uint64, error) {
	for {
		rec, rev, err := s.Get(ctx, id)
		if err != nil {
			return Record{}, 0, err
		}
		if expected != 0 && rev != expected {
			return Record{}, 0, ErrConflict
		}
		if err := change(&rec); err != nil {
			return Record{}, 0, err
		}
		rec.UpdatedAt = now
		b, err := json.Marshal(rec)
		if err != nil {
			return Record{}, 0, fmt.Errorf("encode subscription %s: %w", id, err)
		}
		newRev, err := s.kv.Update(ctx, id, b, rev)
		if err == nil {
			return rec, newRev, nil
		}
		if !isWrongRevision(err) {
			return Record{}, 0, fmt.Errorf("update subscription %s: %w", id, err)
		}
		if expected != 0 {
			return Record{}, 0, ErrConflict
		}
		if err := ctx.Err(); err != nil {
			return Record{}, 0, err
		}
	}
}

// Delete removes the record; with expected > 0 only at that revision.
func (s *Store) Delete(ctx context.Context, id string, expected uint64) error {
	if _, _, err := s.Get(ctx, id); err != nil {
		return err
	}
	var opts []jetstream.KVDeleteOpt
	if expected != 0 {
		opts = append(opts, jetstream.LastRevision(expected))
	}
	if err := s.kv.Delete(ctx, id, opts...); err != nil {
		if isWrongRevision(err) {
			return ErrConflict
		}
		return fmt.Errorf("delete subscription %s: %w", id, err)
	}
	return nil
}

// Decode parses a stored record.
func Decode(b []byte) (Record, error) {
	var rec Record
	if err := json.Unmarshal(b, &rec); err != nil {
		return Record{}, fmt.Errorf("decode subscription record: %w", err)
	}
	return rec, nil
}

// isWrongRevision recognises a failed compare-and-set. Replicated (R>1)
// buckets report it with another error code than single-replica ones;
// jetstream maps both to ErrKeyRevisionMismatch.
func isWrongRevision(err error) bool {
	return errors.Is(err, jetstream.ErrKeyRevisionMismatch) || errors.Is(err, jetstream.ErrKeyExists)
}
