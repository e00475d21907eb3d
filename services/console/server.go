package console

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/hookwire/hookwire/pkg/daemon"
)

// Dial makes a client connection to a Hookwire gRPC server, traced.
func Dial(addr string) (*grpc.ClientConn, error) {
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithStatsHandler(otelgrpc.NewClientHandler()))
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", addr, err)
	}
	return conn, nil
}

// Server is the console's own process: the console at BasePath (any other
// GET, "/" included, redirects to the same path under BasePath) and
// /healthz, /readyz, /metrics on cfg.Addr.
type Server struct {
	http  *daemon.HTTPServer
	conns []*grpc.ClientConn
}

// NewServer dials the registry and dispatcher and binds cfg.Addr.
func NewServer(cfg Config, log *slog.Logger, metrics http.Handler) (_ *Server, err error) {
	s := &Server{}
	defer func() {
		if err != nil {
			s.close()
		}
	}()
	reg, err := Dial(cfg.RegistryAddr)
	if err != nil {
		return nil, err
	}
	s.conns = append(s.conns, reg)
	disp, err := Dial(cfg.DispatcherAddr)
	if err != nil {
		return nil, err
	}
	s.conns = append(s.conns, disp)
	c, err := New(cfg, Deps{Registry: reg, Dispatcher: disp, Logger: log})
	if err != nil {
		return nil, err
	}
	s.http, err = daemon.NewHTTPServer(cfg.Addr, metrics, healthCheck("registry", reg), healthCheck("dispatcher", disp))
	if err != nil {
		return nil, err
	}
	s.http.Handle(BasePath, c)
	s.http.Handle("GET /{$}", http.RedirectHandler(BasePath, http.StatusFound))
	s.http.Handle("/{path...}", http.HandlerFunc(toBasePath))
	return s, nil
}

// toBasePath redirects a GET of a console page addressed from the root
// (/subscriptions/{id}: HOOKWIRE_CONSOLE_URL set to this process's root
// URL rather than its /console) to that page under BasePath.
func toBasePath(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		http.NotFound(w, r)
		return
	}
	target := BasePath + strings.TrimPrefix(r.URL.EscapedPath(), "/")
	if r.URL.RawQuery != "" {
		target += "?" + r.URL.RawQuery
	}
	http.Redirect(w, r, target, http.StatusFound)
}

// Addr is the bound address.
func (s *Server) Addr() string { return s.http.Addr() }

// Run serves until ctx ends.
func (s *Server) Run(ctx context.Context) error {
	defer s.close()
	return s.http.Run(ctx)
}

func (s *Server) close() {
	for _, c := range s.conns {
		_ = c.Close()
	}
}

// healthCheck fails while the named service does not answer SERVING.
func healthCheck(name string, conn *grpc.ClientConn) daemon.Check {
	client := healthpb.NewHealthClient(conn)
	return func(ctx context.Context) error {
		ctx, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		resp, err := client.Check(ctx, &healthpb.HealthCheckRequest{})
		if err == nil && resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
			err = errors.New(resp.GetStatus().String())
		}
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		return nil
	}
}
