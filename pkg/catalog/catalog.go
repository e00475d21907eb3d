// Package catalog is the event-type catalog as stored in its JetStream KV
// bucket: the registry writes it, ingest reads it to reject unknown types.
package catalog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookwire/hookwire/pkg/bus"
	"github.com/hookwire/hookwire/pkg/kvwatch"
)

// Bucket holds one EventType per key; the key is the type name.
const Bucket = "hookwire_event_types"

var (
	ErrNotFound = errors.New("event type not found")
	ErrExists   = errors.New("event type already exists")
)

// EventType is a catalogued event type.
type EventType struct {
	Name        string    `json:"name"`
	Description string    `json:"description,omitempty"`
	Deprecated  bool      `json:"deprecated,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
}

// Catalog reads and writes the bucket.
type Catalog struct {
	kv jetstream.KeyValue
}

// Open creates the bucket if needed.
func Open(ctx context.Context, js jetstream.JetStream, replicas int) (*Catalog, error) {
	kv, err := bus.EnsureKeyValue(ctx, js, jetstream.KeyValueConfig{
		Bucket:      Bucket,
		Description: "Hookwire event-type catalog",
		History:     1,
		Storage:     jetstream.FileStorage,
		Replicas:    max(replicas, 1),
	})
	if err != nil {
		return nil, fmt.Errorf("open kv bucket %s: %w", Bucket, err)
	}
	return &Catalog{kv: kv}, nil
}

// KV exposes the bucket, for watchers.
func (c *Catalog) KV() jetstream.KeyValue { return c.kv }

// Create stores a new event type.
func (c *Catalog) Create(ctx context.Context, et EventType) error {
	b, err := json.Marshal(et)
	if err != nil {
		return fmt.Errorf("encode event type %s: %w", et.Name, err)
	}
	if _, err := c.kv.Create(ctx, et.Name, b); err != nil {
		if errors.Is(err, jetstream.ErrKeyExists) {
			return ErrExists
		}
		return fmt.Errorf("create event type %s: %w", et.Name, err)
	}
	return nil
}

// Get returns one event type.
func (c *Catalog) Get(ctx context.Context, name string) (EventType, error) {
	e, err := c.kv.Get(ctx, name)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return EventType{}, ErrNotFound
	}
	if err != nil {
		return EventType{}, fmt.Errorf("get event type %s: %w", name, err)
	}
	var et EventType
	if err := json.Unmarshal(e.Value(), &et); err != nil {
		return EventType{}, fmt.Errorf("decode event type %s: %w", name, err)
	}
	return et, nil
}

// List returns every event type (the catalog is small: hundreds of entries).
func (c *Catalog) List(ctx context.Context) ([]EventType, error) {
	lister, err := c.kv.ListKeys(ctx)
	if err != nil {
		return nil, fmt.Errorf("list event types: %w", err)
	}
	var out []EventType
	for name := range lister.Keys() {
		et, err := c.Get(ctx, name)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, et)
	}
	return out, nil
}

// Watch calls put for every stored type and each later change, and del for
// deletions, until ctx ends. synced is called once the replay is done.
// Values that do not decode are skipped.
func (c *Catalog) Watch(ctx context.Context, put func(EventType), del func(name string), synced func()) error {
	return kvwatch.Run(ctx, c.kv,
		func(e jetstream.KeyValueEntry) {
			var et EventType
			if json.Unmarshal(e.Value(), &et) == nil {
				put(et)
			}
		},
		func(key string, _ uint64) { del(key) },
		synced)
}
