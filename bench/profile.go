package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"time"
)

// profiler fetches pprof profiles from the services during W1, on the
// HOOKWIRE_PPROF_ADDR each is given (package daemon serves /debug/pprof).
type profiler struct {
	dir   string
	addrs map[string]string
	done  chan []string
}

// startCPU asks dispatcher and ingest for a CPU profile of d in the
// background; wait returns the files written and notes for failures.
func startCPU(ctx context.Context, dir string, addrs map[string]string, d time.Duration) *profiler {
	p := &profiler{dir: dir, addrs: addrs, done: make(chan []string, 1)}
	go func() {
		var out []string
		ch := make(chan string, 2)
		for _, svc := range []string{"dispatcher", "ingest"} {
			go func() {
				url := fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", addrs[svc], int(d.Seconds()))
				ch <- fetch(ctx, url, filepath.Join(dir, svc+".cpu.pprof"), d+30*time.Second)
			}()
		}
		for range 2 {
			out = append(out, <-ch)
		}
		p.done <- out
	}()
	return p
}

// allocs fetches the allocation profiles (cumulative since start).
func (p *profiler) allocs(ctx context.Context) []string {
	var out []string
	for _, svc := range []string{"dispatcher", "ingest"} {
		url := fmt.Sprintf("http://%s/debug/pprof/allocs", p.addrs[svc])
		out = append(out, fetch(ctx, url, filepath.Join(p.dir, svc+".allocs.pprof"), 30*time.Second))
	}
	return out
}

func (p *profiler) wait() []string { return <-p.done }

// fetch GETs url into path and returns a line saying what happened.
func fetch(ctx context.Context, url, path string, timeout time.Duration) string {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Sprintf("%s: %v", url, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Sprintf("no pprof endpoint at %s: %v", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Sprintf("no pprof endpoint at %s: HTTP %d", url, resp.StatusCode)
	}
	f, err := os.Create(path)
	if err != nil {
		return err.Error()
	}
	defer f.Close()
	if _, err := io.Copy(f, resp.Body); err != nil {
		return fmt.Sprintf("%s: %v", url, err)
	}
	return "wrote " + path
}
