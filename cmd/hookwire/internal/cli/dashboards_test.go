package cli

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	hookwirev1 "github.com/hookwire/hookwire/pkg/gen/hookwire/v1"
	"github.com/hookwire/hookwire/pkg/testkit"
)

// repoRoot is the repository from this package's directory.
const repoRoot = "../../../.."

// metricName finds the Hookwire metric names in a PromQL expression.
var metricName = regexp.MustCompile(`\bhookwire_[a-z0-9_]+`)

// dashboardMetrics returns every hookwire_* metric the Grafana dashboard
// and the Prometheus alert rules name, with where each is named.
func dashboardMetrics(t *testing.T) map[string]string {
	t.Helper()
	named := map[string]string{}
	add := func(where, expr string) {
		for _, m := range metricName.FindAllString(expr, -1) {
			for _, suffix := range []string{"_bucket", "_sum", "_count"} {
				m = strings.TrimSuffix(m, suffix) // histogram series
			}
			named[m] = where
		}
	}

	var dash struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	raw, err := os.ReadFile(filepath.Join(repoRoot, "deploy/grafana/dashboards/hookwire.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &dash); err != nil {
		t.Fatalf("dashboard: %v", err)
	}
	for _, p := range dash.Panels {
		if len(p.Targets) == 0 {
			t.Errorf("dashboard panel %q has no query", p.Title)
		}
		for _, tg := range p.Targets {
			add("dashboard panel "+p.Title, tg.Expr)
		}
	}

	var rules struct {
		Groups []struct {
			Rules []struct {
				Alert       string            `yaml:"alert"`
				Expr        string            `yaml:"expr"`
				Annotations map[string]string `yaml:"annotations"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	raw, err = os.ReadFile(filepath.Join(repoRoot, "deploy/prometheus/alerts.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(raw, &rules); err != nil {
		t.Fatalf("alerts.yml: %v", err)
	}
	n := 0
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			n++
			if r.Alert == "" || r.Expr == "" || r.Annotations["summary"] == "" || r.Annotations["runbook"] == "" {
				t.Errorf("alert rule %+v: want alert, expr, a summary and a runbook", r)
			}
			add("alert "+r.Alert, r.Expr)
		}
	}
	if n == 0 || len(dash.Panels) == 0 {
		t.Fatalf("%d alert rules, %d dashboard panels", n, len(dash.Panels))
	}
	return named
}

// TestDashboardAndAlertsNameExportedMetrics: every metric the shipped
// Grafana dashboard and alert rules use is on a running stack's /metrics
// after ordinary traffic (one delivery that succeeds, one that fails), so
// neither can silently point at a metric that was renamed or removed.
func TestDashboardAndAlertsNameExportedMetrics(t *testing.T) {
	named := dashboardMetrics(t)

	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errOut syncBuffer
	exit := make(chan int, 1)
	go func() {
		exit <- Run(ctx, []string{"dev", "--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0", "--data-dir", t.TempDir()}, &out, &errOut)
	}()
	defer func() { cancel(); <-exit }()
	banner := regexp.MustCompile(`gRPC +(\S+) .*\n +HTTP +http://(\S+)/healthz`)
	testkit.Eventually(t, 30*time.Second, func() bool { return banner.MatchString(out.String()) }, "no banner:\n%s", &out)
	m := banner.FindStringSubmatch(out.String())
	d := &devStack{grpcAddr: m[1], httpAddr: m[2]}

	ok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	defer ok.Close()
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusInternalServerError) }))
	defer bad.Close()
	var good, failing hookwirev1.CreateSubscriptionResponse
	d.hwJSON(t, &good, "subscriptions", "create", "--url", ok.URL, "--event-type", "transaction.sale.success")
	d.hwJSON(t, &failing, "subscriptions", "create", "--url", bad.URL, "--event-type", "transaction.sale.success", "--retry", "none")
	d.hw(t, "events", "publish", "--type", "transaction.sale.success", "--id", "evt_dash_1", "--data", `{"amount": 1}`)

	scrape := func() string {
		resp, err := http.Get("http://" + d.httpAddr + "/metrics")
		if err != nil {
			return ""
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return string(body)
	}
	exported := func(body string) []string {
		var names []string
		for _, l := range strings.Split(body, "\n") {
			if strings.HasPrefix(l, "hookwire_") {
				name := l[:strings.IndexAny(l, "{ ")]
				for _, suffix := range []string{"_bucket", "_sum", "_count"} {
					name = strings.TrimSuffix(name, suffix)
				}
				names = append(names, name)
			}
		}
		return names
	}
	var missing []string
	testkit.Eventually(t, 30*time.Second, func() bool {
		have := exported(scrape())
		missing = missing[:0]
		for name := range named {
			if !slices.Contains(have, name) {
				missing = append(missing, name)
			}
		}
		return len(missing) == 0
	}, "metrics named by deploy/ but not exported: %v (where: %v)", &missing, named)
}
