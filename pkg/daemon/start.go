package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/redis/go-redis/v9"
	"golang.org/x/sync/errgroup"

	"github.com/hookwire/hookwire/pkg/auth"
	"github.com/hookwire/hookwire/pkg/grpcserver"
	"github.com/hookwire/hookwire/pkg/telemetry"
)

// stopTimeout bounds each clean-up step after the context ends.
const stopTimeout = 5 * time.Second

// Daemon is a started process: everything is connected and both listeners
// are bound; Run serves.
type Daemon struct {
	name     string
	log      *slog.Logger
	svc      Service
	grpc     *grpcserver.Server
	http     *HTTPServer
	pprof    *HTTPServer // nil unless HOOKWIRE_PPROF_ADDR is set
	nc       *nats.Conn
	rdb      *redis.Client
	shutdown func(context.Context) error // telemetry
}

// Start sets up telemetry, connects NATS (and Redis), builds the service and
// binds the gRPC and HTTP listeners. On error whatever was started is
// closed again.
func Start(ctx context.Context, p Program, log *slog.Logger) (_ *Daemon, err error) {
	httpAddr, err := HTTPAddr(p.Name)
	if err != nil {
		return nil, err
	}
	proc, err := p.Configure()
	if err != nil {
		return nil, err
	}
	grace, err := ShutdownGrace()
	if err != nil {
		return nil, err
	}
	d := &Daemon{name: p.Name, log: log}
	defer func() {
		if err != nil {
			d.close()
		}
	}()
	tel, shutdown, err := telemetry.Setup(ctx, "hookwire-"+p.Name, p.Version, p.Telemetry...)
	if err != nil {
		return nil, err
	}
	d.shutdown = shutdown
	authn, err := authenticator(proc, log)
	if err != nil {
		return nil, err
	}
	if d.nc, err = connectNATS(ctx, proc.NATSURL, "hookwire-"+p.Name, log); err != nil {
		return nil, err
	}
	js, err := jetstream.New(d.nc)
	if err != nil {
		return nil, fmt.Errorf("jetstream: %w", err)
	}
	checks := []Check{NATSCheck(d.nc)}
	if proc.RedisURL != "" {
		opts, err := redis.ParseURL(proc.RedisURL)
		if err != nil {
			return nil, fmt.Errorf("HOOKWIRE_REDIS_URL: %w", err)
		}
		d.rdb = redis.NewClient(opts)
		checks = append(checks, RedisCheck(d.rdb))
	}
	if d.svc, err = proc.Build(ctx, Deps{NATS: d.nc, JS: js, Redis: d.rdb, Logger: log, Telemetry: tel}); err != nil {
		return nil, err
	}
	if r, ok := d.svc.(Readier); ok {
		checks = append(checks, ReadyCheck(p.Name, r.Ready()))
	}
	opts := grpcserver.Interceptors(authn, d.svc.AuthRules())
	if d.grpc, err = grpcserver.New(proc.GRPCAddr, opts...); err != nil {
		return nil, err
	}
	d.grpc.SetGrace(grace)
	d.svc.Register(d.grpc.GRPC)
	if d.http, err = NewHTTPServer(httpAddr, tel.Metrics, checks...); err != nil {
		return nil, err
	}
	if d.pprof, err = newPprofServer(); err != nil {
		return nil, err
	}
	if d.pprof != nil {
		log.Warn("serving runtime profiles", "pprof", d.pprof.Addr())
	}
	log.Info(p.Name+" listening", "grpc", d.grpc.Addr(), "http", d.http.Addr(), "dev", proc.Dev)
	return d, nil
}

func authenticator(p Process, log *slog.Logger) (*auth.Authenticator, error) {
	if p.TokensFile != "" {
		return auth.LoadFile(p.TokensFile)
	}
	if !p.Dev {
		return nil, errors.New("HOOKWIRE_TOKENS_FILE is required (set HOOKWIRE_DEV=true to run without tokens)")
	}
	log.Warn("HOOKWIRE_DEV=true and no tokens file: every caller is let in unauthenticated as root")
	return auth.Dev(), nil
}

// GRPCAddr is the bound gRPC address.
func (d *Daemon) GRPCAddr() string { return d.grpc.Addr() }

// HTTPAddr is the bound address of /healthz, /readyz and /metrics.
func (d *Daemon) HTTPAddr() string { return d.http.Addr() }

// Run serves until ctx ends or a part fails, then stops in order: the gRPC
// server drains in-flight calls, the service stops, the HTTP server stops,
// NATS drains and telemetry is flushed, each step bounded.
func (d *Daemon) Run(ctx context.Context) error {
	svcCtx, stopService := context.WithCancel(context.WithoutCancel(ctx))
	defer stopService()
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		defer stopService()
		return d.grpc.Run(gctx)
	})
	g.Go(func() error { return d.http.Run(gctx) })
	if d.pprof != nil {
		g.Go(func() error { return d.pprof.Run(gctx) })
	}
	g.Go(func() error {
		err := d.svc.Run(svcCtx)
		if errors.Is(err, context.Canceled) {
			err = nil
		}
		if err == nil && gctx.Err() == nil {
			err = fmt.Errorf("%s stopped on its own", d.name)
		}
		return err
	})
	err := g.Wait()
	d.log.Info(d.name + " stopped serving; closing connections")
	d.close()
	return err
}

// close drains NATS, closes Redis and flushes telemetry, within stopTimeout.
func (d *Daemon) close() {
	if d.nc != nil {
		if err := drain(d.nc); err != nil {
			d.log.Warn("nats drain", "error", err)
		}
	}
	if d.rdb != nil {
		_ = d.rdb.Close()
	}
	if d.shutdown != nil {
		ctx, cancel := context.WithTimeout(context.Background(), stopTimeout)
		defer cancel()
		if err := d.shutdown(ctx); err != nil {
			d.log.Warn("telemetry shutdown", "error", err)
		}
	}
}

// drain drains nc, waiting up to stopTimeout for it to close.
func drain(nc *nats.Conn) error {
	closed := make(chan struct{})
	nc.SetClosedHandler(func(*nats.Conn) { close(closed) })
	if err := nc.Drain(); err != nil {
		nc.Close()
		return err
	}
	select {
	case <-closed:
		return nil
	case <-time.After(stopTimeout):
		nc.Close()
		return errors.New("nats drain timed out")
	}
}

// redactURLs hides the passwords of a comma-separated list of server URLs
// (nats://user:password@host) so that errors and logs can name the servers.
func redactURLs(list string) string {
	parts := strings.Split(list, ",")
	for i, p := range parts {
		if u, err := url.Parse(strings.TrimSpace(p)); err == nil && u.User != nil {
			if _, has := u.User.Password(); has {
				parts[i] = u.Redacted()
			} else {
				u.User = url.User("xxxxx") // a bare token in the user part
				parts[i] = u.String()
			}
		}
	}
	return strings.Join(parts, ",")
}
