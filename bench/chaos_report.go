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
	b.WriteString("Subscriptions retry after 1, 2, 3, 5, 5, 10 s ×5, 30 s ×2 (13 attempts); Redis keeps an append-only file (fsync every second) and is stopped with SIGTERM; faulty receivers are 0–2.\n\n")
	b.WriteString("| scenario | accepted events | not accepted | expected deliveries | delivered | lost | duplicates | duplicates kept webhook-id | longest gap, healthy receivers s | p99 during fault ms (healthy / all) | slowest during fault s | after the fault: first / backlog delivered / longest gap s | p99 ms (whole scenario) | WARN+ERROR log lines | fault took s | target | verdict |\n")
	b.WriteString("|---|--:|--:|--:|--:|--:|--:|---|--:|--:|--:|--:|--:|--:|--:|---|---|\n")
	for _, r := range rows {
		verdict := "pass"
		if len(r.Misses) > 0 {
			verdict = "miss: " + strings.Join(r.Misses, "; ")
		}
		if r.Err != "" {
			verdict += " (" + firstLine(r.Err) + ")"
		}
		after := "–"
		if r.DrainMS != 0 || r.FirstAfterMS != 0 {
			after = fmt.Sprintf("%.2f / %.2f / %.2f", r.FirstAfterMS/1e3, r.DrainMS/1e3, r.DrainGapMS/1e3)
		}
		fmt.Fprintf(&b, "| %s | %d | %d | %d | %d | %d | %d | %v | %.2f | %.0f / %.0f | %.2f | %s | %.1f | %d | %.1f | %s | %s |\n", r.Name, r.Accepted, r.NotAccepted,
			r.Expected, r.Delivered, r.Lost, r.Duplicates, r.KeptID, r.GapMS/1e3, r.FaultP99HealthyMS, r.FaultP99MS, r.FaultMaxMS/1e3,
			after, r.P99MS, r.LogLines, r.FaultSeconds, r.Target, verdict)
	}
	for _, r := range rows {
		if r.Note != "" {
			fmt.Fprintf(&b, "\n%s: %s.\n", r.Name, r.Note)
		}
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
	b.WriteString(`
How to read it: the load window runs from the first publish to the last; the longest gap is the longest time in it with no 2xx
answer from one healthy receiver (one that the fault itself does not touch: in the Redis row every receiver is healthy and the gap is
the outage as subscribers see it). "During fault" is the latency (publish to first 2xx) of events published while the fault lasted.
"After the fault" is measured on the faulty receivers (every receiver for Redis): the first delivery after the fault ended, when the
last event published before its end arrived, and the longest gap in between — a backlog that drains at the receivers' pace has no gap.
`)
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
