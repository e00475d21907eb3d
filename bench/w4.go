package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/redis/go-redis/v9"
)

// retriesKey is the dispatcher's Redis sorted set of waiting retries
// (services/dispatcher/retry.Key; read-only here).
const retriesKey = "hookwire:retries"

// W4Result is a retry backlog and the healthy load's latency beside it.
type W4Result struct {
	Target         int                `json:"backlog_target"`
	FailingSubs    int                `json:"failing_subscriptions"`
	Events         int                `json:"backlog_events"`
	Waiting        int64              `json:"retries_waiting"`
	BuildSeconds   float64            `json:"build_s"`
	BuildPerSec    float64            `json:"failed_attempts_per_s"`
	Reached        bool               `json:"target_reached"`
	RSSBeforeMiB   map[string]float64 `json:"rss_before_mib"`
	RSSAfterMiB    map[string]float64 `json:"rss_after_mib"`
	ExtraRSSMiB    float64            `json:"extra_rss_mib"`
	BuildProcesses []ProcUsage        `json:"build_processes"`
	Healthy        *W2Result          `json:"healthy"`
	TasksHeld      float64            `json:"tasks_held_during_build"`
	P99VsW2        float64            `json:"healthy_p99_over_w2_p99"`
	W2P99          float64            `json:"w2_p99_ms"` // 0: W2 not run
	// PostgresBefore and PostgresAfter are the delivery log's PostgreSQL
	// (its memory and disk), reported apart from the extra RSS.
	PostgresBefore *pgFigures `json:"postgres_before,omitempty"`
	PostgresAfter  *pgFigures `json:"postgres_after,omitempty"`
}

// postgresApart is the PostgreSQL figures for the target line ("" for
// the embedded store).
func (w *W4Result) postgresApart() string {
	if w.PostgresBefore == nil || w.PostgresAfter == nil {
		return ""
	}
	return fmt.Sprintf("; PostgreSQL apart: memory %+.0f MiB, log disk %+.0f MiB",
		w.PostgresAfter.MemMiB-w.PostgresBefore.MemMiB, w.PostgresAfter.DiskMiB-w.PostgresBefore.DiskMiB)
}

// backlogProcs are the processes whose RSS the backlog may grow.
var backlogProcs = []string{"nats", "redis", "dispatcher"}

func (b *bench) rss() map[string]float64 {
	out := map[string]float64{}
	for _, p := range b.st.processes() {
		for _, n := range backlogProcs {
			if p.name == n {
				u, _ := readUsage(p.pid())
				out[n] = round(float64(u.RSSKiB)/1024, 1)
			}
		}
	}
	return out
}

func (b *bench) w4(ctx context.Context, w2p99 float64) (*W4Result, error) {
	k := b.cfg.w4Subs
	r := &W4Result{Target: b.cfg.w4Backlog, FailingSubs: k, Events: (b.cfg.w4Backlog + k - 1) / k}
	logf("W4: backlog of %d failed deliveries (%d events x %d failing subscriptions), then the W2 load", r.Events*k, r.Events, k)
	if err := b.failingSubs(ctx, k); err != nil {
		return nil, err
	}
	rdb := redis.NewClient(&redis.Options{Addr: b.st.redisAddr})
	defer rdb.Close()
	base, err := rdb.ZCard(ctx, retriesKey).Result()
	if err != nil {
		return nil, fmt.Errorf("zcard %s: %w", retriesKey, err)
	}
	r.RSSBeforeMiB = b.rss()
	r.PostgresBefore = b.pgFigures(ctx)
	held0 := b.tasksHeld(ctx)
	m := b.startMeter()
	start := time.Now()
	if _, _, err := b.publishAll(ctx, "w4f", r.Events); err != nil {
		return nil, err
	}
	want := base + int64(r.Events*k)
	var last int64
	lastChange := time.Now()
	for {
		n, err := rdb.ZCard(ctx, retriesKey).Result()
		if err != nil {
			return nil, fmt.Errorf("zcard %s: %w", retriesKey, err)
		}
		if n != last {
			last, lastChange = n, time.Now()
		}
		if n >= want {
			r.Reached = true
			break
		}
		if time.Since(lastChange) > b.cfg.stall || time.Since(start) > b.cfg.w4Deadline {
			logf("  backlog stopped growing at %d of %d", n-base, want-base)
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	build := time.Since(start)
	r.Waiting = last - base
	r.BuildSeconds = secs(build)
	r.BuildPerSec = round(float64(r.Waiting)/build.Seconds(), 0)
	r.BuildProcesses = m.stop()
	r.TasksHeld = b.tasksHeld(ctx) - held0
	logf("  %d retries waiting after %.1fs (%.0f failed attempts/s)", r.Waiting, build.Seconds(), r.BuildPerSec)
	if b.cfg.profiled {
		// Where the backlog's memory is: the live heap of each holder.
		dir := filepath.Join(b.cfg.out, "profiles", "w4-"+time.Now().UTC().Format("20060102T150405Z"))
		if err := os.MkdirAll(dir, 0o755); err == nil {
			for _, n := range snapshot(ctx, dir, b.st.httpAddr, "heap", []string{"nats", "dispatcher"}, "-backlog") {
				logf("  profile: %s", n)
			}
		}
	}
	if r.Healthy, err = b.w2(ctx, "w4h"); err != nil {
		return nil, err
	}
	r.RSSAfterMiB = b.rss()
	r.PostgresAfter = b.pgFigures(ctx)
	for _, n := range backlogProcs {
		r.ExtraRSSMiB += r.RSSAfterMiB[n] - r.RSSBeforeMiB[n]
	}
	r.ExtraRSSMiB = round(r.ExtraRSSMiB, 1)
	r.W2P99 = w2p99
	if w2p99 > 0 {
		r.P99VsW2 = round(r.Healthy.LatencyMS.P99/w2p99, 2)
	}
	logf("  extra RSS %.1f MiB; healthy p99 %.2f ms (%.2fx W2)", r.ExtraRSSMiB, r.Healthy.LatencyMS.P99, r.P99VsW2)
	return r, nil
}
