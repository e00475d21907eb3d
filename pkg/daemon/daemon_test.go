package daemon

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/hookwire/hookwire/pkg/auth"
	"github.com/hookwire/hookwire/pkg/telemetry"
	"github.com/hookwire/hookwire/pkg/testkit"
)

// fakeService loads its state when the test closes ready.
type fakeService struct{ ready chan struct{} }

func (f *fakeService) Register(grpc.ServiceRegistrar) {}
func (f *fakeService) AuthRules() auth.Rules          { return auth.Rules{} }
func (f *fakeService) Ready() <-chan struct{}         { return f.ready }
func (f *fakeService) Run(ctx context.Context) error {
	<-ctx.Done()
	return ctx.Err()
}

// natsAt starts a plain NATS server on port (0 picks one); a test can stop
// it and start another on the same port for the client to reconnect to.
func natsAt(t *testing.T, port int) *server.Server {
	t.Helper()
	if port == 0 {
		port = server.RANDOM_PORT
	}
	s, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: port, NoLog: true, NoSigs: true})
	if err != nil {
		t.Fatal(err)
	}
	s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats not ready")
	}
	t.Cleanup(s.Shutdown)
	return s
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestDaemonHealthReadinessMetricsAndTracing(t *testing.T) {
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "")
	t.Setenv(EnvHTTPAddr, "127.0.0.1:0")
	ns := natsAt(t, 0)
	port := ns.Addr().(*net.TCPAddr).Port
	rd := testkit.StartRedis(t)
	svc := &fakeService{ready: make(chan struct{})}
	spans := tracetest.NewInMemoryExporter()
	prog := Program{
		Name:      "test",
		Telemetry: []telemetry.Option{telemetry.WithSpanProcessor(sdktrace.NewSimpleSpanProcessor(spans))},
		Configure: func() (Process, error) {
			return Process{
				GRPCAddr: "127.0.0.1:0", NATSURL: ns.ClientURL(), RedisURL: "redis://" + rd.Addr, Dev: true,
				Build: func(context.Context, Deps) (Service, error) { return svc, nil },
			}, nil
		},
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	d, err := Start(ctx, prog, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	base := "http://" + d.HTTPAddr()
	ready := func() bool { code, _ := get(t, base+"/readyz"); return code == http.StatusOK }
	notReady := func(why string) func() bool {
		return func() bool {
			code, body := get(t, base+"/readyz")
			return code == http.StatusServiceUnavailable && strings.Contains(body, why)
		}
	}

	if code, _ := get(t, base+"/healthz"); code != http.StatusOK {
		t.Fatalf("/healthz = %d", code)
	}
	if !notReady("test: starting")() {
		t.Fatal("/readyz must be 503 until the service is ready")
	}
	close(svc.ready)
	testkit.Eventually(t, 5*time.Second, ready, "/readyz not OK once the service is ready")

	// NATS down: not ready, still healthy; NATS back on its port: ready again.
	ns.Shutdown()
	ns.WaitForShutdown()
	testkit.Eventually(t, 10*time.Second, notReady("nats"), "/readyz stays OK with NATS down")
	if code, _ := get(t, base+"/healthz"); code != http.StatusOK {
		t.Fatalf("/healthz with NATS down = %d, want 200", code)
	}
	natsAt(t, port)
	testkit.Eventually(t, 15*time.Second, ready, "/readyz not OK after NATS came back")

	// -healthcheck mode (container health checks) asks /readyz.
	t.Setenv(EnvHTTPAddr, d.HTTPAddr())
	if got := Healthcheck("test"); got != 0 {
		t.Fatalf("Healthcheck while ready = %d, want 0", got)
	}

	// Redis down: not ready, and the health check says so.
	rd.Stop()
	testkit.Eventually(t, 10*time.Second, notReady("redis"), "/readyz stays OK with Redis down")
	if got := Healthcheck("test"); got != 1 {
		t.Fatalf("Healthcheck while not ready = %d, want 1", got)
	}

	// The gRPC server traces calls (otelgrpc) and /metrics is served.
	conn, err := grpc.NewClient(d.GRPCAddr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{}); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, 5*time.Second, func() bool {
		for _, s := range spans.GetSpans() {
			if s.Name == "grpc.health.v1.Health/Check" {
				return true
			}
		}
		return false
	}, "no server span for the gRPC health check")
	code, body := get(t, base+"/metrics")
	if code != http.StatusOK || !strings.Contains(body, "rpc_server_call_duration") {
		t.Fatalf("/metrics = %d without the otelgrpc server metric:\n%.2000s", code, body)
	}

	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	if got := Healthcheck("test"); got != 1 {
		t.Fatalf("Healthcheck after stop = %d, want 1", got)
	}
}

func TestStartFailures(t *testing.T) {
	t.Setenv(EnvHTTPAddr, "127.0.0.1:0")
	ns := natsAt(t, 0)
	build := func(context.Context, Deps) (Service, error) { return &fakeService{ready: make(chan struct{})}, nil }
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	tests := []struct {
		name string
		proc Process
		want string
	}{
		{"no tokens outside dev", Process{GRPCAddr: "127.0.0.1:0", NATSURL: ns.ClientURL(), Build: build}, "HOOKWIRE_TOKENS_FILE is required"},
		{"nats unreachable", Process{GRPCAddr: "127.0.0.1:0", NATSURL: "nats://127.0.0.1:1", Dev: true, Build: build}, "connect nats"},
		{"bad redis url", Process{GRPCAddr: "127.0.0.1:0", NATSURL: ns.ClientURL(), RedisURL: "http://x", Dev: true, Build: build}, "HOOKWIRE_REDIS_URL"},
		{"grpc port taken", Process{GRPCAddr: taken.Addr().String(), NATSURL: ns.ClientURL(), Dev: true, Build: build}, "address already in use"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := Program{Name: "test", Configure: func() (Process, error) { return tc.proc, nil }}
			// NATS is waited for until the context ends.
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			_, err := Start(ctx, p, slog.New(slog.DiscardHandler))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Start error = %v, want it to mention %q", err, tc.want)
			}
		})
	}
}

func TestRedactURLs(t *testing.T) {
	tests := []struct{ in, want string }{
		{"nats://127.0.0.1:4222", "nats://127.0.0.1:4222"},
		{"nats://alice:s3cret@n1:4222,nats://alice:s3cret@n2:4222", "nats://alice:xxxxx@n1:4222,nats://alice:xxxxx@n2:4222"},
		{"nats://tok3n@n1:4222", "nats://xxxxx@n1:4222"},
	}
	for _, tt := range tests {
		if got := redactURLs(tt.in); got != tt.want {
			t.Errorf("redactURLs(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
