package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// freshResult is how often a fresh cluster came up with every service
// started at once.
type freshResult struct {
	Runs, Up int
	Slowest  time.Duration
	Errors   []string
}

// chaosFresh starts, cfg.freshRuns times, a new 3-node cluster, Redis,
// receivers and all four services at the same moment, and counts the
// runs in which every service became healthy.
func chaosFresh(ctx context.Context, cfg chaosConfig, dir, bin string) freshResult {
	var r freshResult
	for i := range cfg.freshRuns {
		if ctx.Err() != nil {
			break
		}
		r.Runs++
		ps := &procs{}
		start := time.Now()
		_, err := startChaosStack(ctx, cfg, filepath.Join(dir, fmt.Sprintf("fresh%d", i)), ps, bin)
		took := time.Since(start)
		if err == nil {
			r.Up++
			r.Slowest = max(r.Slowest, took)
			logf("fresh cluster %d: every service healthy after %s", i+1, took.Round(time.Millisecond))
		} else {
			r.Errors = append(r.Errors, fmt.Sprintf("run %d: %v", i+1, firstLine(err.Error())))
			logf("fresh cluster %d: %v", i+1, err)
		}
		ps.killAll()
	}
	return r
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// writeChaos writes the results table to cfg.out/cfg.resultFile and prints it.
func writeChaos(cfg chaosConfig, rows []chaosRow, fresh freshResult) error {
	var b strings.Builder
	mode := "full"
	if cfg.short {
		mode = "short (-short)"
	}
	fmt.Fprintf(&b, "# make chaos (%s)\n\n", mode)
	fmt.Fprintf(&b, "Run %s on %s: 3-node nats-server cluster (separate processes), streams and buckets at R3, redis-server, registry, ingest, two dispatchers, %d receivers; %d events/s x %d subscriptions = %d deliveries/s offered; %s of load before each fault and %s after it.\n\n",
		time.Now().UTC().Format(time.RFC3339), loadHost(), cfg.subs, cfg.rate, cfg.subs, cfg.rate*cfg.subs, cfg.before, cfg.after)
	b.WriteString("| scenario | accepted events | not accepted | expected deliveries | delivered | lost | duplicates | duplicates kept webhook-id | p99 latency ms (whole scenario) | fault took s | target | pass/miss |\n")
	b.WriteString("|---|--:|--:|--:|--:|--:|--:|---|--:|--:|---|---|\n")
	for _, r := range rows {
		verdict := "pass"
		if r.Lost > 0 || !r.KeptID || (strings.Contains(r.Target, "0 duplicates") && r.Duplicates > 0) {
			verdict = "miss"
		}
		if r.Err != "" {
			verdict += " (" + firstLine(r.Err) + ")"
		}
		fmt.Fprintf(&b, "| %s | %d | %d | %d | %d | %d | %d | %v | %.1f | %.1f | %s | %s |\n", r.Name, r.Accepted, r.NotAccepted,
			r.Expected, r.Delivered, r.Lost, r.Duplicates, r.KeptID, r.P99MS, r.FaultSeconds, r.Target, verdict)
	}
	verdict := "pass"
	if fresh.Up < fresh.Runs || fresh.Runs == 0 {
		verdict = "miss"
	}
	fmt.Fprintf(&b, "\nFresh 3-node cluster with every service started at once: %d of %d came up (slowest %s); target %d of %d: %s.\n",
		fresh.Up, fresh.Runs, fresh.Slowest.Round(time.Millisecond), fresh.Runs, fresh.Runs, verdict)
	for _, e := range fresh.Errors {
		fmt.Fprintf(&b, "- %s\n", e)
	}
	b.WriteString("\nNot measured by this harness yet: the longest gap with no delivery to a healthy receiver and p99 latency restricted to the fault window; the Redis outage, failing-receiver and slow-receiver scenarios.\n")
	fmt.Println()
	fmt.Print(b.String())
	if err := os.MkdirAll(cfg.out, 0o755); err != nil {
		return err
	}
	path := filepath.Join(cfg.out, cfg.resultFile)
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		return err
	}
	logf("wrote %s", path)
	return nil
}

func loadHost() string {
	return fmt.Sprintf("%d CPUs, load %s", host(".", "").CPUs, loadavg())
}
