package dispatcher

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hookwire/hookwire/pkg/daemon"
	"github.com/hookwire/hookwire/services/dispatcher/mail"
)

func TestConfigFromEnv(t *testing.T) {
	key := strings.Repeat("ab", 32)
	tests := []struct {
		name    string
		env     map[string]string
		wantErr []string // substrings of the joined error
		check   func(t *testing.T, c Config)
	}{
		{
			name: "defaults in dev",
			env:  map[string]string{"HOOKWIRE_DEV": "true"},
			check: func(t *testing.T, c Config) {
				if c.GRPCAddr != ":50053" || c.DeliveryWorkers != 256 || c.DedupTTL != 72*time.Hour ||
					c.DeliveryTimeout != 10*time.Second || c.RetryPollInterval != 100*time.Millisecond ||
					c.RetryWorkers != 64 || c.MaxInFlight != 10 || c.SuspendAfter != 5 || c.SMTP.Addr != "" || c.SMTP.From != "hookwire@localhost" ||
					c.AckWait != 10*time.Second || c.ShutdownGrace != 25*time.Second {
					t.Fatalf("defaults = %+v", c)
				}
			},
		},
		{
			name: "everything set",
			env: map[string]string{
				"HOOKWIRE_MASTER_KEY": key, "HOOKWIRE_TOKENS_FILE": "/t", "HOOKWIRE_DELIVERY_WORKERS": "32",
				"HOOKWIRE_ACK_WAIT": "90s", "HOOKWIRE_RETRY_JITTER": "0", "HOOKWIRE_ALLOW_CIDRS": "10.0.0.0/8, 127.0.0.0/8",
				"HOOKWIRE_HTTPS_ONLY": "true", "HOOKWIRE_DELIVERY_TIMEOUT": "30s",
				"HOOKWIRE_RETRY_WORKERS": "8", "HOOKWIRE_MAX_IN_FLIGHT_DEFAULT": "4", "HOOKWIRE_SUSPEND_AFTER": "0",
				"HOOKWIRE_SMTP_ADDR": "mail.example.com:587", "HOOKWIRE_SMTP_FROM": "hooks@example.com",
				"HOOKWIRE_SMTP_USERNAME": "u", "HOOKWIRE_SMTP_PASSWORD": "p", "HOOKWIRE_PUBLISH_ACK_TIMEOUT": "3s",
			},
			check: func(t *testing.T, c Config) {
				if c.DeliveryWorkers != 32 || c.AckWait != 90*time.Second || c.RetryJitter != 0 ||
					len(c.AllowCIDRs) != 2 || !c.HTTPSOnly || c.DeliveryTimeout != 30*time.Second ||
					c.RetryWorkers != 8 || c.MaxInFlight != 4 || c.SuspendAfter != 0 || c.PublishAckTimeout != 3*time.Second ||
					c.SMTP != (mail.Config{Addr: "mail.example.com:587", From: "hooks@example.com", Username: "u", Password: "p"}) {
					t.Fatalf("config = %+v", c)
				}
			},
		},
		{
			name:    "production without key or tokens",
			env:     map[string]string{},
			wantErr: []string{"HOOKWIRE_MASTER_KEY is required", "HOOKWIRE_TOKENS_FILE is required"},
		},
		{
			name:    "unparsable values",
			env:     map[string]string{"HOOKWIRE_DEV": "true", "HOOKWIRE_DEDUP_TTL": "soon", "HOOKWIRE_ALLOW_CIDRS": "nope"},
			wantErr: []string{"HOOKWIRE_DEDUP_TTL", "HOOKWIRE_ALLOW_CIDRS"},
		},
		{
			name: "bad lanes, suspension and smtp settings",
			env: map[string]string{"HOOKWIRE_DEV": "true", "HOOKWIRE_RETRY_WORKERS": "0", "HOOKWIRE_MAX_IN_FLIGHT_DEFAULT": "0",
				"HOOKWIRE_SUSPEND_AFTER": "-1", "HOOKWIRE_SMTP_ADDR": "no-port", "HOOKWIRE_SMTP_FROM": "nobody", "HOOKWIRE_SMTP_PASSWORD": "p"},
			wantErr: []string{"HOOKWIRE_RETRY_WORKERS 0", "HOOKWIRE_MAX_IN_FLIGHT_DEFAULT 0", "HOOKWIRE_SUSPEND_AFTER -1",
				"HOOKWIRE_SMTP_ADDR", "HOOKWIRE_SMTP_FROM", "without HOOKWIRE_SMTP_USERNAME"},
		},
		{
			name: "ack wait too short, no grace, bad jitter",
			env: map[string]string{"HOOKWIRE_DEV": "true", "HOOKWIRE_ACK_WAIT": "500ms", "HOOKWIRE_SHUTDOWN_GRACE": "0s",
				"HOOKWIRE_RETRY_JITTER": "2", "HOOKWIRE_PUBLISH_ACK_TIMEOUT": "0s"},
			wantErr: []string{"HOOKWIRE_ACK_WAIT 500ms: must be at least 1s", "HOOKWIRE_SHUTDOWN_GRACE 0s",
				"HOOKWIRE_RETRY_JITTER 2", "HOOKWIRE_PUBLISH_ACK_TIMEOUT 0s"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, k := range []string{"HOOKWIRE_DEV", "HOOKWIRE_MASTER_KEY", "HOOKWIRE_TOKENS_FILE"} {
				t.Setenv(k, "")
			}
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			c, err := ConfigFromEnv()
			if len(tt.wantErr) == 0 {
				if err != nil {
					t.Fatalf("ConfigFromEnv: %v", err)
				}
				tt.check(t, c)
				return
			}
			if err == nil {
				t.Fatal("ConfigFromEnv accepted a bad environment")
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

// EnvVars is what ConfigFromEnv's reader was asked for; no code outside it
// mentions another HOOKWIRE_* name, and setting each listed variable
// changes the configuration.
func TestEnvVars(t *testing.T) {
	found, err := daemon.EnvNamesIn(".")
	if err != nil {
		t.Fatal(err)
	}
	if listed := slices.Sorted(slices.Values(EnvVars())); !slices.Equal(found, listed) {
		t.Fatalf("HOOKWIRE_* names in the code %v, EnvVars() %v", found, listed)
	}
	samples := map[string]string{
		"HOOKWIRE_GRPC_ADDR": ":9999", "HOOKWIRE_NATS_URL": "nats://nats:4222", "HOOKWIRE_REDIS_URL": "redis://redis:6379",
		"HOOKWIRE_MASTER_KEY": strings.Repeat("cd", 32), "HOOKWIRE_DEV": "true", "HOOKWIRE_DATA_DIR": "/data",
		"HOOKWIRE_MASTER_KEYS_PREVIOUS": strings.Repeat("ef", 32),
		"HOOKWIRE_TOKENS_FILE":          "/other", "HOOKWIRE_DELIVERY_WORKERS": "7", "HOOKWIRE_RETRY_WORKERS": "7",
		"HOOKWIRE_MAX_IN_FLIGHT_DEFAULT": "7", "HOOKWIRE_SUSPEND_AFTER": "7", "HOOKWIRE_SMTP_ADDR": "mail:25",
		"HOOKWIRE_SMTP_FROM": "a@b.example", "HOOKWIRE_SMTP_USERNAME": "u", "HOOKWIRE_SMTP_PASSWORD": "p",
		"HOOKWIRE_CONSOLE_URL": "https://hookwire.example/console", "HOOKWIRE_NOTIFY_RECOVERED": "false",
		"HOOKWIRE_NOTICE_WARN_AFTER": "7m", "HOOKWIRE_FANOUT_WORKERS": "7", "HOOKWIRE_DEDUP_TTL": "7h", "HOOKWIRE_ACK_WAIT": "77s", "HOOKWIRE_SHUTDOWN_GRACE": "7s",
		"HOOKWIRE_RETRY_JITTER": "0.5", "HOOKWIRE_RETRY_POLL_INTERVAL": "7s", "HOOKWIRE_DELIVERY_TIMEOUT": "7s",
		"HOOKWIRE_ALLOW_CIDRS": "10.0.0.0/8", "HOOKWIRE_HTTPS_ONLY": "true", "HOOKWIRE_STREAM_REPLICAS": "3",
		"HOOKWIRE_DELIVERIES_DUPLICATE_WINDOW": "7m", "HOOKWIRE_PUBLISH_ACK_TIMEOUT": "7s",
		"HOOKWIRE_EVENTS_DUPLICATE_WINDOW": "7m", "HOOKWIRE_EVENTS_MAX_AGE": "7h",
		"HOOKWIRE_DELIVERY_RETENTION": "7h", "HOOKWIRE_DELIVERY_REPLICAS": "3",
		"HOOKWIRE_DELIVERY_LOG_URL": "postgres://hookwire@db:5432/hookwire", "HOOKWIRE_DELIVERY_LOG_BATCH": "77",
	}
	for _, k := range EnvVars() {
		t.Setenv(k, "")
	}
	t.Setenv("HOOKWIRE_MASTER_KEY", strings.Repeat("ab", 32))
	t.Setenv("HOOKWIRE_TOKENS_FILE", "/base")
	base, err := ConfigFromEnv()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range EnvVars() {
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
			if name == "HOOKWIRE_SMTP_PASSWORD" {
				t.Setenv("HOOKWIRE_SMTP_USERNAME", "u") // a password alone is refused
				t.Setenv("HOOKWIRE_SMTP_ADDR", "localhost:25")
			}
			c, err := ConfigFromEnv()
			if err != nil || reflect.DeepEqual(c, base) {
				t.Fatalf("%s=%s: config unchanged or invalid (%v)", name, v, err)
			}
		})
	}
}

// A configuration error names the master key and the SMTP password but
// never quotes them.
func TestConfigErrorHidesSecrets(t *testing.T) {
	for _, k := range EnvVars() {
		t.Setenv(k, "")
	}
	t.Setenv("HOOKWIRE_TOKENS_FILE", "/t")
	t.Setenv("HOOKWIRE_MASTER_KEY", "s3cret-key")
	t.Setenv("HOOKWIRE_SMTP_ADDR", "mail:25")
	t.Setenv("HOOKWIRE_SMTP_PASSWORD", "s3cret-password")
	t.Setenv("HOOKWIRE_MASTER_KEYS_PREVIOUS", strings.Repeat("ef", 32)+",s3cret-previous")
	_, err := ConfigFromEnv()
	if err == nil {
		t.Fatal("ConfigFromEnv accepted a bad master key")
	}
	for _, name := range []string{"HOOKWIRE_MASTER_KEY", "HOOKWIRE_SMTP_PASSWORD", "HOOKWIRE_MASTER_KEYS_PREVIOUS: entry 2"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error %q does not name %s", err, name)
		}
	}
	if strings.Contains(err.Error(), "s3cret") || strings.Contains(err.Error(), strings.Repeat("ef", 32)) {
		t.Errorf("error %q quotes a secret", err)
	}
}
