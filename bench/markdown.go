package main

import (
	"fmt"
	"strings"
)

// markdown renders the results as the tables committed under bench/results.
func (r *Results) markdown() string {
	var b strings.Builder
	p := func(format string, a ...any) { fmt.Fprintf(&b, format+"\n", a...) }
	p("# Hookwire benchmark — %s", r.StartedAt)
	p("")
	p("%d CPUs, %s, commit %s (%s), kernel %s. Durable JetStream (file storage, default sync policy), real redis-server, the three services as separate processes, receivers in their own process; the PostgreSQL store on a private PostgreSQL (initdb in a temp dir, fsync and synchronous_commit on, %s).", r.Host.CPUs, r.Host.GoVersion, r.Host.Commit, r.Host.Source, r.Host.Kernel, strings.Join(pgSettings, ", "))
	p("")
	p("Load average at start / end: %s / %s (the machine is shared; other work skews the figures).", r.Host.LoadStart, r.Host.LoadEnd)
	p("")
	p("## Targets")
	p("")
	p("| Workload | Target | Measured | Result |")
	p("|---|---|---|---|")
	for _, t := range r.Targets {
		res := "miss"
		switch {
		case t.Skipped:
			res = "not run"
		case t.Pass:
			res = "pass"
		}
		p("| %s | %s | %s | %s |", t.Name, t.Target, t.Measured, res)
	}
	p("")
	p("## Delivery log stores: W1, W2, W4 on each (a fresh stack per store, same load)")
	p("")
	p("| Store | W1 deliveries/s | ceiling/s | W1 / ceiling | W2 p50 | W2 p99 | W4 backlog | W4 extra RSS (nats+redis+dispatcher) | W4 healthy p99 | PostgreSQL after W4 (apart) |")
	p("|---|---|---|---|---|---|---|---|---|---|")
	for _, sr := range r.Stores {
		storeRow(p, sr)
	}
	p("")
	for _, sr := range r.Stores {
		in := " — " + sr.Store
		if w := sr.W1; w != nil {
			p("")
			p("## W1 throughput%s (%d events × %d subscriptions, %d B payload)", in, w.Events, w.Subscriptions, w.PayloadBytes)
			p("")
			p("| Figure | Value |")
			p("|---|---|")
			p("| events accepted | %d in %.2f s = **%.0f events/s** (%d rejected) |", w.Accepted, w.AcceptSeconds, w.EventsPerSec, w.Rejected)
			p("| deliveries end to end | %d in %.2f s = **%.0f deliveries/s** |", w.Delivered, w.EndToEndSeconds, w.DeliveriesPerSec)
			p("| missing / duplicate | %d / %d (duplicates at end of run: %d) |", w.Missing, w.Duplicates, w.LateDuplicates)
			p("| publish→receive latency under saturation | p50 %.1f ms, p99 %.1f ms, max %.1f ms |", w.LatencyMS.P50, w.LatencyMS.P99, w.LatencyMS.Max)
			p("| ceiling (plain Go client, %d workers, keep-alive) | %d POSTs = **%.0f deliveries/s** (%d errors) |", w.CeilingWorkers, w.CeilingDeliveries, w.CeilingPerSec, w.CeilingErrors)
			p("| pipeline / ceiling | **%.1f %%** |", 100*w.Ratio)
			p("| per delivery: NATS messages (in+out at the server) / Redis commands | %.2f / %.2f |", w.PerDelivery.NATSMsgs, w.PerDelivery.RedisCommands)
			p("| tasks held in Redis on the way (lane or waiting budget full) | %.0f |", w.TasksHeld)
			pgWorkRow(p, w.Postgres)
			var cpu []string
			for _, u := range w.Processes {
				cpu = append(cpu, fmt.Sprintf("%s %.0f", u.Name, w.PerDelivery.CPUMicros[u.Name]))
			}
			p("| per delivery: CPU µs by process | %s |", strings.Join(cpu, ", "))
			p("")
			procTable(p, "W1 pipeline"+in, w.Processes)
			procTable(p, "Ceiling run"+in, w.CeilingProcesses)
		}
		if w := sr.W2; w != nil {
			w2Table(p, "W2 latency"+in, w)
		}
		if w := sr.W4; w != nil {
			p("## W4 retry backlog%s (%d failing subscriptions × %d events, 1 h retry delay)", in, w.FailingSubs, w.Events)
			p("")
			p("| Figure | Value |")
			p("|---|---|")
			p("| retries waiting (Redis ZSET) | %d of %d (reached: %v) after %.1f s = %.0f failed attempts/s |", w.Waiting, w.Target, w.Reached, w.BuildSeconds, w.BuildPerSec)
			for _, n := range backlogProcs {
				p("| RSS %s before → after | %.1f → %.1f MiB |", n, w.RSSBeforeMiB[n], w.RSSAfterMiB[n])
			}
			p("| extra RSS (nats + redis + dispatcher) | **%.1f MiB** |", w.ExtraRSSMiB)
			if a, z := w.PostgresBefore, w.PostgresAfter; a != nil && z != nil {
				p("| PostgreSQL (apart): memory (Pss of its processes) before → after | %.1f → %.1f MiB |", a.MemMiB, z.MemMiB)
				p("| PostgreSQL (apart): delivery log on disk before → after | %.1f → %.1f MiB |", a.DiskMiB, z.DiskMiB)
			}
			p("| healthy p99 / W2 p99 | %.2f |", w.P99VsW2)
			p("| tasks held in Redis during the build (lane or waiting budget full) | %.0f |", w.TasksHeld)
			p("")
			procTable(p, "W4 backlog build"+in, w.BuildProcesses)
			w2Table(p, "W4 healthy load beside the backlog"+in, w.Healthy)
		}
	}
	if w := r.W3; w != nil {
		p("## W3 wide fan-out (1 event → %d subscriptions on %d receiver ports; %s store)", w.Subscriptions, w.Ports, r.W3Store)
		p("")
		p("| Figure | Value |")
		p("|---|---|")
		p("| subscriptions created over gRPC | %.1f s (%.0f/s) |", w.CreateSeconds, w.CreatePerSec)
		p("| first / last delivery after publish | %.3f s / **%.3f s** |", w.FirstDeliverySecs, w.LastDeliverySecs)
		p("| delivered / missing / duplicate | %d / %d / %d |", w.Delivered, w.Missing, w.Duplicates)
		p("")
		procTable(p, "W3", w.Processes)
	}
	if w := r.W2After; w != nil {
		w2Table(p, "W2 again, with W3's 10,000 non-matching subscriptions in the index", w)
	}
	if w := r.W5; w != nil {
		p("## W5 match index (services/dispatcher/match)")
		p("")
		p("| Subscriptions | ns/match | allocs/match |")
		p("|---|---|---|")
		for _, k := range []string{"subs=10000", "subs=100000", "subs=1000000"} {
			p("| %s | %.0f | %.0f |", strings.TrimPrefix(k, "subs="), w.NsPerMatch[k], w.AllocsPerMatch[k])
		}
		p("")
		p("Index of 1M subscriptions: %.0f MiB heap; benchmark process peak RSS %.0f MiB.", w.HeapMiB1M, w.PeakRSSMiB1M)
		p("")
	}
	if w := r.W6; w != nil {
		p("## W6 retained history (%d deliveries over %d days in PostgreSQL, one subscription holding %d)", w.Loaded, w.Days, w.BigSub)
		p("")
		p("| Figure | Value |")
		p("|---|---|")
		p("| bulk load (COPY into the migrated schema, 2 loaders) | %d deliveries + %d attempts in %.0f s = %.0f deliveries/s; ANALYZE %.0f s |", w.Loaded, w.LoadedAtt, w.LoadSeconds, w.LoadPerSec, w.AnalyzeSecs)
		p("| delivery log (with the earlier workloads') | %d deliveries, %d attempts |", w.Rows, w.AttemptRows)
		p("| PostgreSQL disk (pg_total_relation_size over the partitions) | deliveries %.2f GiB + attempts %.2f GiB = **%.0f B per delivery** (attempts and indexes included) |",
			float64(w.DiskDeliveries)/(1<<30), float64(w.DiskAttempts)/(1<<30), w.DiskBytesPerRecord)
		p("| nats-server RSS before the load → after the load and the queries | %.1f → %.1f MiB = **%+.1f MiB** |", w.NATSBeforeMiB, w.NATSAfterMiB, w.NATSDeltaMiB)
		p("| dispatcher RSS before → after | %.1f → %.1f MiB |", w.DispBeforeMiB, w.DispAfterMiB)
		p("| PostgreSQL memory after (Pss of its processes) | %.0f MiB |", w.PostgresMemMiB)
		p("| ListDeliveries first page (%d, over gRPC to the dispatcher) | p50 %.2f ms, p90 %.2f ms, **p99 %.2f ms**, max %.2f ms (%d calls) |", w.PageSize, w.FirstPageMS.P50, w.FirstPageMS.P90, w.FirstPageMS.P99, w.FirstPageMS.Max, w.FirstPageMS.N)
		p("| ListDeliveries deep page (%d after the newest %d) | p50 %.2f ms, p90 %.2f ms, **p99 %.2f ms**, max %.2f ms (%d calls) |", w.PageSize, w.DeepOffset, w.DeepPageMS.P50, w.DeepPageMS.P90, w.DeepPageMS.P99, w.DeepPageMS.Max, w.DeepPageMS.N)
		p("| paging there (page size 1000) | %d calls in %.1f s |", w.WalkPages, w.WalkSeconds)
		p("")
		p("First and deep pages are called alternately; the first %d calls of each are warm-up and not counted.", w.Warmup)
		p("")
		if w.Healthy != nil {
			w2Table(p, "W6: W2's load beside the retained history", w.Healthy)
		}
	}
	for _, n := range r.Notes {
		p("- %s", n)
	}
	for _, e := range r.Errors {
		p("- **error**: %s", e)
	}
	return b.String()
}

func w2Table(p func(string, ...any), title string, w *W2Result) {
	p("## %s (%d events/s × subscriptions = %d deliveries/s offered, %.0f s)", title, w.EventsPerSec, w.DeliveriesPerSec, w.Seconds)
	p("")
	p("| p50 | p90 | p99 | max | delivered | missing | duplicates |")
	p("|---|---|---|---|---|---|---|")
	p("| %.2f ms | %.2f ms | %.2f ms | %.2f ms | %d of %d | %d | %d |", w.LatencyMS.P50, w.LatencyMS.P90, w.LatencyMS.P99, w.LatencyMS.Max,
		w.Delivered, w.Expected, w.Missing, w.Duplicates)
	p("")
	if w.Postgres != nil {
		p("| PostgreSQL | |")
		p("|---|---|")
		pgWorkRow(p, w.Postgres)
		p("")
	}
	procTable(p, title, w.Processes)
}

func procTable(p func(string, ...any), title string, ps []ProcUsage) {
	if len(ps) == 0 {
		return
	}
	p("%s — per process:", title)
	p("")
	p("| Process | CPU s | peak RSS MiB |")
	p("|---|---|---|")
	var cpu float64
	for _, u := range ps {
		p("| %s | %.2f | %.1f |", u.Name, u.CPUSeconds, u.PeakRSSMiB)
		cpu += u.CPUSeconds
	}
	p("| total | %.2f | |", cpu)
	p("")
}

// storeRow is one store's line of the comparison table.
func storeRow(p func(string, ...any), sr *StoreRun) {
	cells := []string{sr.Store}
	if w := sr.W1; w != nil {
		cells = append(cells, fmt.Sprintf("%.0f", w.DeliveriesPerSec), fmt.Sprintf("%.0f", w.CeilingPerSec), fmt.Sprintf("**%.1f %%**", 100*w.Ratio))
	} else {
		cells = append(cells, "not run", "", "")
	}
	if w := sr.W2; w != nil {
		cells = append(cells, fmt.Sprintf("%.2f ms", w.LatencyMS.P50), fmt.Sprintf("**%.2f ms**", w.LatencyMS.P99))
	} else {
		cells = append(cells, "not run", "")
	}
	if w := sr.W4; w != nil {
		cells = append(cells, fmt.Sprintf("%d", w.Waiting), fmt.Sprintf("**%.0f MiB**", w.ExtraRSSMiB), fmt.Sprintf("%.2f ms", w.Healthy.LatencyMS.P99))
		if z := w.PostgresAfter; z != nil {
			cells = append(cells, fmt.Sprintf("%.0f MiB memory, %.0f MiB on disk", z.MemMiB, z.DiskMiB))
		} else {
			cells = append(cells, "—")
		}
	} else {
		cells = append(cells, "not run", "", "", "")
	}
	p("| %s |", strings.Join(cells, " | "))
}

// pgWorkRow is PostgreSQL's commits and WAL flushes over a workload.
func pgWorkRow(p func(string, ...any), w *pgWork) {
	if w == nil {
		return
	}
	p("| PostgreSQL: commits / WAL flushes (fsync) / mean flush | %d (%.1f deliveries per commit) / %d / %.2f ms |", w.Commits, w.DeliveriesPerTxn, w.WALSyncs, w.AvgSyncMS)
	p("| PostgreSQL: CPU of autovacuum workers (part of its CPU below) | %.2f s |", w.AutovacuumCPUS)
	for _, s := range w.Top {
		p("| PostgreSQL statement `%s` | %d calls, %d rows, mean execution %.3f ms; planned %d times, %.1f ms; %.0f ms in all |", strings.ReplaceAll(s.Query, "|", "\\|"), s.Calls, s.Rows, s.MeanExecMS, s.Plans, s.PlanMS, s.TotalMS)
	}
}
