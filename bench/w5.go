package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// W5Result is the match index benchmark (services/dispatcher/match).
type W5Result struct {
	NsPerMatch     map[string]float64 `json:"ns_per_match"`
	AllocsPerMatch map[string]float64 `json:"allocs_per_match"`
	HeapMiB1M      float64            `json:"index_heap_mib_1m_subs"`
	PeakRSSMiB1M   float64            `json:"process_peak_rss_mib_1m_subs"`
	Growth         float64            `json:"ns_1m_over_ns_10k"`
	Output         string             `json:"output"`
}

// w5 builds the match package's test binary and runs BenchmarkMatch and
// BenchmarkIndexMemory in child processes; the peak RSS is the
// IndexMemory process's (rusage maxrss), which holds the 1M-subscription
// index plus the Go runtime and test framework.
func (b *bench) w5(ctx context.Context) (*W5Result, error) {
	logf("W5: match index benchmarks")
	bin := filepath.Join(b.st.dir, "bin", "match.test")
	cmd := exec.CommandContext(ctx, "go", "test", "-c", "-o", bin, "./match/")
	cmd.Dir = filepath.Join(b.cfg.repo, "services", "dispatcher")
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("build match benchmark: %w\n%s", err, out)
	}
	r := &W5Result{NsPerMatch: map[string]float64{}, AllocsPerMatch: map[string]float64{}}
	run := func(args ...string) (string, *syscall.Rusage, error) {
		cctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
		defer cancel()
		c := exec.CommandContext(cctx, bin, args...)
		out, err := c.CombinedOutput()
		if err != nil {
			return "", nil, fmt.Errorf("%s %v: %w\n%s", bin, args, err, out)
		}
		ru, _ := c.ProcessState.SysUsage().(*syscall.Rusage)
		return string(out), ru, nil
	}
	out, _, err := run("-test.run", "^$", "-test.bench", "Match$", "-test.benchmem", "-test.benchtime", "20000x")
	if err != nil {
		return nil, err
	}
	r.Output = out
	out2, ru, err := run("-test.run", "^$", "-test.bench", "IndexMemory", "-test.benchtime", "1x")
	if err != nil {
		return nil, err
	}
	r.Output += out2
	if ru != nil {
		r.PeakRSSMiB1M = round(float64(ru.Maxrss)/1024, 1) // Linux: KiB
	}
	sc := bufio.NewScanner(bytes.NewBufferString(r.Output))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		name := f[0]
		if i := strings.LastIndexByte(name, '-'); i > 0 {
			name = name[:i] // GOMAXPROCS suffix
		}
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				continue
			}
			switch f[i+1] {
			case "ns/op":
				if sub, ok := strings.CutPrefix(name, "BenchmarkMatch/"); ok {
					r.NsPerMatch[sub] = v
				}
			case "allocs/op":
				if sub, ok := strings.CutPrefix(name, "BenchmarkMatch/"); ok {
					r.AllocsPerMatch[sub] = v
				}
			case "MiB/1M-subs":
				r.HeapMiB1M = v
			}
		}
	}
	if a, z := r.NsPerMatch["subs=10000"], r.NsPerMatch["subs=1000000"]; a > 0 {
		r.Growth = round(z/a, 2)
	}
	logf("  ns/match %v; index heap %.0f MiB, process peak RSS %.0f MiB (1M subscriptions)", r.NsPerMatch, r.HeapMiB1M, r.PeakRSSMiB1M)
	return r, nil
}
