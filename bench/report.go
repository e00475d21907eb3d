package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Results is everything one run measured.
type Results struct {
	StartedAt string `json:"started_at"`
	Host      Host   `json:"host"`
	Config    any    `json:"config"`
	// Stores are W1, W2 and W4 on each delivery log store, in run order.
	Stores   []*StoreRun `json:"stores"`
	W2After  *W2Result   `json:"w2_after_w3,omitempty"`
	W3       *W3Result   `json:"w3,omitempty"`
	W3Store  string      `json:"w3_store,omitempty"`
	W5       *W5Result   `json:"w5,omitempty"`
	W6       *W6Result   `json:"w6,omitempty"`
	Targets  []Target    `json:"targets"`
	Profiles []string    `json:"profiles,omitempty"`
	Errors   []string    `json:"errors,omitempty"`
	Notes    []string    `json:"notes,omitempty"`
}

// StoreRun is W1, W2 and W4 on one delivery log store, on a fresh stack.
type StoreRun struct {
	Store string    `json:"store"` // embedded (JetStream KV) or postgres
	W1    *W1Result `json:"w1,omitempty"`
	W2    *W2Result `json:"w2,omitempty"`
	W4    *W4Result `json:"w4,omitempty"`
}

// Host describes the machine.
type Host struct {
	CPUs      int    `json:"cpus"`
	GoVersion string `json:"go"`
	Commit    string `json:"commit"`
	Source    string `json:"source"`
	Kernel    string `json:"kernel"`
	// LoadStart and LoadEnd are /proc/loadavg at the start and end of the
	// run: other work on the machine skews every figure.
	LoadStart string `json:"loadavg_start"`
	LoadEnd   string `json:"loadavg_end"`
}

// Target is one of the targets next to the measured figure.
type Target struct {
	Name     string `json:"name"`
	Target   string `json:"target"`
	Measured string `json:"measured"`
	Pass     bool   `json:"pass"`
	Skipped  bool   `json:"skipped,omitempty"`
}

// targets checks the targets (issues 6 and 11) against the results.
func (r *Results) targets() {
	add := func(name, target, measured string, pass bool) {
		r.Targets = append(r.Targets, Target{Name: name, Target: target, Measured: measured, Pass: pass})
	}
	skip := func(name, target string) {
		r.Targets = append(r.Targets, Target{Name: name, Target: target, Measured: "not run", Skipped: true})
	}
	for _, sr := range r.Stores {
		r.storeTargets(sr, add, skip)
	}
	if len(r.Stores) == 0 {
		skip("W1 throughput", "≥ 60 % of ceiling, 0 missing")
		skip("W2 latency", "p50 ≤ 2 ms, p99 ≤ 10 ms")
		skip("W4 backlog", "≤ 300 MB extra RSS, healthy p99 within 20 % of W2")
	}
	if w := r.W3; w != nil {
		add("W3 fan-out", fmt.Sprintf("last of %d deliveries ≤ 2 s", w.Subscriptions),
			fmt.Sprintf("%.3f s, %d missing", w.LastDeliverySecs, w.Missing),
			w.LastDeliverySecs <= 2 && w.Missing == 0)
	} else {
		skip("W3 fan-out", "≤ 2 s")
	}
	if w := r.W5; w != nil {
		add("W5 match index", "1M subscriptions ≤ 1 GiB; ns/match at 1M ≤ 2 × at 10k",
			fmt.Sprintf("heap %.0f MiB, process peak RSS %.0f MiB; %.0f → %.0f ns (×%.2f)", w.HeapMiB1M, w.PeakRSSMiB1M,
				w.NsPerMatch["subs=10000"], w.NsPerMatch["subs=1000000"], w.Growth),
			w.PeakRSSMiB1M <= 1024 && w.Growth > 0 && w.Growth <= 2)
	} else {
		skip("W5 match index", "≤ 1 GiB, match cost independent of non-matching subscriptions")
	}
	if w := r.W6; w != nil {
		add("W6 retained history: nats", fmt.Sprintf("%s deliveries in PostgreSQL: nats-server RSS within 50 MB of an empty log", millions(w.Loaded)),
			fmt.Sprintf("%+.1f MiB (%.1f → %.1f MiB)", w.NATSDeltaMiB, w.NATSBeforeMiB, w.NATSAfterMiB),
			w.NATSDeltaMiB*1.048576 <= 50 && w.Loaded >= 10_000_000)
		add("W6 retained history: ListDeliveries", fmt.Sprintf("subscription of %s: p99 ≤ 50 ms, first page and deep", millions(int64(w.BigSub))),
			fmt.Sprintf("first p50 %.2f / p99 %.2f ms; deep (after %d) p50 %.2f / p99 %.2f ms; %.0f B/record on disk",
				w.FirstPageMS.P50, w.FirstPageMS.P99, w.DeepOffset, w.DeepPageMS.P50, w.DeepPageMS.P99, w.DiskBytesPerRecord),
			w.FirstPageMS.P99 <= 50 && w.DeepPageMS.P99 <= 50 && w.FirstPageMS.N > 0 && w.DeepPageMS.N > 0 && w.BigSub >= 1_000_000)
	} else {
		skip("W6 retained history", "10M deliveries: nats within 50 MB, ListDeliveries p99 ≤ 50 ms")
	}
}

func millions(n int64) string {
	if n >= 1_000_000 && n%100_000 == 0 {
		return strconv.FormatFloat(float64(n)/1e6, 'f', -1, 64) + "M"
	}
	return strconv.FormatInt(n, 10)
}

// storeTargets checks W1, W2 and W4 of one store; the target names carry
// the store.
func (r *Results) storeTargets(sr *StoreRun, add func(name, target, measured string, pass bool), skip func(name, target string)) {
	in := " [" + sr.Store + "]"
	if w := sr.W1; w != nil {
		add("W1 throughput"+in, "≥ 60 % of ceiling, 0 missing",
			fmt.Sprintf("%.0f/s = %.1f %% of %.0f/s, %d missing", w.DeliveriesPerSec, 100*w.Ratio, w.CeilingPerSec, w.Missing),
			w.Ratio >= 0.60 && w.Missing == 0)
	} else {
		skip("W1 throughput"+in, "≥ 60 % of ceiling, 0 missing")
	}
	if w := sr.W2; w != nil {
		add("W2 latency"+in, "p50 ≤ 2 ms, p99 ≤ 10 ms",
			fmt.Sprintf("p50 %.2f ms, p99 %.2f ms, %d missing", w.LatencyMS.P50, w.LatencyMS.P99, w.Missing),
			w.LatencyMS.P50 <= 2 && w.LatencyMS.P99 <= 10 && w.Missing == 0 && w.LatencyMS.N > 0)
	} else {
		skip("W2 latency"+in, "p50 ≤ 2 ms, p99 ≤ 10 ms")
	}
	if w := sr.W4; w != nil {
		note := ""
		if w.Waiting < 1_000_000 {
			note = fmt.Sprintf(" (backlog %d, not 1M: scale with -w4-backlog)", w.Waiting)
		}
		vsW2 := fmt.Sprintf("%.2f × W2", w.P99VsW2)
		if w.W2P99 == 0 {
			vsW2 = "W2 not run, no ratio"
		}
		var parts []string
		for _, n := range backlogProcs {
			parts = append(parts, fmt.Sprintf("%s %+.0f", n, w.RSSAfterMiB[n]-w.RSSBeforeMiB[n]))
		}
		add("W4 backlog"+in, "≤ 300 MB extra RSS, healthy p99 ≤ 1.2 × W2",
			fmt.Sprintf("%.0f MiB extra (%s), p99 %.2f ms = %s%s%s", w.ExtraRSSMiB, strings.Join(parts, ", "), w.Healthy.LatencyMS.P99, vsW2, w.postgresApart(), note),
			w.ExtraRSSMiB*1.048576 <= 300 && w.W2P99 > 0 && w.P99VsW2 <= 1.2 && w.Waiting >= 1_000_000)
	} else {
		skip("W4 backlog"+in, "≤ 300 MB extra RSS, healthy p99 within 20 % of W2")
	}
}

// write stores the results as JSON and Markdown in dir: latest.* and a
// timestamped copy.
func (r *Results) write(dir string) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	js, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return nil, err
	}
	md := []byte(r.markdown())
	stamp := strings.ReplaceAll(r.StartedAt, ":", "")
	var files []string
	for name, b := range map[string][]byte{
		"latest.json": js, "latest.md": md, stamp + ".json": js, stamp + ".md": md,
	} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, append(b, '\n'), 0o644); err != nil {
			return files, err
		}
		files = append(files, p)
	}
	return files, nil
}

func stampNow() string { return time.Now().UTC().Format("2006-01-02T15:04:05Z") }
