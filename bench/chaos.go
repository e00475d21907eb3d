package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"

	hookwirev1 "github.com/hookwire/hookwire/pkg/gen/hookwire/v1"
	"github.com/hookwire/hookwire/pkg/publisher"
)

// The `chaos` subcommand (`make chaos`): the whole stack as separate
// processes on a 3-node JetStream cluster (streams and buckets at R3), two
// dispatchers, faults injected under a steady load, and a results table of
// what was accepted, delivered, lost and duplicated. -short is the CI
// version: it fails only when an accepted event is lost.

type chaosConfig struct {
	repo, out  string
	short      bool
	rate       int
	subs       int
	before     time.Duration // load before the fault
	after      time.Duration // load after the fault
	kills      int
	natsDown   time.Duration
	faultFor   time.Duration // Redis down, receivers failing or slow
	freshRuns  int
	keep       bool
	timeout    time.Duration
	resultFile string
}

func parseChaos(args []string) (chaosConfig, error) {
	var c chaosConfig
	fs := flag.NewFlagSet("chaos", flag.ContinueOnError)
	fs.StringVar(&c.repo, "repo", ".", "repository root (the go.work directory)")
	fs.StringVar(&c.out, "out", "bench/results", "results directory (chaos.md)")
	fs.BoolVar(&c.short, "short", false, "CI version: lower load, shorter faults, fewer repetitions; fails only on lost events")
	fs.IntVar(&c.rate, "rate", 200, "events/s (deliveries/s = rate x subs)")
	fs.IntVar(&c.subs, "subs", 10, "receivers and subscriptions")
	fs.DurationVar(&c.before, "before", 10*time.Second, "load before each fault")
	fs.DurationVar(&c.after, "after", 10*time.Second, "load after each fault")
	fs.IntVar(&c.kills, "kills", 5, "kill -9 of a dispatcher, this many times")
	fs.DurationVar(&c.natsDown, "nats-down", 10*time.Second, "how long the killed NATS node stays down")
	fs.DurationVar(&c.faultFor, "fault-for", 30*time.Second, "how long Redis stays stopped and receivers fail or are slow")
	fs.IntVar(&c.freshRuns, "fresh", 10, "fresh clusters started with every service at once")
	fs.BoolVar(&c.keep, "keep", false, "keep the temp dir (logs, data)")
	fs.DurationVar(&c.timeout, "timeout", 40*time.Minute, "whole run")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if c.short {
		c.rate, c.before, c.after, c.kills, c.natsDown, c.faultFor, c.freshRuns = 50, 3*time.Second, 3*time.Second, 2, 5*time.Second, 5*time.Second, 2
		c.resultFile = "chaos-short.md"
	} else {
		c.resultFile = "chaos.md"
	}
	return c, nil
}

func runChaos(args []string) error {
	cfg, err := parseChaos(args)
	if err != nil {
		return err
	}
	return inWorkspace("hookwire-chaos-", cfg.timeout, cfg.keep, func(ctx context.Context, dir string, ps *procs) error {
		return chaosIn(ctx, cfg, dir, ps)
	})
}

// chaosIn builds the services into dir, runs every scenario on one stack,
// then the fresh-cluster starts, and writes the results table.
func chaosIn(ctx context.Context, cfg chaosConfig, dir string, ps *procs) error {
	logf("building services into %s", dir)
	if err := build(ctx, cfg.repo, dir); err != nil {
		return err
	}
	var rows []chaosRow
	c, err := startChaosStack(ctx, cfg, filepath.Join(dir, "main"), ps, filepath.Join(dir, "bin"))
	if err != nil {
		return err
	}
	if err := c.prepare(ctx); err != nil {
		return err
	}
	for _, sc := range c.scenarios() {
		if ctx.Err() != nil {
			break
		}
		rows = append(rows, c.run(ctx, sc))
	}
	c.close()
	fresh := chaosFresh(ctx, cfg, dir, filepath.Join(dir, "bin"))
	if err := writeChaos(cfg, rows, fresh); err != nil {
		return err
	}
	var lost int64
	for _, r := range rows {
		lost += r.Lost
	}
	switch {
	case lost > 0:
		return fmt.Errorf("%d accepted deliveries lost", lost)
	case ctx.Err() != nil:
		return fmt.Errorf("chaos run stopped: %w", ctx.Err())
	}
	return nil
}

// chaosStack is one running stack: the cluster, Redis, receivers and the
// four services, each restartable.
type chaosStack struct {
	cfg      chaosConfig
	st       *stack
	bin      string
	natsURLs []string
	natsArgs [][]string
	nats     []*proc
	svcEnv   map[string][]string
	svcAddr  map[string]string
	svc      map[string]*proc
	b        *bench
	closeReg func()
	note     string // set by a fault for its row (chaosRow.Note)
}

var chaosServices = []string{"registry", "ingest", "dispatcher-a", "dispatcher-b"}

func startChaosStack(ctx context.Context, cfg chaosConfig, dir string, ps *procs, bin string) (*chaosStack, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	c := &chaosStack{cfg: cfg, st: &stack{dir: dir, ps: ps, redisAOF: true}, bin: bin, svcEnv: map[string][]string{}, svcAddr: map[string]string{}, svc: map[string]*proc{}}
	if err := c.startCluster(ctx); err != nil {
		return nil, err
	}
	if err := c.st.startRedis(ctx); err != nil {
		return nil, err
	}
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	if c.st.recv, err = ps.start(dir, "receivers", self, []string{"receivers", "-record", "-ports", strconv.Itoa(cfg.subs)}, nil); err != nil {
		return nil, err
	}
	if err := waitFor(ctx, 20*time.Second, c.st.recv, func(context.Context) error { return c.st.readReceivers() }); err != nil {
		return nil, fmt.Errorf("receivers: %w", err)
	}
	if err := c.startServices(ctx, "redis://"+c.st.redisAddr); err != nil {
		return nil, err
	}
	return c, nil
}

// startCluster starts three clustered natsd processes, all at once.
func (c *chaosStack) startCluster(ctx context.Context) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	var clientPorts, routePorts []string
	var routes []string
	for range 3 {
		a, err := freeAddr()
		if err != nil {
			return err
		}
		r, err := freeAddr()
		if err != nil {
			return err
		}
		_, cp, _ := net.SplitHostPort(a)
		_, rp, _ := net.SplitHostPort(r)
		clientPorts, routePorts = append(clientPorts, cp), append(routePorts, rp)
		routes = append(routes, "nats-route://"+r)
		c.natsURLs = append(c.natsURLs, "nats://"+a)
	}
	c.nats = make([]*proc, 3)
	c.natsArgs = make([][]string, 3)
	for i := range 3 {
		c.natsArgs[i] = []string{"natsd", "-name", fmt.Sprintf("n%d", i), "-port", clientPorts[i], "-cluster-port", routePorts[i],
			"-routes", strings.Join(routes, ","), "-dir", filepath.Join(c.st.dir, fmt.Sprintf("nats%d", i))}
		if c.nats[i], err = c.st.ps.start(c.st.dir, fmt.Sprintf("nats%d", i), self, c.natsArgs[i], nil); err != nil {
			return err
		}
	}
	for i := range 3 {
		if err := waitFor(ctx, 60*time.Second, c.nats[i], func(ctx context.Context) error { return pingNATS(ctx, c.natsURLs[i]) }); err != nil {
			return fmt.Errorf("nats node %d: %w", i, err)
		}
	}
	return nil
}

// startServices starts registry, ingest and both dispatchers at the same
// moment (no ordering: they must converge on a fresh cluster) and waits
// for every one to be healthy.
func (c *chaosStack) startServices(ctx context.Context, redisURL string) error {
	dataDir := filepath.Join(c.st.dir, "data")
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return err
	}
	common := []string{"HOOKWIRE_DEV=true", "HOOKWIRE_DATA_DIR=" + dataDir, "HOOKWIRE_NATS_URL=" + strings.Join(c.natsURLs, ","),
		"HOOKWIRE_REDIS_URL=" + redisURL, "HOOKWIRE_ALLOW_HTTP=true", "HOOKWIRE_ALLOW_CIDRS=127.0.0.0/8",
		"HOOKWIRE_STREAM_REPLICAS=3", "HOOKWIRE_KV_REPLICAS=3", "HOOKWIRE_DELIVERY_REPLICAS=3"}
	for _, name := range chaosServices {
		addr, err := freeAddr()
		if err != nil {
			return err
		}
		httpAddr, err := freeAddr()
		if err != nil {
			return err
		}
		c.svcAddr[name] = addr
		c.svcEnv[name] = append([]string{"HOOKWIRE_GRPC_ADDR=" + addr, "HOOKWIRE_HTTP_ADDR=" + httpAddr}, common...)
		if err := c.startService(name); err != nil {
			return err
		}
	}
	for _, name := range chaosServices {
		if err := c.waitService(ctx, name); err != nil {
			return err
		}
	}
	return nil
}

func (c *chaosStack) startService(name string) error {
	bin := strings.TrimSuffix(strings.TrimSuffix(name, "-a"), "-b")
	p, err := c.st.ps.start(c.st.dir, name+"-"+strconv.FormatInt(time.Now().UnixNano(), 36), filepath.Join(c.bin, bin), nil, c.svcEnv[name])
	if err != nil {
		return err
	}
	c.svc[name] = p
	return nil
}

func (c *chaosStack) waitService(ctx context.Context, name string) error {
	addr := c.svcAddr[name]
	if err := waitFor(ctx, 90*time.Second, c.svc[name], func(ctx context.Context) error { return grpcHealthy(ctx, addr) }); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// prepare connects the clients and creates one subscription per receiver
// matching every scenario's events.
func (c *chaosStack) prepare(ctx context.Context) error {
	reg, closeReg, err := dialRegistry(c.svcAddr["registry"])
	if err != nil {
		return err
	}
	c.closeReg = closeReg
	pub, err := publisher.Dial(ctx, c.svcAddr["ingest"], publisher.WithInsecure(), publisher.WithWindow(2048))
	if err != nil {
		return err
	}
	c.st.regAddr, c.st.ingAddr, c.st.dispatch = c.svcAddr["registry"], c.svcAddr["ingest"], c.svc["dispatcher-a"]
	c.b = &bench{cfg: config{subs: c.cfg.subs, payload: 256}, st: c.st, reg: reg, pub: pub,
		stats: statsClient{control: c.st.control, http: &http.Client{Timeout: 30 * time.Second}}}
	var tags []string
	for _, sc := range c.scenarios() {
		tags = append(tags, sc.tag)
	}
	specs := make([]subSpec, c.cfg.subs)
	for i := range specs {
		specs[i] = subSpec{url: c.b.url(i, "ok"), tags: tags, retry: chaosRetries()}
	}
	if _, err := createSubs(ctx, reg, specs, 4); err != nil {
		return err
	}
	return c.b.sync(ctx, "chaos-sync")
}

// chaosRetries is the subscriptions' retry schedule: short enough that a
// receiver failing for the whole fault is retried within the run (the
// default's 5 minutes would outlast it), dense enough that the retries of
// a steady load fall due continuously once it heals (a gap in the drain is
// the dispatcher's, not the schedule's). 13 attempts over about 2 minutes.
func chaosRetries() *hookwirev1.RetryPolicy {
	var p hookwirev1.RetryPolicy
	for _, s := range []int{1, 2, 3, 5, 5, 10, 10, 10, 10, 10, 30, 30} {
		p.Delays = append(p.Delays, durationpb.New(time.Duration(s)*time.Second))
	}
	return &p
}

func (c *chaosStack) close() {
	if c.b != nil && c.b.pub != nil {
		c.b.pub.Close()
	}
	if c.closeReg != nil {
		c.closeReg()
	}
	c.st.ps.killAll()
}
