package cli

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hookwire/hookwire/pkg/testkit"
)

// `hookwire dev` serves Prometheus /metrics with the services' metrics and
// otelgrpc's RPC metrics, and logs JSON lines by default.
func TestDevCommandMetricsAndJSONLogs(t *testing.T) {
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errOut syncBuffer
	exit := make(chan int, 1)
	go func() {
		exit <- Run(ctx, []string{"dev", "--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0", "--data-dir", t.TempDir()}, &out, &errOut)
	}()
	banner := regexp.MustCompile(`gRPC +(\S+) .*\n +HTTP +http://(\S+)/healthz`)
	testkit.Eventually(t, 30*time.Second, func() bool { return banner.MatchString(out.String()) }, "no banner:\n%s", &out)
	m := banner.FindStringSubmatch(out.String())
	d := &devStack{grpcAddr: m[1], httpAddr: m[2]}
	d.hw(t, "events", "publish", "--type", "transaction.sale.success", "--id", "evt_metrics_1", "--data", `{"amount": 1}`)

	resp, err := http.Get("http://" + d.httpAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`hookwire_events_published_total{[^}]*outcome="accepted"} 1`,
		`hookwire_subscriptions{[^}]*status="ACTIVE"} 0`,
		`rpc_server_call_duration_seconds_count{[^}]*rpc_method="hookwire.v1.IngestService/Publish"`,
	} {
		if !regexp.MustCompile(want).Match(body) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if t.Failed() {
		t.Logf("/metrics:\n%s", body)
	}

	cancel()
	if code := <-exit; code != 0 {
		t.Fatalf("dev exit %d: %s", code, errOut.String())
	}
	lines := strings.Split(strings.TrimSpace(errOut.String()), "\n")
	for _, l := range lines {
		var rec map[string]any
		if err := json.Unmarshal([]byte(l), &rec); err != nil || rec["level"] == nil || rec["msg"] == nil {
			t.Fatalf("log line is not slog JSON: %q", l)
		}
		if strings.Count(l, `"service":`) > 1 {
			t.Fatalf("log line names its service twice: %q", l)
		}
	}
	if len(lines) < 3 {
		t.Fatalf("only %d log lines", len(lines))
	}
}

func TestDevRejectsBadLogFormat(t *testing.T) {
	var out, errOut syncBuffer
	code := Run(context.Background(), []string{"dev", "--log-format", "xml", "--data-dir", t.TempDir()}, &out, &errOut)
	if code != exitUsage || !strings.Contains(errOut.String(), "--log-format") {
		t.Fatalf("exit %d, stderr %q", code, errOut.String())
	}
}
