package dev

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

// redisStore is the Redis the services use: a real one at a URL, or an
// embedded miniredis on a free loopback port.
type redisStore struct {
	Client   *redis.Client
	URL      string
	embedded *miniredis.Miniredis
	snapshot string // where the embedded data is saved on close
}

// openRedis connects to url, or, when url is empty, starts miniredis on a
// free loopback port with key expiry following the wall clock (as in a real
// Redis) and the data of the last run restored from snapshot.
func openRedis(ctx context.Context, url, snapshot string) (*redisStore, error) {
	r := &redisStore{URL: url}
	if url == "" {
		m := miniredis.NewMiniRedis()
		m.ClockTTL(true)
		if _, err := loadRedis(m, snapshot); err != nil {
			return nil, err
		}
		if err := m.StartAddr("127.0.0.1:0"); err != nil {
			return nil, fmt.Errorf("embedded redis: %w", err)
		}
		r.embedded, r.URL, r.snapshot = m, "redis://"+m.Addr(), snapshot
	}
	opts, err := redis.ParseURL(r.URL)
	if err != nil {
		_ = r.close()
		return nil, fmt.Errorf("HOOKWIRE_REDIS_URL: %w", err)
	}
	r.Client = redis.NewClient(opts)
	if err := r.Client.Ping(ctx).Err(); err != nil {
		_ = r.close()
		return nil, fmt.Errorf("ping redis %s: %w", opts.Addr, err)
	}
	return r, nil
}

// snapshotEvery is how often the embedded Redis is saved while running: like
// a real Redis with `appendfsync everysec`, a crash loses at most about a
// second of writes (a retry scheduled in that second), never everything
// since the last clean stop.
const snapshotEvery = time.Second

// Run saves the embedded data every snapshotEvery until ctx ends; for a real
// Redis it only waits.
func (r *redisStore) Run(ctx context.Context, log *slog.Logger) error {
	if r.embedded == nil || r.snapshot == "" {
		<-ctx.Done()
		return nil
	}
	t := time.NewTicker(snapshotEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			if err := saveRedis(r.embedded, r.snapshot); err != nil {
				log.Warn("hookwire dev: saving the embedded Redis failed", "error", err)
			}
		}
	}
}

// Embedded reports whether the store is the in-process miniredis.
func (r *redisStore) Embedded() bool { return r.embedded != nil }

// close disconnects and, for the embedded server, saves its data and stops it.
func (r *redisStore) close() error {
	if r.Client != nil {
		_ = r.Client.Close()
	}
	if r.embedded == nil {
		return nil
	}
	r.embedded.Close()
	if r.snapshot == "" {
		return nil
	}
	return saveRedis(r.embedded, r.snapshot)
}
