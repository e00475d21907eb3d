package deliverylog

import (
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
)

// create writes a new record built from d's identity; it returns
// jetstream.ErrKeyExists untouched when the key is taken.
func (l *Log) create(ctx context.Context, key string, d Delivery, change func(*Delivery) error) (Delivery, error) {
	now := l.now().UTC()
	fresh := Delivery{
		ID: d.ID, EventID: d.EventID, EventType: d.EventType, SubscriptionID: d.SubscriptionID,
		Scope: d.Scope, SubscriptionScope: d.SubscriptionScope, EventSeq: d.EventSeq, State: Pending, CreatedAt: now, UpdatedAt: now,
	}
	if !d.CreatedAt.IsZero() {
		fresh.CreatedAt = d.CreatedAt.UTC()
	}
	if err := change(&fresh); err != nil {
		return Delivery{}, err
	}
	buf := bufs.Get().(*[]byte)
	b, err := appendRecord((*buf)[:0], fresh)
	defer recycle(buf, b)
	if err != nil {
		return Delivery{}, fmt.Errorf("encode delivery %s: %w", fresh.ID, err)
	}
	if err := l.put(ctx, key, b, 0); err != nil {
		if errors.Is(err, jetstream.ErrKeyExists) {
			return Delivery{}, jetstream.ErrKeyExists
		}
		return Delivery{}, fmt.Errorf("create delivery %s: %w", fresh.ID, err)
	}
	return fresh, nil
}

// update is the compare-and-set loop. With a non-empty identity in seed, a
// missing record is created from it (a writer racing a first attempt);
// otherwise a missing record is ErrNotFound.
func (l *Log) update(ctx context.Context, key string, seed Delivery, change func(*Delivery) error) (Delivery, error) {
	for {
		cur, rev, err := l.get(ctx, key)
		if errors.Is(err, ErrNotFound) && seed.ID != "" {
			fresh, err := l.create(ctx, key, seed, change)
			if errors.Is(err, jetstream.ErrKeyExists) {
				continue // somebody created it first: update theirs
			}
			return fresh, err
		}
		if err != nil {
			return Delivery{}, err
		}
		if err := change(&cur); err != nil {
			return Delivery{}, err
		}
		cur.UpdatedAt = l.now().UTC()
		buf := bufs.Get().(*[]byte)
		b, err := appendRecord((*buf)[:0], cur)
		if err != nil {
			return Delivery{}, fmt.Errorf("encode delivery %s: %w", cur.ID, err)
		}
		err = l.put(ctx, key, b, rev)
		recycle(buf, b)
		if err == nil {
			return cur, nil
		}
		if !isWrongRevision(err) {
			return Delivery{}, fmt.Errorf("update delivery %s: %w", cur.ID, err)
		}
		if err := ctx.Err(); err != nil {
			return Delivery{}, fmt.Errorf("update delivery %s: %w", cur.ID, err)
		}
	}
}

// get reads and decodes one record and its revision.
func (l *Log) get(ctx context.Context, key string) (Delivery, uint64, error) {
	e, err := l.kv.Get(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return Delivery{}, 0, ErrNotFound
	}
	if err != nil {
		return Delivery{}, 0, fmt.Errorf("get delivery %s: %w", key, err)
	}
	d, err := decode(e.Value())
	if err != nil {
		return Delivery{}, 0, fmt.Errorf("get delivery %s: %w", key, err)
	}
	return d, e.Revision(), nil
}

// keyOf maps a delivery id to its KV key "<subID>.<eventKey>".
func keyOf(id string) (string, error) {
	sub, ek, err := ParseID(id)
	if err != nil {
		return "", err
	}
	return sub + "." + ek, nil
}

func isWrongRevision(err error) bool {
	return errors.Is(err, jetstream.ErrKeyRevisionMismatch)
}
