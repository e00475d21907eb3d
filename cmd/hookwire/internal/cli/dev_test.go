package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
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

	// The banner names the console, and it answers there.
	if want := "Console http://" + d.httpAddr + "/console/"; !strings.Contains(out.String(), want) {
		t.Errorf("banner lacks %q:\n%s", want, out.String())
	}
	if resp, err := http.Get("http://" + d.httpAddr + "/console/"); err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("GET /console/: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}

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

// `hookwire dev` reads the delivery log's URL from the file
// HOOKWIRE_DELIVERY_LOG_URL_FILE names (a compose or Kubernetes secret),
// says in its banner that the log is on that PostgreSQL, and prints or logs
// no password.
func TestDevDeliveryLogURLFile(t *testing.T) {
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "")
	pg := testkit.StartPostgres(t)
	url := strings.Replace(pg.NewDatabase(t), "hookwire@", "hookwire:s3cret-pw@", 1) // trust auth ignores it
	file := filepath.Join(t.TempDir(), "delivery_log_url")
	if err := os.WriteFile(file, []byte(url+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("HOOKWIRE_DELIVERY_LOG_URL_FILE", file)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errOut syncBuffer
	exit := make(chan int, 1)
	go func() {
		exit <- Run(ctx, []string{"dev", "--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0", "--data-dir", t.TempDir()}, &out, &errOut)
	}()
	want := fmt.Sprintf("Log     PostgreSQL 127.0.0.1:%d/", pg.Port)
	testkit.Eventually(t, 30*time.Second, func() bool { return strings.Contains(out.String(), want) }, "no %q in the banner:\n%s", want, &out)
	cancel()
	if code := <-exit; code != 0 {
		t.Fatalf("dev exit %d: %s", code, errOut.String())
	}
	if strings.Contains(out.String()+errOut.String(), "s3cret-pw") {
		t.Fatal("the database password was printed or logged")
	}

	// Both the variable and its file: refused, naming both.
	t.Setenv("HOOKWIRE_DELIVERY_LOG_URL", url)
	var out2, errOut2 syncBuffer
	code := Run(context.Background(), []string{"dev", "--data-dir", t.TempDir()}, &out2, &errOut2)
	if code == 0 || !strings.Contains(errOut2.String(), "HOOKWIRE_DELIVERY_LOG_URL_FILE are both set") || strings.Contains(errOut2.String(), "s3cret-pw") {
		t.Fatalf("exit %d, stderr %q", code, errOut2.String())
	}
}

// The master key may come from HOOKWIRE_MASTER_KEY_FILE, as the services
// read it: dev then seals with it instead of making a key file.
func TestDevMasterKeyFile(t *testing.T) {
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "")
	file := filepath.Join(t.TempDir(), "master_key")
	if err := os.WriteFile(file, []byte(strings.Repeat("ab", 32)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("HOOKWIRE_MASTER_KEY_FILE", file)
	data := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errOut syncBuffer
	exit := make(chan int, 1)
	go func() {
		exit <- Run(ctx, []string{"dev", "--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0", "--data-dir", data}, &out, &errOut)
	}()
	testkit.Eventually(t, 30*time.Second, func() bool { return strings.Contains(out.String(), "Hookwire dev is running") }, "no banner:\n%s", &out)
	cancel()
	if code := <-exit; code != 0 {
		t.Fatalf("dev exit %d: %s", code, errOut.String())
	}
	if _, err := os.Stat(filepath.Join(data, "master.key")); !os.IsNotExist(err) {
		t.Fatalf("dev made a key file (%v) although HOOKWIRE_MASTER_KEY_FILE names the key", err)
	}
	if strings.Contains(errOut.String(), "key file in the data dir") || strings.Contains(errOut.String(), strings.Repeat("ab", 32)) {
		t.Fatalf("stderr: %s", errOut.String())
	}
}
