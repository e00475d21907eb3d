package daemon

import (
	"net/http"
	"net/http/pprof"
	"os"
	"time"
)

// EnvPprofAddr (unset by default) is the address of a listener serving the
// Go runtime profiles (net/http/pprof, under /debug/pprof/) for profiling a
// running service, e.g. by `make bench BENCH_ARGS=-profiled`. Keep it on a
// loopback or otherwise private address: profiles reveal the code's state.
const EnvPprofAddr = "HOOKWIRE_PPROF_ADDR"

// newPprofServer binds the pprof listener when HOOKWIRE_PPROF_ADDR is set;
// nil otherwise.
func newPprofServer() (*HTTPServer, error) {
	addr := os.Getenv(EnvPprofAddr)
	if addr == "" {
		return nil, nil
	}
	lis, err := listen(addr)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	// A CPU profile streams for its whole duration: no write timeout.
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	return &HTTPServer{srv: srv, lis: lis}, nil
}
