package daemon

import (
	"log/slog"
	"slices"
	"strings"
	"testing"
)

func TestEnv(t *testing.T) {
	tests := []struct {
		name, level, httpAddr, service string
		wantLevel                      slog.Level
		wantAddr                       string
		wantErr                        bool
	}{
		{name: "defaults", service: "ingest", wantLevel: slog.LevelInfo, wantAddr: ":8082"},
		{name: "registry", service: "registry", wantLevel: slog.LevelInfo, wantAddr: ":8081"},
		{name: "dispatcher debug", service: "dispatcher", level: "debug", wantLevel: slog.LevelDebug, wantAddr: ":8083"},
		{name: "override", service: "ingest", level: "WARN", httpAddr: "0.0.0.0:9000", wantLevel: slog.LevelWarn, wantAddr: "0.0.0.0:9000"},
		{name: "bad level", service: "ingest", level: "loud", wantErr: true},
		{name: "unknown service", service: "other", wantLevel: slog.LevelInfo, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(EnvLogLevel, tc.level)
			t.Setenv(EnvHTTPAddr, tc.httpAddr)
			level, lerr := LogLevel()
			addr, aerr := HTTPAddr(tc.service)
			if gotErr := lerr != nil || aerr != nil; gotErr != tc.wantErr {
				t.Fatalf("errors = %v, %v; want error %v", lerr, aerr, tc.wantErr)
			}
			if tc.wantErr {
				return
			}
			if level != tc.wantLevel || addr != tc.wantAddr {
				t.Fatalf("level %v addr %q, want %v %q", level, addr, tc.wantLevel, tc.wantAddr)
			}
		})
	}
}

func TestIsHealthcheck(t *testing.T) {
	for args, want := range map[string]bool{"-healthcheck": true, "--healthcheck": true, "": false, "-healthcheck x": false, "serve": false} {
		if got := IsHealthcheck(strings.Fields(args)); got != want {
			t.Errorf("IsHealthcheck(%q) = %v", args, got)
		}
	}
}

// EnvVars lists exactly the HOOKWIRE_* names the package's code mentions.
func TestEnvVarsComplete(t *testing.T) {
	found, err := EnvNamesIn(".")
	if err != nil {
		t.Fatal(err)
	}
	if want := slices.Sorted(slices.Values(EnvVars())); !slices.Equal(found, want) {
		t.Fatalf("HOOKWIRE_* literals in the code %v, EnvVars() %v", found, want)
	}
}
