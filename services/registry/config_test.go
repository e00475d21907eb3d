package registry_test

import (
	"context"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hookwire/hookwire/pkg/auth"
	"github.com/hookwire/hookwire/pkg/daemon"
	"github.com/hookwire/hookwire/pkg/testkit"
	"github.com/hookwire/hookwire/services/registry"
)

func TestConfigFromEnv(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		wantErr []string
		check   func(t *testing.T, c registry.Config)
	}{
		{"defaults need a master key and tokens", nil, []string{"HOOKWIRE_MASTER_KEY", "HOOKWIRE_TOKENS_FILE"}, nil},
		{"dev needs neither", map[string]string{"HOOKWIRE_DEV": "true"}, nil, func(t *testing.T, c registry.Config) {
			if c.GRPCAddr != ":50051" || c.MaxSubscriptionsPerScope != 1000 || c.SecretOverlap != 24*time.Hour || c.KVReplicas != 1 {
				t.Errorf("defaults = %+v", c)
			}
		}},
		{"everything set", map[string]string{
			"HOOKWIRE_MASTER_KEY": testMasterKey, "HOOKWIRE_TOKENS_FILE": "/t.json", "HOOKWIRE_GRPC_ADDR": ":1",
			"HOOKWIRE_NATS_URL": "nats://n:4222", "HOOKWIRE_ALLOW_HTTP": "true", "HOOKWIRE_MAX_SUBSCRIPTIONS_PER_SCOPE": "5",
			"HOOKWIRE_SECRET_OVERLAP": "1h", "HOOKWIRE_CATALOG_FILE": "/c.json", "HOOKWIRE_KV_REPLICAS": "3",
			"HOOKWIRE_ALLOW_CIDRS": "10.0.0.0/8, fd00::/8", "HOOKWIRE_HTTPS_ONLY": "1", "HOOKWIRE_DATA_DIR": "/d",
		}, nil, func(t *testing.T, c registry.Config) {
			want := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8")}
			if c.GRPCAddr != ":1" || c.NATSURL != "nats://n:4222" || !c.AllowHTTP || c.MaxSubscriptionsPerScope != 5 ||
				c.SecretOverlap != time.Hour || c.CatalogFile != "/c.json" || c.KVReplicas != 3 || len(c.AllowCIDRs) != 2 ||
				c.AllowCIDRs[0] != want[0] || c.AllowCIDRs[1] != want[1] || !c.HTTPSOnly || c.DataDir != "/d" {
				t.Errorf("config = %+v", c)
			}
		}},
		{"base64 master key", map[string]string{"HOOKWIRE_MASTER_KEY": "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", "HOOKWIRE_TOKENS_FILE": "t"}, nil, nil},
		{"previous master keys", map[string]string{
			"HOOKWIRE_MASTER_KEY": testMasterKey, "HOOKWIRE_TOKENS_FILE": "t",
			"HOOKWIRE_MASTER_KEYS_PREVIOUS": strings.Repeat("ab", 32) + ", AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
		}, nil, nil},
		{"bad previous master key", map[string]string{
			"HOOKWIRE_MASTER_KEY": testMasterKey, "HOOKWIRE_TOKENS_FILE": "t",
			"HOOKWIRE_MASTER_KEYS_PREVIOUS": strings.Repeat("ab", 32) + ",short",
		}, []string{"HOOKWIRE_MASTER_KEYS_PREVIOUS: entry 2"}, nil},
		{"bad values joined", map[string]string{
			"HOOKWIRE_DEV": "maybe", "HOOKWIRE_MAX_SUBSCRIPTIONS_PER_SCOPE": "x", "HOOKWIRE_SECRET_OVERLAP": "soon",
			"HOOKWIRE_ALLOW_CIDRS": "10.0.0.0", "HOOKWIRE_KV_REPLICAS": "two",
		}, []string{"HOOKWIRE_DEV", "HOOKWIRE_MAX_SUBSCRIPTIONS_PER_SCOPE", "HOOKWIRE_SECRET_OVERLAP", "HOOKWIRE_ALLOW_CIDRS", "HOOKWIRE_KV_REPLICAS"}, nil},
		{"invalid ranges", map[string]string{
			"HOOKWIRE_DEV": "true", "HOOKWIRE_MASTER_KEY": "short", "HOOKWIRE_MAX_SUBSCRIPTIONS_PER_SCOPE": "0",
			"HOOKWIRE_SECRET_OVERLAP": "-1h", "HOOKWIRE_KV_REPLICAS": "9",
		}, []string{"HOOKWIRE_MASTER_KEY", "HOOKWIRE_MAX_SUBSCRIPTIONS_PER_SCOPE", "HOOKWIRE_SECRET_OVERLAP", "HOOKWIRE_KV_REPLICAS"}, nil},
	}
	keys := []string{"HOOKWIRE_MASTER_KEY", "HOOKWIRE_TOKENS_FILE", "HOOKWIRE_GRPC_ADDR", "HOOKWIRE_NATS_URL", "HOOKWIRE_DEV",
		"HOOKWIRE_ALLOW_HTTP", "HOOKWIRE_MAX_SUBSCRIPTIONS_PER_SCOPE", "HOOKWIRE_SECRET_OVERLAP", "HOOKWIRE_CATALOG_FILE",
		"HOOKWIRE_KV_REPLICAS", "HOOKWIRE_ALLOW_CIDRS", "HOOKWIRE_HTTPS_ONLY", "HOOKWIRE_DATA_DIR", "HOOKWIRE_MASTER_KEYS_PREVIOUS"}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, k := range keys {
				t.Setenv(k, tt.env[k])
			}
			c, err := registry.ConfigFromEnv()
			for _, want := range tt.wantErr {
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Errorf("error %v does not mention %s", err, want)
				}
			}
			if len(tt.wantErr) == 0 && err != nil {
				t.Fatal(err)
			}
			if tt.check != nil {
				tt.check(t, c)
			}
		})
	}
}

func TestNewRefusesWithoutMasterKey(t *testing.T) {
	n := testkit.StartNATS(t)
	_, js := n.Connect(t)
	cfg := testConfig()
	cfg.MasterKey = ""
	_, err := registry.New(context.Background(), cfg, registry.Deps{JS: js, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err == nil || !strings.Contains(err.Error(), "HOOKWIRE_MASTER_KEY") {
		t.Fatalf("New without master key = %v", err)
	}
}

// startRules builds a service only to read its AuthRules.
func startRules(t *testing.T) auth.Rules {
	n := testkit.StartNATS(t)
	_, js := n.Connect(t)
	svc, err := registry.New(context.Background(), testConfig(), registry.Deps{JS: js, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	return svc.AuthRules()
}

// EnvVars is what ConfigFromEnv's reader was asked for; no code outside it
// mentions another HOOKWIRE_* name, and setting each listed variable
// changes the configuration.
func TestEnvVars(t *testing.T) {
	found, err := daemon.EnvNamesIn(".")
	if err != nil {
		t.Fatal(err)
	}
	if listed := slices.Sorted(slices.Values(registry.EnvVars())); !slices.Equal(found, listed) {
		t.Fatalf("HOOKWIRE_* names in the code %v, EnvVars() %v", found, listed)
	}
	samples := map[string]string{
		"HOOKWIRE_GRPC_ADDR": ":9999", "HOOKWIRE_NATS_URL": "nats://nats:4222",
		"HOOKWIRE_MASTER_KEY": strings.Repeat("ab", 32), "HOOKWIRE_DEV": "true", "HOOKWIRE_TOKENS_FILE": "/other",
		"HOOKWIRE_ALLOW_HTTP": "true", "HOOKWIRE_MAX_SUBSCRIPTIONS_PER_SCOPE": "7", "HOOKWIRE_SECRET_OVERLAP": "1h",
		"HOOKWIRE_CATALOG_FILE": "/c.json", "HOOKWIRE_KV_REPLICAS": "3", "HOOKWIRE_ALLOW_CIDRS": "10.0.0.0/8",
		"HOOKWIRE_HTTPS_ONLY": "true", "HOOKWIRE_DATA_DIR": "/d", "HOOKWIRE_MASTER_KEYS_PREVIOUS": strings.Repeat("cd", 32),
	}
	t.Setenv("HOOKWIRE_MASTER_KEY", testMasterKey)
	t.Setenv("HOOKWIRE_TOKENS_FILE", "/base")
	base, err := registry.ConfigFromEnv()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range registry.EnvVars() {
		t.Run(name, func(t *testing.T) {
			v, ok := samples[name]
			if secret, isFile := strings.CutSuffix(name, "_FILE"); isFile && !ok {
				// A secret's file variable: the secret's sample, from a file.
				v = filepath.Join(t.TempDir(), "secret")
				if err := os.WriteFile(v, []byte(samples[secret]+"\n"), 0o600); err != nil {
					t.Fatal(err)
				}
				t.Setenv(secret, "") // one or the other
				ok = samples[secret] != ""
			}
			if !ok {
				t.Fatalf("no sample value for %s", name)
			}
			t.Setenv(name, v)
			c, err := registry.ConfigFromEnv()
			if err != nil || reflect.DeepEqual(c, base) {
				t.Fatalf("%s=%s: config unchanged or invalid (%v)", name, v, err)
			}
		})
	}
}

// A configuration error names the master key (or the previous key) but
// never quotes it.
func TestConfigErrorHidesMasterKey(t *testing.T) {
	const secret = "s3cret-but-not-a-key"
	t.Setenv("HOOKWIRE_DEV", "")
	t.Setenv("HOOKWIRE_TOKENS_FILE", "/t")
	t.Setenv("HOOKWIRE_MASTER_KEY", secret)
	t.Setenv("HOOKWIRE_MASTER_KEYS_PREVIOUS", "")
	_, err := registry.ConfigFromEnv()
	if err == nil || !strings.Contains(err.Error(), "HOOKWIRE_MASTER_KEY") || strings.Contains(err.Error(), secret) {
		t.Fatalf("error %v", err)
	}
	t.Setenv("HOOKWIRE_MASTER_KEY", testMasterKey)
	t.Setenv("HOOKWIRE_MASTER_KEYS_PREVIOUS", strings.Repeat("ab", 32)+","+secret)
	_, err = registry.ConfigFromEnv()
	if err == nil || !strings.Contains(err.Error(), "HOOKWIRE_MASTER_KEYS_PREVIOUS") || strings.Contains(err.Error(), secret) ||
		strings.Contains(err.Error(), strings.Repeat("ab", 32)) {
		t.Fatalf("error %v", err)
	}
}
