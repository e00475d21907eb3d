package main

import (
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/hookwire/hookwire/services/dispatcher"
	"github.com/hookwire/hookwire/services/ingest"
	"github.com/hookwire/hookwire/services/registry"
)

// The repository root, from cmd/hookwire.
const root = "../.."

type composeFile struct {
	Services map[string]composeService `yaml:"services"`
	Volumes  map[string]any            `yaml:"volumes"`
	Secrets  map[string]struct {
		File string `yaml:"file"`
	} `yaml:"secrets"`
}

type composeService struct {
	Image string `yaml:"image"`
	Build *struct {
		Context    string            `yaml:"context"`
		Dockerfile string            `yaml:"dockerfile"`
		Args       map[string]string `yaml:"args"`
	} `yaml:"build"`
	Command     []string          `yaml:"command"`
	Restart     string            `yaml:"restart"`
	StopGrace   string            `yaml:"stop_grace_period"`
	Secrets     []string          `yaml:"secrets"`
	Environment map[string]string `yaml:"environment"`
	Ports       []string          `yaml:"ports"`
	Volumes     []string          `yaml:"volumes"`
	Healthcheck *struct {
		Test []string `yaml:"test"`
	} `yaml:"healthcheck"`
	DependsOn map[string]struct {
		Condition string `yaml:"condition"`
		Required  *bool  `yaml:"required"`
	} `yaml:"depends_on"`
}

// hookwireService is what the test knows of one of our services from its code.
type hookwireService struct {
	known    []string // HOOKWIRE_* names the binary reads
	grpcAddr func(t *testing.T) (configured, def string)
	needs    []string // infrastructure it must wait for, healthy
}

// composeEnv is the shell environment the file is interpolated with:
// none, so `make down`, `make logs` and `make ps` work in a new shell (a
// ${X:?} the file requires fails the test).
var composeEnv = map[string]string{}

var interpolation = regexp.MustCompile(`\$\{([A-Z0-9_]+)(?:(:-|:\?)([^}]*))?\}`)

// interpolate resolves ${X}, ${X:-default} and ${X:?message} as compose does.
func interpolate(t *testing.T, s string) string {
	return interpolation.ReplaceAllStringFunc(s, func(m string) string {
		p := interpolation.FindStringSubmatch(m)
		if v, ok := composeEnv[p[1]]; ok {
			return v
		}
		if p[2] == ":?" {
			t.Errorf("compose needs %s (%s) and the test does not set it", p[1], p[3])
		}
		return p[3]
	})
}

func loadCompose(t *testing.T) composeFile {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "docker-compose.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var f composeFile
	if err := yaml.Unmarshal(b, &f); err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	return f
}

// onDaemon reports whether the service's main runs on pkg/daemon (and so
// reads daemon.EnvVars and answers -healthcheck).
func onDaemon(t *testing.T, name string) bool {
	b, err := os.ReadFile(filepath.Join(root, "services", name, "cmd", name, "main.go"))
	if err != nil {
		t.Fatalf("service %s has no main: %v", name, err)
	}
	return strings.Contains(string(b), "daemon.Main(")
}

func hookwireServices(t *testing.T) map[string]hookwireService {
	grpc := func(read func() (string, error), def string) func(*testing.T) (string, string) {
		return func(t *testing.T) (string, string) {
			got, err := read()
			if err != nil {
				t.Fatalf("the compose environment is not a valid configuration: %v", err)
			}
			return got, def
		}
	}
	return map[string]hookwireService{
		"registry": {known: registry.EnvVars(), needs: []string{"nats"},
			grpcAddr: grpc(func() (string, error) { c, err := registry.ConfigFromEnv(); return c.GRPCAddr, err }, registry.DefaultConfig().GRPCAddr)},
		"ingest": {known: ingest.EnvVars(), needs: []string{"nats"},
			grpcAddr: grpc(func() (string, error) { c, err := ingest.ConfigFromEnv(); return c.GRPCAddr, err }, ingest.DefaultConfig().GRPCAddr)},
		"dispatcher": {known: dispatcher.EnvVars(), needs: []string{"nats", "redis", "postgres"},
			grpcAddr: grpc(func() (string, error) { c, err := dispatcher.ConfigFromEnv(); return c.GRPCAddr, err }, dispatcher.DefaultConfig().GRPCAddr)},
	}
}

// containerPorts are the container sides of "[ip:]host:container" entries.
func containerPorts(t *testing.T, ports []string) []string {
	var out []string
	for _, p := range ports {
		parts := strings.Split(p, ":")
		if len(parts) < 2 || parts[len(parts)-1] != parts[len(parts)-2] {
			t.Errorf("port %q: publish each port on the same host port", p)
		}
		out = append(out, parts[len(parts)-1])
	}
	return out
}

func port(t *testing.T, addr string) string {
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatalf("address %q: %v", addr, err)
	}
	return p
}
