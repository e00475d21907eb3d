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

// run builds and starts the stack, runs the chosen workloads, and writes
// the results. A failed workload is recorded and the next one still runs.
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
	want := func(w string) bool { return strings.Contains(","+cfg.workloads+",", ","+w+",") }
	logf("building services into %s", dir)
	if err := build(ctx, cfg.repo, dir); err != nil {
		return err
	}
	b := &bench{cfg: cfg, res: res, st: &stack{dir: dir, ps: ps}}
	needStack := want("1") || want("2") || want("3") || want("4")
	if needStack {
		logf("starting nats, redis, receivers, registry, ingest, dispatcher")
		if err := b.st.up(ctx, cfg.subs); err != nil {
			return err
		}
		reg, closeReg, err := dialRegistry(b.st.regAddr)
		if err != nil {
			return err
		}
		defer closeReg()
		b.reg = reg
		if b.pub, err = dialPublisher(ctx, b.st.ingAddr); err != nil {
			return err
		}
		defer b.pub.Close()
		b.stats = statsClient{control: b.st.control, http: &http.Client{Timeout: 30 * time.Second}}
		if err := b.healthySubs(ctx); err != nil {
			return err
		}
	}
	fail := func(w string, err error) {
		logf("%s failed: %v", w, err)
		res.Errors = append(res.Errors, fmt.Sprintf("%s: %v", w, err))
	}
	if want("1") {
		var prof *profiler
		profDir := filepath.Join(cfg.out, "profiles", strings.ReplaceAll(res.StartedAt, ":", ""))
		if cfg.profiled {
			if err := os.MkdirAll(profDir, 0o755); err == nil {
				prof = startCPU(ctx, profDir, b.st.httpAddr, cfg.profile)
			}
		}
		w, err := b.w1(ctx)
		if err != nil {
			fail("W1", err)
		}
		res.W1 = w
		if prof != nil {
			notes := append(prof.wait(), prof.allocs(ctx)...)
			res.Profiles = notes
			for _, n := range notes {
				logf("  profile: %s", n)
			}
			_ = os.Remove(profDir) // only removed when empty
		}
	}
	if want("2") && ctx.Err() == nil {
		w, err := b.w2(ctx, "w2")
		if err != nil {
			fail("W2", err)
		}
		res.W2 = w
	}
	// W4 right after W2, so that the backlog is the only difference
	// between their healthy loads.
	if want("4") && ctx.Err() == nil {
		var p99 float64
		if res.W2 != nil {
			p99 = res.W2.LatencyMS.P99
		}
		w, err := b.w4(ctx, p99)
		if err != nil {
			fail("W4", err)
		}
		res.W4 = w
	}
	if want("3") && ctx.Err() == nil {
		w, err := b.w3(ctx)
		if err != nil {
			fail("W3", err)
		}
		res.W3 = w
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
	if res.W1 != nil && ctx.Err() == nil {
		// Redeliveries after the W1 wait would show up as late duplicates.
		if s, err := b.stats.get(ctx, "w1"); err == nil {
			res.W1.LateDuplicates = s.Duplicates
		}
	}
	if want("5") && ctx.Err() == nil {
		w, err := b.w5(ctx)
		if err != nil {
			fail("W5", err)
		}
		res.W5 = w
	}
	if err := ctx.Err(); err != nil {
		res.Errors = append(res.Errors, fmt.Sprintf("run stopped: %v", err))
	}
	if res.W4 != nil && !res.W4.Reached {
		res.Notes = append(res.Notes, fmt.Sprintf("W4: the backlog reached %d, not the %d asked for, within -w4-deadline", res.W4.Waiting, res.W4.Target))
	}
	if res.W4 != nil && res.W4.Target < 1_000_000 {
		res.Notes = append(res.Notes, fmt.Sprintf("W4 default backlog is %d deliveries, not the issue's 1M, to keep `make bench` within 10 minutes on 2 cores; run with -w4-backlog 1000000 for the full figure", res.W4.Target))
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
	}
}
