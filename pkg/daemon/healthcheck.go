package daemon

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"time"
)

// IsHealthcheck reports whether args ask for healthcheck mode
// ("-healthcheck" or "--healthcheck").
func IsHealthcheck(args []string) bool {
	return len(args) == 1 && (args[0] == "-healthcheck" || args[0] == "--healthcheck")
}

// Healthcheck asks the running service's /readyz on 127.0.0.1 at the
// port of HOOKWIRE_HTTP_ADDR (or the service's default) and returns the
// exit code: 0 when it answers 200, 1 otherwise (with the reason on stderr).
// It is what container health checks run, so "healthy" means ready to
// serve (NATS connected, Redis answering, state loaded), not merely that
// the process is up: compose's service_healthy then orders start-ups by
// readiness.
func Healthcheck(service string) int {
	addr, err := HTTPAddr(service)
	if err == nil {
		err = probe(addr)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "healthcheck: %v\n", err)
		return 1
	}
	return 0
}

// probe GETs http://127.0.0.1:<port of addr>/readyz.
func probe(addr string) error {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%s %q: %w", EnvHTTPAddr, addr, err)
	}
	url := "http://" + net.JoinHostPort("127.0.0.1", port) + "/readyz"
	client := &http.Client{Timeout: 3 * time.Second}
	resp, err := client.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return nil
}
