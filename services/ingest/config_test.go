package ingest_test

import (
	"strings"
	"testing"
	"time"

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
				c.MaxEventBytes == 256<<10 && c.MaxPendingAcks == 4096 && c.StreamReplicas == 1
		}, nil},
		{"overrides", map[string]string{
			"HOOKWIRE_TOKENS_FILE": "/etc/tokens.json", "HOOKWIRE_GRPC_ADDR": ":9000",
			"HOOKWIRE_EVENTS_DUPLICATE_WINDOW": "5m", "HOOKWIRE_EVENTS_MAX_AGE": "48h",
			"HOOKWIRE_MAX_EVENT_BYTES": "1024", "HOOKWIRE_STREAM_REPLICAS": "3",
		}, func(c ingest.Config) bool {
			return c.GRPCAddr == ":9000" && c.DuplicateWindow == 5*time.Minute && c.EventsMaxAge == 48*time.Hour &&
				c.MaxEventBytes == 1024 && c.StreamReplicas == 3 && !c.Dev
		}, nil},
		{"every problem reported", map[string]string{
			"HOOKWIRE_STREAM_REPLICAS": "0", "HOOKWIRE_EVENTS_DUPLICATE_WINDOW": "-1s", "HOOKWIRE_MAX_EVENT_BYTES": "1",
		}, nil, []string{"HOOKWIRE_TOKENS_FILE", "HOOKWIRE_STREAM_REPLICAS", "HOOKWIRE_EVENTS_DUPLICATE_WINDOW", "HOOKWIRE_MAX_EVENT_BYTES"}},
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
