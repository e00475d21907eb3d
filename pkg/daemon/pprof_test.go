package daemon

import (
	"context"
	"io"
	"net/http"
	"testing"
)

func TestPprofServer(t *testing.T) {
	t.Setenv(EnvPprofAddr, "")
	if s, err := newPprofServer(); err != nil || s != nil {
		t.Fatalf("unset: server %v, error %v; want none", s, err)
	}
	t.Setenv(EnvPprofAddr, "127.0.0.1:0")
	s, err := newPprofServer()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	for _, path := range []string{"/debug/pprof/", "/debug/pprof/cmdline", "/debug/pprof/heap"} {
		resp, err := http.Get("http://" + s.Addr() + path)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s: %s", path, resp.Status)
		}
	}
}
