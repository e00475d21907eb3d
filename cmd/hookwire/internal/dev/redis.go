package dev

import (
	"context"
	"fmt"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

// redisStore is the Redis the services use: a real one at a URL, or an
// embedded miniredis on a free loopback port.
type redisStore struct {
	Client   *redis.Client
	URL      string
	embedded *miniredis.Miniredis
}

// openRedis connects to url, or starts miniredis when url is empty.
// miniredis keeps its data in memory only: dedup keys and rate-limit state
// start empty after a restart (JetStream data does not).
func openRedis(ctx context.Context, url string) (*redisStore, error) {
	r := &redisStore{URL: url}
	if url == "" {
		m := miniredis.NewMiniRedis()
		if err := m.StartAddr("127.0.0.1:0"); err != nil {
			return nil, fmt.Errorf("embedded redis: %w", err)
		}
		r.embedded, r.URL = m, "redis://"+m.Addr()
	}
	opts, err := redis.ParseURL(r.URL)
	if err != nil {
		r.close()
		return nil, fmt.Errorf("HOOKWIRE_REDIS_URL: %w", err)
	}
	r.Client = redis.NewClient(opts)
	if err := r.Client.Ping(ctx).Err(); err != nil {
		r.close()
		return nil, fmt.Errorf("ping redis %s: %w", opts.Addr, err)
	}
	return r, nil
}

// Embedded reports whether the store is the in-process miniredis.
func (r *redisStore) Embedded() bool { return r.embedded != nil }

func (r *redisStore) close() {
	if r.Client != nil {
		_ = r.Client.Close()
	}
	if r.embedded != nil {
		r.embedded.Close()
	}
}
