package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/hookwire/hookwire/services/dispatcher"
)

// pinned is an image tag with a patch version (postgres numbers its
// patches major.minor).
var pinned = regexp.MustCompile(`^[a-z0-9./-]+:v?\d+\.\d+\.\d+(-[a-z0-9]+)?$|^postgres:\d+\.\d+(-[a-z0-9]+)?$`)

// The compose stack survives what production does to it: every container
// restarts after a crash or a host reboot, is checked for health, runs a
// patch-pinned image; Jaeger is v2; mail never gates the dispatcher; no
// secret sits in the file or the shell; Hookwire services get longer than
// their shutdown grace to stop; Prometheus scrapes every Hookwire service
// and Grafana is provisioned with the dashboard.
func TestComposeFitForProduction(t *testing.T) {
	f := loadCompose(t)
	for name, s := range f.Services {
		if s.Restart != "unless-stopped" && s.Restart != "always" {
			t.Errorf("%s: restart %q, want unless-stopped (a host reboot must bring it back)", name, s.Restart)
		}
		if s.Healthcheck == nil || len(s.Healthcheck.Test) == 0 {
			t.Errorf("%s has no health check", name)
		}
		if s.Image != "" && !pinned.MatchString(s.Image) {
			t.Errorf("%s: image %q is not pinned to a patch version", name, s.Image)
		}
		for k, v := range s.Environment {
			upper := strings.ToUpper(k)
			if (strings.Contains(upper, "PASSWORD") || strings.Contains(upper, "MASTER_KEY") || strings.Contains(upper, "SECRET")) &&
				!strings.HasSuffix(upper, "_FILE") {
				t.Errorf("%s: %s=%q: secrets come from compose secrets (a *_FILE variable), not the environment", name, k, v)
			}
		}
		if d, ok := s.DependsOn["mailpit"]; ok && (d.Condition == "service_healthy" || d.Required == nil || *d.Required) {
			t.Errorf("%s waits for mailpit: mail is optional (notices wait in the outbox)", name)
		}
	}
	if img := f.Services["jaeger"].Image; !strings.HasPrefix(img, "jaegertracing/jaeger:2.") {
		t.Errorf("jaeger image %q: use Jaeger v2 (jaegertracing/jaeger:2.x.y); v1 reached its end of life", img)
	}
	grace := dispatcher.DefaultConfig().ShutdownGrace
	for _, name := range []string{"registry", "ingest", "dispatcher", "console"} {
		s := f.Services[name]
		d, err := time.ParseDuration(s.StopGrace)
		if err != nil || d < grace+10*time.Second {
			t.Errorf("%s: stop_grace_period %q, want at least the shutdown grace %s + 10s", name, s.StopGrace, grace)
		}
		if s.DependsOn["jaeger"].Condition != "service_healthy" {
			t.Errorf("%s must wait for a healthy jaeger (spans sent before the collector listens are lost)", name)
		}
	}
	raw, err := os.ReadFile(filepath.Join(root, "docker-compose.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), ":?") {
		t.Error("docker-compose.yml requires a shell variable (${X:?}): make down/logs/ps must work in a new shell")
	}

	// Prometheus scrapes every Hookwire service's HTTP port.
	var prom struct {
		RuleFiles     []string `yaml:"rule_files"`
		ScrapeConfigs []struct {
			StaticConfigs []struct {
				Targets []string `yaml:"targets"`
			} `yaml:"static_configs"`
		} `yaml:"scrape_configs"`
	}
	b, err := os.ReadFile(filepath.Join(root, "deploy/prometheus/prometheus.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, &prom); err != nil {
		t.Fatal(err)
	}
	targets := map[string]bool{}
	for _, sc := range prom.ScrapeConfigs {
		for _, st := range sc.StaticConfigs {
			for _, tg := range st.Targets {
				targets[tg] = true
			}
		}
	}
	for name, p := range map[string]string{"registry": "8081", "ingest": "8082", "dispatcher": "8083", "console": "8084"} {
		if !targets[name+":"+p] {
			t.Errorf("prometheus.yml does not scrape %s:%s", name, p)
		}
	}
	mounted := func(svc, container string) string {
		for _, v := range f.Services[svc].Volumes {
			parts := strings.Split(v, ":")
			if len(parts) >= 2 && parts[1] == container {
				return parts[0]
			}
		}
		return ""
	}
	for _, rf := range append(prom.RuleFiles, "/etc/prometheus/prometheus.yml") {
		if mounted("prometheus", rf) == "" {
			t.Errorf("prometheus does not mount %s", rf)
		}
	}
	// Grafana: provisioning mounted, and the dashboards where the provider looks.
	var prov struct {
		Providers []struct {
			Options struct {
				Path string `yaml:"path"`
			} `yaml:"options"`
		} `yaml:"providers"`
	}
	b, err = os.ReadFile(filepath.Join(root, "deploy/grafana/provisioning/dashboards/hookwire.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, &prov); err != nil || len(prov.Providers) != 1 {
		t.Fatalf("grafana dashboard provisioning: %v", err)
	}
	if src := mounted("grafana", prov.Providers[0].Options.Path); src != "./deploy/grafana/dashboards" {
		t.Errorf("grafana mounts %q at %s, want ./deploy/grafana/dashboards", src, prov.Providers[0].Options.Path)
	}
	if mounted("grafana", "/etc/grafana/provisioning") != "./deploy/grafana/provisioning" {
		t.Error("grafana does not mount deploy/grafana/provisioning")
	}
}
