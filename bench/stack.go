package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/redis/go-redis/v9"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// stack is the running pipeline: every process and how to reach it.
type stack struct {
	dir       string
	ps        *procs
	nats      *proc
	redis     *proc
	registry  *proc
	ingest    *proc
	dispatch  *proc
	recv      *proc
	natsURL   string
	natsMon   string // NATS monitoring address (/varz)
	redisAddr string
	redisAOF  bool     // make chaos: Redis keeps its data across a stop (appendonly, fsync every second)
	redisBin  string   // how startRedis started it, for restartRedis
	redisArgs []string //
	regAddr   string
	ingAddr   string
	disAddr   string
	control   string
	ports     []int
	extraEnv  []string
	bin       string            // the services' binaries (default dir/bin)
	pg        *pgServer         // the delivery log's PostgreSQL; nil: the embedded store (JetStream KV)
	httpAddr  map[string]string // pprof address of each process: the services' HOOKWIRE_PPROF_ADDR, nats-server's ProfPort
	metrics   map[string]string // each service's HOOKWIRE_HTTP_ADDR (/metrics)
}

// services are the Go binaries built from the repository.
var services = []string{"registry", "ingest", "dispatcher"}

// build compiles the three services into dir/bin with `go build`, from the
// repository root (the go.work workspace). Every service serves pprof on
// the HOOKWIRE_PPROF_ADDR it is given (package daemon); -profiled only
// decides whether W1 fetches profiles from them.
func build(ctx context.Context, repo, dir string) error {
	for _, s := range services {
		pkg := "./services/" + s + "/cmd/" + s
		cmd := exec.CommandContext(ctx, "go", "build", "-o", filepath.Join(dir, "bin", s), pkg)
		cmd.Dir = repo
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("go build %s: %w\n%s", s, err, out)
		}
	}
	return nil
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// up starts NATS, Redis, the receivers and the three services, each
// waited for with a deadline.
func (st *stack) up(ctx context.Context, receiverPorts int) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	natsAddr, err := freeAddr()
	if err != nil {
		return err
	}
	_, natsPort, _ := net.SplitHostPort(natsAddr)
	if st.natsMon, err = freeAddr(); err != nil {
		return err
	}
	_, monPort, _ := net.SplitHostPort(st.natsMon)
	st.natsURL = "nats://" + natsAddr
	natsProf, err := freeAddr()
	if err != nil {
		return err
	}
	_, profPort, _ := net.SplitHostPort(natsProf)
	st.httpAddr = map[string]string{"nats": natsProf}
	if st.nats, err = st.ps.start(st.dir, "nats", self, []string{"natsd", "-port", natsPort, "-http", monPort, "-prof", profPort, "-dir", filepath.Join(st.dir, "jetstream")}, nil); err != nil {
		return err
	}
	if err := waitFor(ctx, 30*time.Second, st.nats, func(ctx context.Context) error { return pingNATS(ctx, st.natsURL) }); err != nil {
		return fmt.Errorf("nats: %w", err)
	}
	if err := st.startRedis(ctx); err != nil {
		return err
	}
	if st.recv, err = st.ps.start(st.dir, "receivers", self, []string{"receivers", "-ports", strconv.Itoa(receiverPorts)}, nil); err != nil {
		return err
	}
	if err := waitFor(ctx, 20*time.Second, st.recv, func(context.Context) error { return st.readReceivers() }); err != nil {
		return fmt.Errorf("receivers: %w", err)
	}
	dataDir := filepath.Join(st.dir, "data")
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return err
	}
	common := []string{"HOOKWIRE_DEV=true", "HOOKWIRE_DATA_DIR=" + dataDir, "HOOKWIRE_NATS_URL=" + st.natsURL,
		"HOOKWIRE_REDIS_URL=redis://" + st.redisAddr, "HOOKWIRE_ALLOW_HTTP=true", "HOOKWIRE_ALLOW_CIDRS=127.0.0.0/8",
		// W3 puts 10,000 subscriptions at the root scope.
		"HOOKWIRE_MAX_SUBSCRIPTIONS_PER_SCOPE=1000000"}
	if st.pg != nil {
		common = append(common, "HOOKWIRE_DELIVERY_LOG_URL="+st.pg.url) // trust auth: no password in it
	}
	common = append(common, st.extraEnv...)
	// The registry first: it creates the buckets and loads the catalog
	// the others read.
	for _, s := range services {
		addr, err := freeAddr()
		if err != nil {
			return err
		}
		httpAddr, err := freeAddr()
		if err != nil {
			return err
		}
		pprofAddr, err := freeAddr()
		if err != nil {
			return err
		}
		env := append([]string{"HOOKWIRE_GRPC_ADDR=" + addr, "HOOKWIRE_HTTP_ADDR=" + httpAddr, "HOOKWIRE_PPROF_ADDR=" + pprofAddr}, common...)
		st.httpAddr[s] = pprofAddr
		if st.metrics == nil {
			st.metrics = map[string]string{}
		}
		st.metrics[s] = httpAddr
		bin := st.bin
		if bin == "" {
			bin = filepath.Join(st.dir, "bin")
		}
		p, err := st.ps.start(st.dir, s, filepath.Join(bin, s), nil, env)
		if err != nil {
			return err
		}
		if err := waitFor(ctx, 60*time.Second, p, func(ctx context.Context) error { return grpcHealthy(ctx, addr) }); err != nil {
			return fmt.Errorf("%s: %w", s, err)
		}
		switch s {
		case "registry":
			st.registry, st.regAddr = p, addr
		case "ingest":
			st.ingest, st.ingAddr = p, addr
		case "dispatcher":
			st.dispatch, st.disAddr = p, addr
		}
	}
	return nil
}

func (st *stack) startRedis(ctx context.Context) error {
	bin := os.Getenv("HOOKWIRE_REDIS_SERVER")
	if bin == "" {
		var err error
		if bin, err = exec.LookPath("redis-server"); err != nil {
			return fmt.Errorf("redis-server not found: run `make redis-server` or set HOOKWIRE_REDIS_SERVER")
		}
	}
	addr, err := freeAddr()
	if err != nil {
		return err
	}
	_, port, _ := net.SplitHostPort(addr)
	rdir := filepath.Join(st.dir, "redis")
	if err := os.MkdirAll(rdir, 0o700); err != nil {
		return err
	}
	aof := "no"
	if st.redisAOF {
		aof = "yes"
	}
	st.redisAddr, st.redisBin = addr, bin
	st.redisArgs = []string{"--bind", "127.0.0.1", "--port", port, "--dir", rdir,
		"--save", "", "--appendonly", aof, "--appendfsync", "everysec", "--daemonize", "no"}
	return st.runRedis(ctx, "redis")
}

// restartRedis starts Redis again, on the same port over the same data,
// after it was stopped.
func (st *stack) restartRedis(ctx context.Context) error {
	return st.runRedis(ctx, "redis-again-"+strconv.FormatInt(time.Now().UnixNano(), 36))
}

func (st *stack) runRedis(ctx context.Context, name string) error {
	var err error
	if st.redis, err = st.ps.start(st.dir, name, st.redisBin, st.redisArgs, nil); err != nil {
		return err
	}
	return waitFor(ctx, 20*time.Second, st.redis, func(ctx context.Context) error {
		c := redis.NewClient(&redis.Options{Addr: st.redisAddr, MaxRetries: -1})
		defer c.Close()
		return c.Ping(ctx).Err()
	})
}

// readReceivers reads the receivers' ready line from their log.
func (st *stack) readReceivers() error {
	f, err := os.Open(st.recv.log)
	if err != nil {
		return err
	}
	defer f.Close()
	line, err := bufio.NewReader(f).ReadString('\n')
	if err != nil {
		return fmt.Errorf("no ready line yet")
	}
	var ready struct {
		Control string `json:"control"`
		Ports   []int  `json:"ports"`
	}
	if err := json.Unmarshal([]byte(strings.TrimSpace(line)), &ready); err != nil {
		return fmt.Errorf("ready line %q: %w", line, err)
	}
	st.control, st.ports = ready.Control, ready.Ports
	return nil
}

// waitFor retries check until it succeeds, p exits, or timeout passes.
func waitFor(ctx context.Context, timeout time.Duration, p *proc, check func(context.Context) error) error {
	deadline := time.Now().Add(timeout)
	for {
		if err := p.exited(); err != nil {
			return err
		}
		cctx, cancel := context.WithTimeout(ctx, time.Second)
		err := check(cctx)
		cancel()
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not ready after %s: %w; last log lines:\n%s", timeout, err, tail(p.log, 15))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func pingNATS(ctx context.Context, url string) error {
	nc, err := nats.Connect(url, nats.Timeout(time.Second))
	if err != nil {
		return err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	_, err = js.AccountInfo(ctx)
	return err
}

func grpcHealthy(ctx context.Context, addr string) error {
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return err
	}
	defer conn.Close()
	r, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{})
	if err != nil {
		return err
	}
	if r.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		return fmt.Errorf("health %s", r.GetStatus())
	}
	return nil
}

// processes lists the measured processes by name, in report order.
func (st *stack) processes() []*proc {
	ps := []*proc{st.nats, st.redis, st.registry, st.ingest, st.dispatch, st.recv}
	if st.pg != nil {
		ps = append(ps, st.pg.proc)
	}
	return ps
}

// down stops every process of the stack (the services first) and removes
// PostgreSQL's directory: the next store's stack starts from nothing.
func (st *stack) down() {
	for _, p := range []*proc{st.dispatch, st.ingest, st.registry, st.recv, st.redis, st.nats} {
		if p != nil {
			p.stop()
		}
	}
	if st.pg != nil {
		st.pg.close()
	}
}
