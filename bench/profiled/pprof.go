// Package profiled serves net/http/pprof for the benchmark's profiled
// builds of the services (bench/profiled/*): `bench -profiled` runs them
// instead of services/*/cmd so that CPU and allocation profiles come from
// the real multi-process pipeline. The services' own mains are unchanged.
package profiled

import (
	"fmt"
	"net/http"
	_ "net/http/pprof" // registers /debug/pprof on http.DefaultServeMux
	"os"
	"time"
)

// Start serves /debug/pprof on $HOOKWIRE_PPROF_ADDR in the background
// (nothing when unset) for the life of the process.
func Start() {
	addr := os.Getenv("HOOKWIRE_PPROF_ADDR")
	if addr == "" {
		return
	}
	srv := &http.Server{Addr: addr, Handler: http.DefaultServeMux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.ListenAndServe(); err != nil {
			fmt.Fprintln(os.Stderr, "pprof listener:", err)
		}
	}()
}
