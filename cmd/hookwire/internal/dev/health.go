package dev

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/redis/go-redis/v9"
)

// healthServer serves /healthz, /readyz and, when given, /metrics.
type healthServer struct {
	srv *http.Server
	lis net.Listener
}

// newHealthServer binds addr. /healthz answers 200 while the process is up;
// /readyz answers 200 only when NATS is connected and Redis answers PING.
// metrics, when not nil, is mounted at /metrics.
func newHealthServer(addr string, nc *nats.Conn, rdb *redis.Client, metrics http.Handler) (*healthServer, error) {
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen http %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if err := ready(r.Context(), nc, rdb); err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ready")
	})
	if metrics != nil {
		mux.Handle("GET /metrics", metrics)
	}
	return &healthServer{srv: &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}, lis: lis}, nil
}

func ready(ctx context.Context, nc *nats.Conn, rdb *redis.Client) error {
	if !nc.IsConnected() {
		return errors.New("nats: not connected")
	}
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	if err := rdb.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("redis: %w", err)
	}
	return nil
}

// Addr is the bound address.
func (h *healthServer) Addr() string { return h.lis.Addr().String() }

// Run serves until ctx ends, then shuts down within 5 s.
func (h *healthServer) Run(ctx context.Context) error {
	errc := make(chan error, 1)
	go func() { errc <- h.srv.Serve(h.lis) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve http: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := h.srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("stop http: %w", err)
	}
	return nil
}
