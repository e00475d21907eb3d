package daemon

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

// Check reports why the process is not ready, or nil.
type Check func(ctx context.Context) error

// NATSCheck fails while nc is not connected (reconnecting or closed).
func NATSCheck(nc *nats.Conn) Check {
	return func(context.Context) error {
		if !nc.IsConnected() {
			return fmt.Errorf("nats: %s", nc.Status())
		}
		return nil
	}
}

// RedisCheck fails when Redis does not answer PING within a second.
func RedisCheck(rdb redis.UniversalClient) Check {
	return func(ctx context.Context) error {
		ctx, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		if err := rdb.Ping(ctx).Err(); err != nil {
			return fmt.Errorf("redis: %w", err)
		}
		return nil
	}
}

// ReadyCheck fails until ready is closed (a service loading its state).
func ReadyCheck(what string, ready <-chan struct{}) Check {
	return func(context.Context) error {
		select {
		case <-ready:
			return nil
		default:
			return fmt.Errorf("%s: starting", what)
		}
	}
}

// HTTPServer serves /healthz (200 while the process is up), /readyz (200
// only when every check passes, else 503 with the reasons) and, when a
// handler is given, /metrics.
type HTTPServer struct {
	srv *http.Server
	mux *http.ServeMux
	lis net.Listener
}

// NewHTTPServer binds addr.
func NewHTTPServer(addr string, metrics http.Handler, checks ...Check) (*HTTPServer, error) {
	lis, err := listen(addr)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		var errs []error
		for _, c := range checks {
			errs = append(errs, c(r.Context()))
		}
		if err := errors.Join(errs...); err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ready")
	})
	if metrics != nil {
		mux.Handle("GET /metrics", metrics)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	return &HTTPServer{srv: srv, mux: mux, lis: lis}, nil
}

// Handle serves handler at pattern beside the health endpoints (hookwire
// dev mounts the console at /console/); call it before Run.
func (h *HTTPServer) Handle(pattern string, handler http.Handler) { h.mux.Handle(pattern, handler) }

func listen(addr string) (net.Listener, error) {
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen http %s: %w", addr, err)
	}
	return lis, nil
}

// Addr is the bound address.
func (h *HTTPServer) Addr() string { return h.lis.Addr().String() }

// Run serves until ctx ends, then shuts down within stopTimeout.
func (h *HTTPServer) Run(ctx context.Context) error {
	errc := make(chan error, 1)
	go func() { errc <- h.srv.Serve(h.lis) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve http: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), stopTimeout)
	defer cancel()
	if err := h.srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("stop http: %w", err)
	}
	return nil
}
