package daemon

import (
	"fmt"
	"log/slog"
	"os"
	"strings"
)

// The environment the daemon reads itself (each service's Config reads the rest):
//
//   - HOOKWIRE_HTTP_ADDR (default per service, DefaultHTTPAddr): address of
//     /healthz, /readyz and /metrics.
//   - HOOKWIRE_LOG_LEVEL (default info): debug, info, warn or error.
//   - HOOKWIRE_PPROF_ADDR (unset: none): address serving net/http/pprof.
//   - HOOKWIRE_SHUTDOWN_GRACE (default 25s): how long a stop drains the
//     gRPC calls in flight (EnvShutdownGrace).
const (
	EnvHTTPAddr = "HOOKWIRE_HTTP_ADDR"
	EnvLogLevel = "HOOKWIRE_LOG_LEVEL"
)

// EnvVars lists every HOOKWIRE_* variable the daemon reads.
func EnvVars() []string {
	return []string{EnvHTTPAddr, EnvLogLevel, EnvPprofAddr, EnvShutdownGrace}
}

// DefaultHTTPAddr is a service's HTTP address when HOOKWIRE_HTTP_ADDR is
// unset: registry :8081, ingest :8082, dispatcher :8083; "" for another name.
func DefaultHTTPAddr(service string) string {
	switch service {
	case "registry":
		return ":8081"
	case "ingest":
		return ":8082"
	case "dispatcher":
		return ":8083"
	}
	return ""
}

// HTTPAddr is HOOKWIRE_HTTP_ADDR, or the service's default.
func HTTPAddr(service string) (string, error) {
	if v := os.Getenv(EnvHTTPAddr); v != "" {
		return v, nil
	}
	if a := DefaultHTTPAddr(service); a != "" {
		return a, nil
	}
	return "", fmt.Errorf("%s: no default for service %q; set it", EnvHTTPAddr, service)
}

// LogLevel is HOOKWIRE_LOG_LEVEL (debug, info, warn, error; default info).
func LogLevel() (slog.Level, error) {
	v := os.Getenv(EnvLogLevel)
	if v == "" {
		return slog.LevelInfo, nil
	}
	var l slog.Level
	if err := l.UnmarshalText([]byte(strings.ToUpper(v))); err != nil {
		return slog.LevelInfo, fmt.Errorf("%s: %w", EnvLogLevel, err)
	}
	return l, nil
}
