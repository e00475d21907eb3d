package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// run builds the services, then, for each delivery log store in turn,
// starts a fresh stack on it and runs W1, W2 and W4 (the same load on
// each store, so their rows compare); the last store's stack then also
// runs W3 (and W2 again beside W3's subscriptions) and, on PostgreSQL, W6.
// W5 needs no stack. A failed workload is recorded and the next one still
// runs.
func run(ctx context.Context, cfg config, dir string, ps *procs) error {
	res := &Results{StartedAt: stampNow(), Host: host(cfg.repo, cfg.rev), Config: cfgView(cfg)}
	if cfg.rev != "" {
		src := filepath.Join(dir, "src")
		logf("exporting %s (%s) to %s", cfg.rev, res.Host.Commit, src)
		if err := export(ctx, cfg.repo, cfg.rev, src); err != nil {
			return err
		}
		cfg.repo = src
	}
	stores, err := parseStores(cfg.stores)
	if err != nil {
		return err
	}
	want := func(w string) bool { return strings.Contains(","+cfg.workloads+",", ","+w+",") }
	logf("building services into %s", dir)
	if err := build(ctx, cfg.repo, dir); err != nil {
		return err
	}
	fail := func(w string, err error) {
		logf("%s failed: %v", w, err)
		res.Errors = append(res.Errors, fmt.Sprintf("%s: %v", w, err))
	}
	needStack := want("1") || want("2") || want("3") || want("4") || want("6")
	for i, store := range stores {
		if !needStack || ctx.Err() != nil {
			break
		}
		final := i == len(stores)-1
		sr := &StoreRun{Store: store}
		res.Stores = append(res.Stores, sr)
		b, closeBench, err := openBench(ctx, cfg, res, dir, ps, store)
		if err != nil {
			fail("stack on "+store, err)
			continue
		}
		b.runStore(ctx, sr, want, fail)
		if final {
			b.runFinal(ctx, sr, want, fail)
		}
		closeBench()
	}
	if want("5") && ctx.Err() == nil {
		b := &bench{cfg: cfg, res: res, st: &stack{dir: dir, ps: ps}}
		w, err := b.w5(ctx)
		if err != nil {
			fail("W5", err)
		}
		res.W5 = w
	}
	if err := ctx.Err(); err != nil {
		res.Errors = append(res.Errors, fmt.Sprintf("run stopped: %v", err))
	}
	for _, sr := range res.Stores {
		if w := sr.W4; w != nil && !w.Reached {
			res.Notes = append(res.Notes, fmt.Sprintf("W4 (%s): the backlog reached %d, not the %d asked for, within -w4-deadline", sr.Store, w.Waiting, w.Target))
		}
	}
	if want("4") && cfg.w4Backlog < 1_000_000 {
		res.Notes = append(res.Notes, fmt.Sprintf("W4 default backlog is %d deliveries, not the issue's 1M, to keep `make bench` within 15 minutes on 2 cores; run with -w4-backlog 1000000 for the full figure", cfg.w4Backlog))
	}
	res.Host.LoadEnd = loadavg()
	res.targets()
	files, err := res.write(cfg.out)
	if err != nil {
		return fmt.Errorf("write results: %w", err)
	}
	fmt.Println()
	fmt.Println(res.markdown())
	logf("wrote %s", strings.Join(files, ", "))
	if len(res.Errors) > 0 {
		return fmt.Errorf("%d workload(s) failed: %s", len(res.Errors), strings.Join(res.Errors, "; "))
	}
	return nil
}

// Delivery log stores a run can compare (-stores).
const (
	storeEmbedded = "embedded" // JetStream KV, the default without HOOKWIRE_DELIVERY_LOG_URL
	storePostgres = "postgres" // the bench's own PostgreSQL
)

func parseStores(list string) ([]string, error) {
	var out []string
	for _, s := range strings.Split(list, ",") {
		switch s = strings.TrimSpace(s); s {
		case storeEmbedded, storePostgres:
			out = append(out, s)
		case "":
		default:
			return nil, fmt.Errorf("-stores: unknown store %q (embedded, postgres)", s)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("-stores: none given")
	}
	return out, nil
}

// openBench starts a fresh stack whose delivery log is store, in its own
// directory under dir, and connects the workloads' clients; the returned
// func closes them and stops the stack.
func openBench(ctx context.Context, cfg config, res *Results, dir string, ps *procs, store string) (*bench, func(), error) {
	st := &stack{dir: filepath.Join(dir, store), bin: filepath.Join(dir, "bin"), ps: ps}
	if err := os.MkdirAll(st.dir, 0o700); err != nil {
		return nil, nil, err
	}
	b := &bench{cfg: cfg, res: res, st: st, store: store}
	var closers []func()
	closeAll := func() {
		for i := len(closers) - 1; i >= 0; i-- {
			closers[i]()
		}
		st.down()
	}
	if store == storePostgres {
		logf("[%s] starting the delivery log's PostgreSQL", store)
		pg, err := startPostgres(ctx, ps, st.dir)
		if err != nil {
			return nil, nil, err
		}
		st.pg = pg
	}
	logf("[%s] starting nats, redis, receivers, registry, ingest, dispatcher", store)
	if err := st.up(ctx, cfg.subs); err != nil {
		closeAll()
		return nil, nil, err
	}
	reg, closeReg, err := dialRegistry(st.regAddr)
	if err != nil {
		closeAll()
		return nil, nil, err
	}
	closers = append(closers, closeReg)
	b.reg = reg
	if b.pub, err = dialPublisher(ctx, st.ingAddr); err != nil {
		closeAll()
		return nil, nil, err
	}
	closers = append(closers, func() { b.pub.Close() })
	b.stats = statsClient{control: st.control, http: &http.Client{Timeout: 30 * time.Second}}
	if err := b.healthySubs(ctx); err != nil {
		closeAll()
		return nil, nil, err
	}
	return b, closeAll, nil
}

// runStore runs W1, W2 and W4 on b's store into sr.
func (b *bench) runStore(ctx context.Context, sr *StoreRun, want func(string) bool, fail func(string, error)) {
	tag := func(w string) string { return w + " (" + sr.Store + ")" }
	if want("1") {
		var prof *profiler
		profDir := filepath.Join(b.cfg.out, "profiles", strings.ReplaceAll(b.res.StartedAt, ":", "")+"-"+sr.Store)
		if b.cfg.profiled {
			if err := os.MkdirAll(profDir, 0o755); err == nil {
				prof = startCPU(ctx, profDir, b.st.httpAddr, b.cfg.profile)
			}
		}
		w, err := b.w1(ctx)
		if err != nil {
			fail(tag("W1"), err)
		}
		sr.W1 = w
		if prof != nil {
			notes := append(prof.wait(), prof.allocs(ctx)...)
			b.res.Profiles = append(b.res.Profiles, notes...)
			for _, n := range notes {
				logf("  profile: %s", n)
			}
			_ = os.Remove(profDir) // only removed when empty
		}
	}
	if want("2") && ctx.Err() == nil {
		w, err := b.w2(ctx, "w2")
		if err != nil {
			fail(tag("W2"), err)
		}
		sr.W2 = w
	}
	// W4 right after W2, so that the backlog is the only difference
	// between their healthy loads.
	if want("4") && ctx.Err() == nil {
		var p99 float64
		if sr.W2 != nil {
			p99 = sr.W2.LatencyMS.P99
		}
		w, err := b.w4(ctx, p99)
		if err != nil {
			fail(tag("W4"), err)
		}
		sr.W4 = w
	}
	if sr.W1 != nil && ctx.Err() == nil {
		// Redeliveries after the W1 wait would show up as late duplicates.
		if s, err := b.stats.get(ctx, "w1"); err == nil {
			sr.W1.LateDuplicates = s.Duplicates
		}
	}
}

// runFinal runs, on the last store's stack, W3 (and W2 again beside its
// subscriptions) and W6 (PostgreSQL only).
func (b *bench) runFinal(ctx context.Context, sr *StoreRun, want func(string) bool, fail func(string, error)) {
	res := b.res
	if want("3") && ctx.Err() == nil {
		w, err := b.w3(ctx)
		if err != nil {
			fail("W3", err)
		}
		res.W3, res.W3Store = w, sr.Store
		// W2's load again, now with W3's subscriptions in the index: they
		// share the event's scope and type and differ only by their
		// attribute filter.
		if want("2") && err == nil && ctx.Err() == nil {
			w, err := b.w2(ctx, "w2b")
			if err != nil {
				fail("W2 after W3", err)
			}
			res.W2After = w
		}
	}
	if want("6") && ctx.Err() == nil {
		if b.st.pg == nil {
			res.Notes = append(res.Notes, "W6 not run: it needs the PostgreSQL store last in -stores")
			return
		}
		w, err := b.w6(ctx)
		if err != nil {
			fail("W6", err)
		}
		res.W6 = w
	}
}

func host(repo, rev string) Host {
	h := Host{CPUs: runtime.NumCPU(), GoVersion: runtime.Version(), Source: "working tree"}
	if rev == "" {
		rev = "HEAD"
		if out, err := exec.Command("git", "-C", repo, "status", "--porcelain", "--", "services", "pkg").Output(); err == nil && len(out) > 0 {
			h.Source = "working tree with uncommitted changes in services/ or pkg/"
		}
	} else {
		h.Source = "git archive " + rev
	}
	if out, err := exec.Command("git", "-C", repo, "rev-parse", "--short", rev).Output(); err == nil {
		h.Commit = strings.TrimSpace(string(out))
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		h.Kernel = strings.TrimSpace(string(b))
	}
	h.LoadStart = loadavg()
	return h
}

// export writes a clean copy of the repository at rev into dst.
func export(ctx context.Context, repo, rev, dst string) error {
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, "sh", "-c", `git -C "$1" archive --format=tar "$2" | tar -x -C "$3"`, "export", repo, rev, dst)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("export %s: %w\n%s", rev, err, out)
	}
	return nil
}

func loadavg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}

func cfgView(c config) map[string]any {
	return map[string]any{
		"workloads": c.workloads, "subs": c.subs, "payload": c.payload, "w1_events": c.w1Events,
		"ceiling_workers": c.ceilWorkers, "w2_rate": c.w2Rate, "w2_duration": c.w2Duration.String(),
		"w3_subs": c.w3Subs, "w4_backlog": c.w4Backlog, "w4_subs": c.w4Subs, "profiled": c.profiled, "rev": c.rev,
		"stores": c.stores, "w6_records": c.w6Records, "w6_big_sub": c.w6BigSub, "w6_days": c.w6Days, "w6_queries": c.w6Queries,
	}
}
