package ingest_test

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hookwire/hookwire/pkg/daemon"
	"github.com/hookwire/hookwire/services/ingest"
)

func TestConfigFromEnv(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		check   func(c ingest.Config) bool
		wantErr []string
	}{
		{"defaults in dev", map[string]string{"HOOKWIRE_DEV": "true"}, func(c ingest.Config) bool {
			return c.GRPCAddr == ":50052" && c.DuplicateWindow == 2*time.Minute && c.EventsMaxAge == 30*24*time.Hour &&
				c.MaxEventBytes == 256<<10 && c.MaxPendingAcks == 4096 && c.StreamReplicas == 1 &&
				c.RedisURL == "redis://127.0.0.1:6379" && c.DedupTTL == 72*time.Hour && c.MaxDataDepth == 64
		}, nil},
		{"overrides", map[string]string{
			"HOOKWIRE_TOKENS_FILE": "/etc/tokens.json", "HOOKWIRE_GRPC_ADDR": ":9000",
			"HOOKWIRE_EVENTS_DUPLICATE_WINDOW": "5m", "HOOKWIRE_EVENTS_MAX_AGE": "48h",
			"HOOKWIRE_MAX_EVENT_BYTES": "1024", "HOOKWIRE_STREAM_REPLICAS": "3",
			"HOOKWIRE_REDIS_URL": "redis://cache:6380", "HOOKWIRE_DEDUP_TTL": "24h", "HOOKWIRE_MAX_DATA_DEPTH": "20",
		}, func(c ingest.Config) bool {
			return c.GRPCAddr == ":9000" && c.DuplicateWindow == 5*time.Minute && c.EventsMaxAge == 48*time.Hour &&
				c.MaxEventBytes == 1024 && c.StreamReplicas == 3 && !c.Dev &&
				c.RedisURL == "redis://cache:6380" && c.DedupTTL == 24*time.Hour && c.MaxDataDepth == 20
		}, nil},
		{"every problem reported", map[string]string{
			"HOOKWIRE_STREAM_REPLICAS": "0", "HOOKWIRE_EVENTS_DUPLICATE_WINDOW": "-1s", "HOOKWIRE_MAX_EVENT_BYTES": "1",
			"HOOKWIRE_DEDUP_TTL": "30s", "HOOKWIRE_MAX_DATA_DEPTH": "1000",
		}, nil, []string{"HOOKWIRE_TOKENS_FILE", "HOOKWIRE_STREAM_REPLICAS", "HOOKWIRE_EVENTS_DUPLICATE_WINDOW", "HOOKWIRE_MAX_EVENT_BYTES",
			"HOOKWIRE_DEDUP_TTL", "HOOKWIRE_MAX_DATA_DEPTH"}},
		{"unparsable", map[string]string{"HOOKWIRE_DEV": "true", "HOOKWIRE_EVENTS_MAX_AGE": "30 days"}, nil, []string{"HOOKWIRE_EVENTS_MAX_AGE"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			c, err := ingest.ConfigFromEnv()
			if len(tt.wantErr) > 0 {
				for _, w := range tt.wantErr {
					if err == nil || !strings.Contains(err.Error(), w) {
						t.Fatalf("error %v, want it to name %s", err, w)
					}
				}
				return
			}
			if err != nil || !tt.check(c) {
				t.Fatalf("%+v, %v", c, err)
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
	if listed := slices.Sorted(slices.Values(ingest.EnvVars())); !slices.Equal(found, listed) {
		t.Fatalf("HOOKWIRE_* names in the code %v, EnvVars() %v", found, listed)
	}
	samples := map[string]string{
		"HOOKWIRE_GRPC_ADDR": ":9999", "HOOKWIRE_NATS_URL": "nats://nats:4222", "HOOKWIRE_TOKENS_FILE": "/other",
		"HOOKWIRE_DEV": "true", "HOOKWIRE_STREAM_REPLICAS": "3", "HOOKWIRE_EVENTS_DUPLICATE_WINDOW": "3m",
		"HOOKWIRE_EVENTS_MAX_AGE": "24h", "HOOKWIRE_MAX_EVENT_BYTES": "1000", "HOOKWIRE_PUBLISH_MAX_PENDING": "7",
		"HOOKWIRE_PUBLISH_ACK_TIMEOUT": "3s", "HOOKWIRE_REDIS_URL": "redis://cache:6380", "HOOKWIRE_DEDUP_TTL": "24h",
		"HOOKWIRE_MAX_DATA_DEPTH": "20",
	}
	t.Setenv("HOOKWIRE_TOKENS_FILE", "/base")
	base, err := ingest.ConfigFromEnv()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range ingest.EnvVars() {
		t.Run(name, func(t *testing.T) {
			v, ok := samples[name]
			if !ok {
				t.Fatalf("no sample value for %s", name)
			}
			t.Setenv(name, v)
			c, err := ingest.ConfigFromEnv()
			if err != nil || reflect.DeepEqual(c, base) {
				t.Fatalf("%s=%s: config unchanged or invalid (%v)", name, v, err)
			}
		})
	}
}
