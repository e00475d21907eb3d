// Package grpcserver is the gRPC server every Hookwire service runs: the
// listener is bound in New, server reflection and grpc.health.v1 are always
// registered, and Run serves until its context ends, then stops gracefully.
package grpcserver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/hookwire/hookwire/pkg/auth"
	"github.com/hookwire/hookwire/pkg/reqmeta"
)

// Server is a bound gRPC server.
type Server struct {
	GRPC   *grpc.Server
	Health *health.Server
	lis    net.Listener
	grace  time.Duration
	codec  *utf8Codec
}

// New binds addr and builds the server with opts. Register services on
// s.GRPC before calling Run. Every server answers a request with invalid
// UTF-8 in a string field with INVALID_ARGUMENT naming the fields (grpc-go
// alone answers INTERNAL); that codec's interceptors come first, so opts
// must not set grpc.UnaryInterceptor or grpc.StreamInterceptor (which would
// run before them): use Interceptors.
func New(addr string, opts ...grpc.ServerOption) (*Server, error) {
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen grpc %s: %w", addr, err)
	}
	c := newUTF8Codec()
	g := grpc.NewServer(append(c.options(), opts...)...)
	h := health.NewServer()
	healthpb.RegisterHealthServer(g, h)
	registerReflection(g)
	return &Server{GRPC: g, Health: h, lis: lis, grace: 10 * time.Second, codec: c}, nil
}

// Addr is the bound address (useful with port 0).
func (s *Server) Addr() string { return s.lis.Addr().String() }

// SetGrace sets how long Run drains the calls in flight once its context
// ends (default 10 s; the daemon passes HOOKWIRE_SHUTDOWN_GRACE). Call it
// before Run.
func (s *Server) SetGrace(d time.Duration) { s.grace = d }

// Run serves until ctx ends, then drains in-flight calls for up to 10 s
// before stopping hard.
func (s *Server) Run(ctx context.Context) error {
	errc := make(chan error, 1)
	go func() { errc <- s.GRPC.Serve(s.lis) }()
	select {
	case err := <-errc:
		if errors.Is(err, grpc.ErrServerStopped) {
			return nil
		}
		return fmt.Errorf("serve grpc: %w", err)
	case <-ctx.Done():
	}
	s.Health.Shutdown()
	done := make(chan struct{})
	go func() { s.GRPC.GracefulStop(); close(done) }()
	select {
	case <-done:
	case <-time.After(s.grace):
		s.GRPC.Stop()
	}
	return nil
}

// Interceptors returns the server options every Hookwire gRPC server uses:
// the OTel stats handler (server spans and RPC metrics), request metadata
// (x-request-id, x-user-id), then authentication and authorization by
// rules. Extra options are appended.
func Interceptors(a *auth.Authenticator, rules auth.Rules, extra ...grpc.ServerOption) []grpc.ServerOption {
	opts := []grpc.ServerOption{
		grpc.StatsHandler(otelgrpc.NewServerHandler()),
		grpc.ChainUnaryInterceptor(reqmeta.UnaryInterceptor(), a.UnaryInterceptor(rules)),
		grpc.ChainStreamInterceptor(reqmeta.StreamInterceptor(), a.StreamInterceptor(rules)),
	}
	return append(opts, extra...)
}
