package daemon

import (
	"fmt"
	"os"
	"time"
)

// EnvShutdownGrace (default 25s) bounds how long a stopping service drains
// the gRPC calls in flight before it stops them. The dispatcher reads it too:
// the grace of its delivery attempts in flight (compose's stop_grace_period
// sits above both).
const EnvShutdownGrace = "HOOKWIRE_SHUTDOWN_GRACE"

// DefaultShutdownGrace is EnvShutdownGrace's default.
const DefaultShutdownGrace = 25 * time.Second

// ShutdownGrace is HOOKWIRE_SHUTDOWN_GRACE, or its default.
func ShutdownGrace() (time.Duration, error) {
	v := os.Getenv(EnvShutdownGrace)
	if v == "" {
		return DefaultShutdownGrace, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%s %q: must be a positive duration", EnvShutdownGrace, v)
	}
	return d, nil
}
