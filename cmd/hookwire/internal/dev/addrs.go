package dev

import (
	"context"
	"net/url"
)

// GRPCAddr is the bound gRPC address of all three services.
func (s *Stack) GRPCAddr() string { return s.grpc.Addr() }

// HTTPAddr is the bound address of /healthz, /readyz and /metrics.
func (s *Stack) HTTPAddr() string { return s.http.Addr() }

// NATSURL is the client URL of the embedded NATS server.
func (s *Stack) NATSURL() string { return s.nats.ClientURL() }

// RedisURL is the Redis in use; RedisEmbedded tells whether it is miniredis.
func (s *Stack) RedisURL() string { return s.redis.URL }

// RedisEmbedded reports whether Redis is the in-process miniredis.
func (s *Stack) RedisEmbedded() bool { return s.redis.Embedded() }

// DeliveryLog says where the delivery log is kept, without credentials:
// "PostgreSQL host:port/db" or "embedded".
func (s *Stack) DeliveryLog() string {
	if s.opts.DeliveryLogURL == "" {
		return "embedded"
	}
	u, err := url.Parse(s.opts.DeliveryLogURL)
	if err != nil {
		return "PostgreSQL"
	}
	return "PostgreSQL " + u.Host + u.Path
}

// DataDir is the absolute data directory.
func (s *Stack) DataDir() string { return s.opts.DataDir }

// DevAuth reports whether callers are let in without a token.
func (s *Stack) DevAuth() bool { return s.devAuth }

// WaitReady blocks until every service that loads state at start (the
// registry and dispatcher subscription indexes, the ingest catalog) is
// serving, or ctx ends. Run must be running.
func (s *Stack) WaitReady(ctx context.Context) error {
	for _, r := range s.ready {
		select {
		case <-r:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}
