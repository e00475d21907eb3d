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

// profiler fetches pprof profiles during W1 from the services, on the
// HOOKWIRE_PPROF_ADDR each is given (package daemon serves /debug/pprof),
// and from nats-server (its ProfPort).
type profiler struct {
	dir   string
	addrs map[string]string
	done  chan []string
}

// profiled are the processes profiled.
var profiled = []string{"dispatcher", "ingest", "nats"}

// startCPU asks each profiled process for a CPU profile of d in the
// background; wait returns the files written and notes for failures.
func startCPU(ctx context.Context, dir string, addrs map[string]string, d time.Duration) *profiler {
	p := &profiler{dir: dir, addrs: addrs, done: make(chan []string, 1)}
	go func() {
		var out []string
		ch := make(chan string, len(profiled))
		for _, svc := range profiled {
			go func() {
				url := fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", addrs[svc], int(d.Seconds()))
				ch <- fetch(ctx, url, filepath.Join(dir, svc+".cpu.pprof"), d+30*time.Second)
			}()
		}
		for range profiled {
			out = append(out, <-ch)
		}
		p.done <- out
	}()
	return p
}

// allocs fetches the allocation profiles (cumulative since start).
func (p *profiler) allocs(ctx context.Context) []string {
	return snapshot(ctx, p.dir, p.addrs, "allocs", profiled, "")
}

// snapshot fetches profile kind (allocs, heap) of each of procs into dir,
// as <proc><suffix>.<kind>.pprof.
func snapshot(ctx context.Context, dir string, addrs map[string]string, kind string, procs []string, suffix string) []string {
	var out []string
	for _, svc := range procs {
		url := fmt.Sprintf("http://%s/debug/pprof/%s", addrs[svc], kind)
		out = append(out, fetch(ctx, url, filepath.Join(dir, svc+suffix+"."+kind+".pprof"), 30*time.Second))
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
