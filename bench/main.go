// Command bench is Hookwire's end-to-end benchmark (`make bench`): it
// builds the services, stands up NATS JetStream, redis-server, registry,
// ingest, dispatcher and the receivers as separate processes on this
// machine, runs workloads W1-W5 of issue 6 and W6 of issue 11, and writes
// the results as JSON and Markdown under bench/results. W1, W2 and W4 run
// once per delivery log store (-stores: the embedded JetStream KV store,
// then PostgreSQL, a private server the bench starts), each on a fresh
// stack.
//
//	go run ./bench [flags]      # the benchmark (from the repository root)
//	bench natsd -port P -dir D  # internal: the JetStream server process
//	bench receivers -ports N    # internal: the receivers process
//	bench chaos [-short]        # make chaos: faults on a 3-node cluster stack
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	var err error
	switch {
	case len(os.Args) > 1 && os.Args[1] == "natsd":
		err = runNATSD(os.Args[2:])
	case len(os.Args) > 1 && os.Args[1] == "receivers":
		err = runReceivers(os.Args[2:])
	case len(os.Args) > 1 && os.Args[1] == "chaos":
		err = runChaos(os.Args[2:])
	default:
		err = runBench(os.Args[1:])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// config is the benchmark's flags.
type config struct {
	repo        string
	out         string
	workloads   string
	subs        int
	payload     int
	w1Events    int
	w1Deadline  time.Duration
	ceilWorkers int
	w2Rate      int
	w2Duration  time.Duration
	w3Subs      int
	w4Backlog   int
	w4Subs      int
	w4Deadline  time.Duration
	stall       time.Duration
	timeout     time.Duration
	profile     time.Duration
	profiled    bool
	keep        bool
	rev         string
	stores      string
	w6Records   int
	w6BigSub    int
	w6Days      int
	w6Queries   int
}

func parseFlags(args []string) (config, error) {
	var c config
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.StringVar(&c.repo, "repo", ".", "repository root (the go.work directory)")
	fs.StringVar(&c.out, "out", "bench/results", "results directory")
	fs.StringVar(&c.workloads, "workloads", "1,2,4,3,6,5", "workloads to run, comma-separated; per store W1 W2 W4, then on the last store W3 (+W2 again with W3's subscriptions) and W6, then W5")
	fs.StringVar(&c.stores, "stores", "embedded,postgres", "delivery log stores to run W1, W2 and W4 on, each on a fresh stack, in this order (embedded: JetStream KV; postgres: a private PostgreSQL); W3 and W6 run on the last")
	fs.IntVar(&c.w6Records, "w6-records", 10_000_000, "W6 deliveries bulk-loaded into the PostgreSQL store (COPY)")
	fs.IntVar(&c.w6BigSub, "w6-big-sub", 1_000_000, "W6 deliveries of the one subscription that is listed")
	fs.IntVar(&c.w6Days, "w6-days", 30, "W6 days of partitions the deliveries are spread over")
	fs.IntVar(&c.w6Queries, "w6-queries", 300, "W6 ListDeliveries calls timed per page (first, deep)")
	fs.IntVar(&c.subs, "subs", 10, "receivers and matching subscriptions of W1/W2")
	fs.IntVar(&c.payload, "payload", 1024, "event data bytes")
	fs.IntVar(&c.w1Events, "w1-events", 20000, "W1 events (deliveries = events x subs)")
	fs.DurationVar(&c.w1Deadline, "w1-deadline", 4*time.Minute, "W1 longest wait for the last delivery")
	fs.IntVar(&c.ceilWorkers, "ceiling-workers", 64, "concurrent POSTs of the ceiling client")
	fs.IntVar(&c.w2Rate, "w2-rate", 200, "W2 events/s (deliveries/s = rate x subs)")
	fs.DurationVar(&c.w2Duration, "w2-duration", 30*time.Second, "W2 duration")
	fs.IntVar(&c.w3Subs, "w3-subs", 10000, "W3 subscriptions")
	fs.IntVar(&c.w4Backlog, "w4-backlog", 200000, "W4 deliveries waiting for retry (issue target: 1000000)")
	fs.IntVar(&c.w4Subs, "w4-subs", 10, "W4 failing subscriptions (events = backlog / subs)")
	fs.DurationVar(&c.w4Deadline, "w4-deadline", 4*time.Minute, "W4 longest time to build the backlog")
	fs.DurationVar(&c.stall, "stall", 30*time.Second, "give up waiting when no delivery arrived for this long")
	fs.DurationVar(&c.timeout, "timeout", 20*time.Minute, "whole run")
	fs.BoolVar(&c.profiled, "profiled", false, "write CPU and allocation profiles of dispatcher, ingest and nats-server during W1, and their heaps once the W4 backlog is built, to <out>/profiles (the services serve pprof on HOOKWIRE_PPROF_ADDR, nats-server on its ProfPort)")
	fs.DurationVar(&c.profile, "profile", 20*time.Second, "length of the CPU profiles taken with -profiled")
	fs.StringVar(&c.rev, "rev", "", "build the services from this git revision (a clean `git archive` export, e.g. HEAD) instead of the working tree, which other changes in progress may make dirty")
	fs.BoolVar(&c.keep, "keep", false, "keep the temp dir (logs, JetStream data) after the run")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	return c, nil
}

func logf(format string, a ...any) {
	fmt.Printf("%s "+format+"\n", append([]any{time.Now().Format("15:04:05")}, a...)...)
}

func runBench(args []string) error {
	cfg, err := parseFlags(args)
	if err != nil {
		return err
	}
	return inWorkspace("hookwire-bench-", cfg.timeout, cfg.keep, func(ctx context.Context, dir string, ps *procs) error {
		return run(ctx, cfg, dir, ps)
	})
}

// inWorkspace runs fn with a context ended by SIGINT/SIGTERM or timeout, a
// fresh temporary directory and a process set; afterwards every process is
// killed and the directory removed (kept, and named, with keep).
func inWorkspace(prefix string, timeout time.Duration, keep bool, fn func(ctx context.Context, dir string, ps *procs) error) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	dir, err := os.MkdirTemp("", prefix)
	if err != nil {
		return err
	}
	ps := &procs{}
	defer func() {
		ps.killAll()
		if keep {
			logf("kept %s", dir)
		} else {
			_ = os.RemoveAll(dir)
		}
	}()
	return fn(ctx, dir, ps)
}
