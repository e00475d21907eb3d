// Package daemon is the process wiring shared by the registry, ingest and
// dispatcher binaries, so each main only says what is particular to its
// service. Main (or Start + Run) does, in order: OpenTelemetry from the
// OTEL_* environment (telemetry.Setup), a JSON slog logger with trace ids
// (level from HOOKWIRE_LOG_LEVEL), the NATS connection (reconnecting
// forever), Redis when the service uses it, token authentication
// (HOOKWIRE_TOKENS_FILE, or auth.Dev with a warning in dev mode), the gRPC
// server with the OTel stats handler, and the HTTP server of /healthz,
// /readyz and /metrics (HOOKWIRE_HTTP_ADDR). Run serves everything under
// one errgroup until the context ends, then stops in order with bounded
// timeouts: gRPC drains, the service stops, NATS drains, telemetry flushes.
//
// A binary started with the argument -healthcheck instead asks its own
// /healthz and exits 0 or 1, so distroless containers can check themselves.
package daemon

import (
	"context"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/redis/go-redis/v9"
	"google.golang.org/grpc"

	"github.com/hookwire/hookwire/pkg/auth"
	"github.com/hookwire/hookwire/pkg/telemetry"
)

// Program is one service binary.
type Program struct {
	// Name is the service's short name: "registry", "ingest" or
	// "dispatcher". It names the telemetry service ("hookwire-<name>",
	// unless OTEL_SERVICE_NAME says otherwise), the NATS connection and the
	// default HTTP address (DefaultHTTPAddr).
	Name string
	// Version is reported as service.version.
	Version string
	// Configure reads the service's configuration (its ConfigFromEnv) and
	// says what the process must connect to and how to build the service.
	Configure func() (Process, error)
	// Telemetry options passed to telemetry.Setup (tests add span processors).
	Telemetry []telemetry.Option
}

// Process is what a service needs from its process, taken from its Config.
type Process struct {
	GRPCAddr   string
	NATSURL    string
	RedisURL   string // empty: the service uses no Redis
	TokensFile string // empty is allowed only with Dev
	Dev        bool
	// Build constructs the service over the connected dependencies.
	Build func(ctx context.Context, d Deps) (Service, error)
}

// Deps are the connections the daemon made for the service.
type Deps struct {
	NATS      *nats.Conn
	JS        jetstream.JetStream
	Redis     *redis.Client // nil unless Process.RedisURL is set
	Logger    *slog.Logger
	Telemetry *telemetry.Providers
}

// Service is what every Hookwire service offers its process.
type Service interface {
	Register(grpc.ServiceRegistrar)
	AuthRules() auth.Rules
	Run(ctx context.Context) error
}

// Readier is implemented by services that load state before they can
// serve; /readyz answers 503 until Ready is closed.
type Readier interface {
	Ready() <-chan struct{}
}

// Main runs p as the process's main: -healthcheck mode, signal handling,
// logging of a fatal error and the exit code. It does not return.
func Main(p Program) {
	if IsHealthcheck(os.Args[1:]) {
		os.Exit(Healthcheck(p.Name))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	level, err := LogLevel()
	log := telemetry.NewLogger(os.Stderr, level, p.Name)
	telemetry.RouteLibraryLogs(log)
	if err == nil {
		err = run(ctx, p, log)
	}
	stop()
	if err != nil {
		log.Error(p.Name+" stopped", "error", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, p Program, log *slog.Logger) error {
	d, err := Start(ctx, p, log)
	if err != nil {
		return err
	}
	return d.Run(ctx)
}
