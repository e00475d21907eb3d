package main

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/hookwire/hookwire/pkg/auth"
	"github.com/hookwire/hookwire/pkg/catalog"
	"github.com/hookwire/hookwire/pkg/daemon"
)

// docker-compose.yml cannot rot: every HOOKWIRE_* variable it sets is one
// the service reads, the environment is a valid configuration, the ports
// are the services' defaults, health checks use -healthcheck, dependencies
// wait for health, mounted files exist and parse.
func TestComposeServicesMatchTheCode(t *testing.T) {
	f := loadCompose(t)
	for name, svc := range hookwireServices(t) {
		t.Run(name, func(t *testing.T) {
			cs, ok := f.Services[name]
			if !ok {
				t.Fatalf("docker-compose.yml has no service %s", name)
			}
			if cs.Build == nil || cs.Build.Args["SERVICE"] != name {
				t.Fatalf("%s must build deploy/Dockerfile with SERVICE=%s", name, name)
			}
			if !onDaemon(t, name) {
				t.Fatalf("services/%s/cmd/%s/main.go does not run on pkg/daemon (no -healthcheck, /metrics)", name, name)
			}
			known := append(slices.Clone(svc.known), daemon.EnvVars()...)
			env := map[string]string{}
			for k, v := range cs.Environment {
				env[k] = interpolate(t, v)
				if strings.HasPrefix(k, "HOOKWIRE_") && !slices.Contains(known, k) {
					t.Errorf("compose sets %s, which %s does not read", k, name)
				}
			}
			if env["OTEL_SERVICE_NAME"] != "hookwire-"+name || env["OTEL_EXPORTER_OTLP_ENDPOINT"] == "" {
				t.Errorf("OTEL_SERVICE_NAME %q / OTEL_EXPORTER_OTLP_ENDPOINT %q", env["OTEL_SERVICE_NAME"], env["OTEL_EXPORTER_OTLP_ENDPOINT"])
			}
			if v := env["HOOKWIRE_DEV"]; v != "" && v != "false" {
				t.Errorf("compose must not run %s in dev mode (HOOKWIRE_DEV=%s)", name, v)
			}
			checkMounts(t, f, cs, env)
			for _, k := range known {
				v := env[k]
				if sample, ok := secretSamples[v]; ok { // a compose secret: a file like the one make up writes
					v = filepath.Join(t.TempDir(), filepath.Base(v))
					if err := os.WriteFile(v, []byte(sample+"\n"), 0o600); err != nil {
						t.Fatal(err)
					}
				}
				t.Setenv(k, v)
			}

			ports := containerPorts(t, cs.Ports)
			grpcAddr, def := svc.grpcAddr(t)
			httpAddr, err := daemon.HTTPAddr(name)
			if err != nil {
				t.Fatal(err)
			}
			if grpcAddr != def || httpAddr != daemon.DefaultHTTPAddr(name) {
				t.Errorf("gRPC %s / HTTP %s differ from the defaults %s / %s", grpcAddr, httpAddr, def, daemon.DefaultHTTPAddr(name))
			}
			if want := []string{port(t, grpcAddr), port(t, httpAddr)}; !slices.Equal(slices.Sorted(slices.Values(ports)), slices.Sorted(slices.Values(want))) {
				t.Errorf("published ports %v, want the gRPC and HTTP ports %v", ports, want)
			}
			if cs.Healthcheck == nil || !slices.Equal(cs.Healthcheck.Test, []string{"CMD", "/usr/local/bin/service", "-healthcheck"}) {
				t.Errorf("health check must be [CMD /usr/local/bin/service -healthcheck]")
			}
			checkDependencies(t, f, name, cs, env, svc.needs)
		})
	}
}

// secretSamples are values like those make up writes into the compose
// secrets, by their path in a container.
var secretSamples = map[string]string{
	"/run/secrets/master_key":       strings.Repeat("ab", 32),
	"/run/secrets/delivery_log_url": "postgres://hookwire:pw@postgres:5432/hookwire?sslmode=disable",
}

// checkDependencies: the infrastructure a service needs and every host its
// environment names are compose services it waits for.
func checkDependencies(t *testing.T, f composeFile, name string, cs composeService, env map[string]string, needs []string) {
	for _, n := range needs {
		if cs.DependsOn[n].Condition != "service_healthy" {
			t.Errorf("%s must depend on %s with condition service_healthy", name, n)
		}
	}
	for dep, c := range cs.DependsOn {
		target, ok := f.Services[dep]
		if !ok {
			t.Errorf("%s depends on unknown service %s", name, dep)
			continue
		}
		if c.Condition == "service_healthy" && target.Healthcheck == nil {
			t.Errorf("%s waits for %s to be healthy, which has no health check", name, dep)
		}
	}
	for _, k := range []string{"HOOKWIRE_NATS_URL", "HOOKWIRE_REDIS_URL", "HOOKWIRE_SMTP_ADDR", "HOOKWIRE_DELIVERY_LOG_URL", "OTEL_EXPORTER_OTLP_ENDPOINT"} {
		v := env[k]
		if v == "" {
			continue
		}
		host := v
		if i := strings.Index(host, "://"); i >= 0 {
			host = host[i+3:]
		}
		if i := strings.LastIndex(host, "@"); i >= 0 {
			host = host[i+1:] // user:password@
		}
		host, _, _ = strings.Cut(host, ":")
		if _, ok := cs.DependsOn[host]; !ok {
			t.Errorf("%s=%s: %s does not depend on a service %q", k, v, name, host)
		}
	}
}

// checkMounts: the tokens and catalog files the environment names are
// mounted from files that exist and parse; every *_FILE variable names a
// compose secret of the service whose file `make up` writes.
func checkMounts(t *testing.T, f composeFile, cs composeService, env map[string]string) {
	mounts := map[string]string{} // container path -> host path
	for _, v := range cs.Volumes {
		parts := strings.Split(interpolate(t, v), ":")
		if len(parts) >= 2 && strings.HasPrefix(parts[0], ".") {
			mounts[parts[1]] = filepath.Join(root, parts[0])
		}
	}
	for _, s := range cs.Secrets {
		sec, ok := f.Secrets[s]
		if !ok || sec.File == "" {
			t.Errorf("secret %s is not declared with a file", s)
			continue
		}
		mounts["/run/secrets/"+s] = filepath.Join(root, interpolate(t, sec.File))
	}
	for k, path := range env {
		if !strings.HasSuffix(k, "_FILE") || k == "HOOKWIRE_TOKENS_FILE" || k == "HOOKWIRE_CATALOG_FILE" {
			continue
		}
		host, ok := mounts[path]
		if !ok || !strings.HasPrefix(path, "/run/secrets/") {
			t.Errorf("%s=%s is not one of the service's compose secrets", k, path)
			continue
		}
		if _, err := os.Stat(host); os.IsNotExist(err) && !makefileMakes(t, host) {
			t.Errorf("%s from %s: the file is missing and no Makefile rule of make up makes it", k, host)
		}
	}
	for _, k := range []string{"HOOKWIRE_TOKENS_FILE", "HOOKWIRE_CATALOG_FILE"} {
		path := env[k]
		if path == "" {
			continue
		}
		host, ok := mounts[path]
		if !ok {
			t.Errorf("%s=%s is not mounted from a file of the repository", k, path)
			continue
		}
		var err error
		if k == "HOOKWIRE_TOKENS_FILE" {
			if _, statErr := os.Stat(host); os.IsNotExist(statErr) {
				// Not committed: `make up` writes it with a fresh token.
				if !makefileMakes(t, host) {
					t.Errorf("%s from %s: the file is missing and no Makefile rule makes it", k, host)
				}
				continue
			}
			_, err = auth.LoadFile(host)
		} else {
			var b []byte
			if b, err = os.ReadFile(host); err == nil {
				_, err = catalog.Parse(b)
			}
		}
		if err != nil {
			t.Errorf("%s from %s: %v", k, host, err)
		}
	}
}

func TestComposeInfrastructure(t *testing.T) {
	f := loadCompose(t)
	nats := f.Services["nats"]
	tag := strings.TrimPrefix(nats.Image, "nats:")
	major, minor, _ := strings.Cut(strings.Split(tag, "-")[0], ".")
	minor, _, _ = strings.Cut(minor, ".")
	if mj, _ := strconv.Atoi(major); mj != 2 || func() bool { mn, _ := strconv.Atoi(minor); return mn < 12 }() {
		t.Errorf("nats image %q: JetStream message schedules need nats-server 2.12 or later", nats.Image)
	}
	if !slices.Contains(nats.Command, "-js") || !slices.Contains(nats.Command, "-sd") || len(nats.Volumes) == 0 {
		t.Errorf("nats must run JetStream (-js) with its store (-sd) on a volume: %v %v", nats.Command, nats.Volumes)
	}
	if redis := f.Services["redis"]; !strings.Contains(strings.Join(redis.Command, " "), "--appendonly yes") || len(redis.Volumes) == 0 {
		t.Errorf("redis must run with AOF on a volume: %v", redis.Command)
	}
	pg := f.Services["postgres"]
	if !regexp.MustCompile(`^postgres:\d+\.\d+(-[a-z0-9]+)?$`).MatchString(pg.Image) {
		t.Errorf("postgres image %q: pin a patch version (postgres:17.2-alpine)", pg.Image)
	}
	if len(pg.Volumes) == 0 || pg.Healthcheck == nil || !slices.Contains(pg.Healthcheck.Test, "pg_isready") {
		t.Errorf("postgres must keep its data on a volume and be checked with pg_isready: %v %v", pg.Volumes, pg.Healthcheck)
	}
	if f.Services["dispatcher"].Environment["HOOKWIRE_DELIVERY_LOG_URL_FILE"] != "/run/secrets/delivery_log_url" ||
		!strings.Contains(makefile(t), "postgres://hookwire:%s@postgres:5432/hookwire") {
		t.Errorf("the dispatcher's delivery log URL must come from the secret delivery_log_url, which make up points at the postgres service")
	}
	if pg.Environment["POSTGRES_PASSWORD_FILE"] != "/run/secrets/pg_password" || !slices.Contains(pg.Secrets, "pg_password") {
		t.Errorf("postgres must read its password from the secret pg_password: %v %v", pg.Environment, pg.Secrets)
	}
	for svc, want := range map[string][]string{"jaeger": {"4317", "16686"}, "mailpit": {"1025", "8025"}, "prometheus": {"9090"}, "grafana": {"3000"}} {
		got := containerPorts(t, f.Services[svc].Ports)
		for _, p := range want {
			if !slices.Contains(got, p) {
				t.Errorf("%s must publish %s (has %v)", svc, p, got)
			}
		}
	}
	for name, s := range f.Services {
		for _, v := range s.Volumes {
			if src, _, _ := strings.Cut(v, ":"); !strings.ContainsAny(src, "./$") {
				if _, ok := f.Volumes[src]; !ok {
					t.Errorf("%s uses volume %s, which is not declared", name, src)
				}
			}
		}
	}
}

// Every image built from deploy/Dockerfile names a real service binary, and
// the Dockerfile builds it static, as non-root, with the entrypoint the
// health checks call.
func TestDockerfile(t *testing.T) {
	f := loadCompose(t)
	for name, s := range f.Services {
		if s.Build == nil {
			continue
		}
		svc := s.Build.Args["SERVICE"]
		if _, err := os.Stat(filepath.Join(root, "services", svc, "cmd", svc, "main.go")); err != nil {
			t.Errorf("%s: build arg SERVICE=%q names no services/<x>/cmd/<x>: %v", name, svc, err)
		}
		if s.Build.Context != "." || s.Build.Dockerfile != "deploy/Dockerfile" {
			t.Errorf("%s: build %+v, want context . and deploy/Dockerfile", name, *s.Build)
		}
	}
	b, err := os.ReadFile(filepath.Join(root, "deploy", "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"ARG SERVICE", "CGO_ENABLED=0", "./cmd/${SERVICE}", "USER nonroot", `ENTRYPOINT ["/usr/local/bin/service"]`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("deploy/Dockerfile lacks %s", want)
		}
	}
}

// makefileMakes reports whether the Makefile has a rule for path (relative
// to the repository) that `up` depends on.
func makefileMakes(t *testing.T, path string) bool {
	rel, err := filepath.Rel(root, path)
	if err != nil {
		return false
	}
	mk := makefile(t)
	if !strings.Contains(mk, "\n"+rel+":") {
		return false
	}
	// make up makes it: named by up's prerequisites or compose-files'.
	for _, l := range strings.Split(mk, "\n") {
		if strings.HasPrefix(l, "COMPOSE_SECRETS =") && slices.Contains(strings.Fields(l), rel) {
			return strings.Contains(mk, "\nup: compose-files")
		}
	}
	return strings.Contains(mk, "\nup: compose-files") && strings.Contains(mk, "deploy/tokens.local.json $(COMPOSE_SECRETS)") && rel == "deploy/tokens.local.json"
}

func makefile(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
