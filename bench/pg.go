package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hookwire/hookwire/pkg/testkit"
)

// pgServer is the benchmark's own PostgreSQL for the delivery log: a fresh
// cluster (initdb) in a temp dir of its own, on a free loopback port, run
// as a child of the harness so that it is measured and killed with the
// rest. The machine's own server on 5432 is never used. Durability is
// PostgreSQL's default (fsync and synchronous_commit on): the dispatcher's
// commits cost what they cost in production.
type pgServer struct {
	proc *proc
	dir  string // data directory and socket live under it; removed by close
	port int
	url  string // database "hookwire" as superuser "hookwire", trust auth on loopback
}

// pgSettings are the server's settings beyond the defaults: room for the
// W6 bulk load's WAL between checkpoints, the services' connections, and
// the time of WAL flushes (what a commit waits for) in pg_stat_wal, and
// pg_stat_statements (with planning time) for where PostgreSQL's time goes.
var pgSettings = []string{"max_connections=200", "max_wal_size=4GB", "checkpoint_timeout=15min", "shared_buffers=256MB", "track_wal_io_timing=on",
	"shared_preload_libraries=pg_stat_statements", "pg_stat_statements.track_planning=on"}

// startPostgres initialises and starts the server; logs go to logDir.
// As root the server runs as the user "postgres" (Debian's package makes
// it): initdb and postgres refuse to run as root.
func startPostgres(ctx context.Context, ps *procs, logDir string) (*pgServer, error) {
	bin, err := testkit.PostgresBinDir() // $HOOKWIRE_PG_BIN, Debian's versioned bin dir, PATH
	if err != nil {
		return nil, err
	}
	// Not under the workspace: it is private to root, and the server may
	// run as another user.
	dir, err := os.MkdirTemp("", "hookwire-bench-pg-")
	if err != nil {
		return nil, err
	}
	pg := &pgServer{dir: dir}
	var cred *syscall.Credential
	if os.Geteuid() == 0 {
		if cred, err = postgresUser(); err == nil {
			err = os.Chown(dir, int(cred.Uid), int(cred.Gid))
		}
		if err != nil {
			pg.close()
			return nil, fmt.Errorf("postgres as root: %w", err)
		}
	}
	data := filepath.Join(dir, "data")
	initdb := exec.CommandContext(ctx, filepath.Join(bin, "initdb"), "-D", data, "-U", "hookwire", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync")
	initdb.Dir = dir
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if out, err := initdb.CombinedOutput(); err != nil {
		pg.close()
		return nil, fmt.Errorf("initdb: %w\n%s", err, out)
	}
	addr, err := freeAddr()
	if err != nil {
		pg.close()
		return nil, err
	}
	_, port, _ := net.SplitHostPort(addr)
	pg.port, _ = strconv.Atoi(port)
	args := []string{"-D", data, "-p", port, "-k", dir, "-c", "listen_addresses=127.0.0.1"}
	for _, s := range pgSettings {
		args = append(args, "-c", s)
	}
	if pg.proc, err = ps.startAs(logDir, "postgres", filepath.Join(bin, "postgres"), args, nil, cred); err != nil {
		pg.close()
		return nil, err
	}
	pg.proc.group = true // measured with its backends
	admin := fmt.Sprintf("postgres://hookwire@127.0.0.1:%d/postgres?sslmode=disable", pg.port)
	if err := waitFor(ctx, 30*time.Second, pg.proc, func(ctx context.Context) error {
		c, err := pgx.Connect(ctx, admin)
		if err != nil {
			return err
		}
		defer c.Close(context.Background())
		_, err = c.Exec(ctx, "CREATE DATABASE hookwire")
		return err
	}); err != nil {
		pg.close()
		return nil, fmt.Errorf("postgres: %w", err)
	}
	pg.url = fmt.Sprintf("postgres://hookwire@127.0.0.1:%d/hookwire?sslmode=disable", pg.port)
	c, err := pgx.Connect(ctx, pg.url)
	if err == nil {
		_, err = c.Exec(ctx, "CREATE EXTENSION pg_stat_statements")
		c.Close(context.Background())
	}
	if err != nil {
		pg.close()
		return nil, fmt.Errorf("postgres: pg_stat_statements: %w", err)
	}
	return pg, nil
}

func postgresUser() (*syscall.Credential, error) {
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("no user postgres to run the server as (apt-get install postgresql makes it): %w", err)
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err1 != nil || err2 != nil {
		return nil, fmt.Errorf("user postgres: uid %q gid %q", u.Uid, u.Gid)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

// close stops the server (fast shutdown: its backends, each in a session
// of its own, are not in the postmaster's process group) and removes its
// directory.
func (pg *pgServer) close() {
	if p := pg.proc; p != nil {
		_ = p.cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-p.done:
		case <-time.After(20 * time.Second):
			p.stop()
		}
	}
	_ = os.RemoveAll(pg.dir)
}

// logDisk is the delivery log's bytes on disk: pg_total_relation_size
// (heap, TOAST, indexes) of every partition of both tables, split by table.
func logDisk(ctx context.Context, c *pgx.Conn) (deliveries, attempts int64, err error) {
	err = c.QueryRow(ctx, `SELECT
		coalesce(sum(pg_total_relation_size(c.oid)) FILTER (WHERE p.relname = 'deliveries'), 0)::bigint,
		coalesce(sum(pg_total_relation_size(c.oid)) FILTER (WHERE p.relname = 'delivery_attempts'), 0)::bigint
		FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
		WHERE p.relname IN ('deliveries', 'delivery_attempts')`).Scan(&deliveries, &attempts)
	return deliveries, attempts, err
}

// pgFigures are the PostgreSQL server's memory (Pss of its processes) and
// the delivery log's disk, reported apart from nats + redis + dispatcher.
type pgFigures struct {
	MemMiB  float64 `json:"pss_mib"`
	DiskMiB float64 `json:"log_disk_mib"`
}

func (b *bench) pgFigures(ctx context.Context) *pgFigures {
	if b.st.pg == nil {
		return nil
	}
	f := &pgFigures{}
	if u, err := usageOf(b.st.pg.proc); err == nil {
		f.MemMiB = round(float64(u.RSSKiB)/1024, 1)
	}
	b.onPG(ctx, func(c *pgx.Conn) {
		if d, a, err := logDisk(ctx, c); err == nil {
			f.DiskMiB = round(float64(d+a)/(1<<20), 1)
		}
	})
	return f
}

// onPG runs fn on a fresh connection to the stack's PostgreSQL; nothing
// when the stack has none or it does not answer (the figures are then
// left out).
func (b *bench) onPG(ctx context.Context, fn func(c *pgx.Conn)) {
	if b.st.pg == nil {
		return
	}
	c, err := pgx.Connect(ctx, b.st.pg.url)
	if err != nil {
		return
	}
	defer c.Close(context.Background())
	fn(c)
}

// pgWork is what PostgreSQL did over a workload: its commits and WAL
// flushes (pg_stat_database, pg_stat_wal with track_wal_io_timing).
type pgWork struct {
	Top              []stmtStat `json:"top_statements,omitempty"`
	Commits          int64      `json:"commits"`
	WALSyncs         int64      `json:"wal_syncs"`
	WALSyncMS        float64    `json:"wal_sync_ms_total"`
	AvgSyncMS        float64    `json:"wal_sync_ms_avg"`
	DeliveriesPerTxn float64    `json:"deliveries_per_commit"`
	// AutovacuumCPUS is the CPU seconds of autovacuum workers in the
	// window (startAutovacuumMeter), part of PostgreSQL's CPU.
	AutovacuumCPUS float64 `json:"autovacuum_cpu_s"`
}

type pgCounters struct {
	commits, syncs int64
	syncMS         float64
}

func (b *bench) pgCounters(ctx context.Context) *pgCounters {
	var out *pgCounters
	b.onPG(ctx, func(c *pgx.Conn) {
		var k pgCounters
		if err := c.QueryRow(ctx, `SELECT (SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()),
			wal_sync, wal_sync_time FROM pg_stat_wal`).Scan(&k.commits, &k.syncs, &k.syncMS); err == nil {
			out = &k
		}
	})
	return out
}

// pgWorkBetween is the work between two counter readings for n deliveries.
func pgWorkBetween(a, z *pgCounters, n int64) *pgWork {
	if a == nil || z == nil {
		return nil
	}
	w := &pgWork{Commits: z.commits - a.commits, WALSyncs: z.syncs - a.syncs, WALSyncMS: round(z.syncMS-a.syncMS, 1)}
	if w.WALSyncs > 0 {
		w.AvgSyncMS = round(w.WALSyncMS/float64(w.WALSyncs), 2)
	}
	if w.Commits > 0 {
		w.DeliveriesPerTxn = round(float64(n)/float64(w.Commits), 1)
	}
	return w
}

// stmtStat is one statement's share of PostgreSQL's time over a workload
// (pg_stat_statements, reset at its start).
type stmtStat struct {
	Query      string  `json:"query"`
	Calls      int64   `json:"calls"`
	Rows       int64   `json:"rows"`
	MeanExecMS float64 `json:"mean_exec_ms"`
	Plans      int64   `json:"plans"` // times planned (a cached plan is not planned again)
	PlanMS     float64 `json:"plan_ms_total"`
	TotalMS    float64 `json:"total_ms"` // planning and execution
}

// resetStatements starts pg_stat_statements afresh.
func (b *bench) resetStatements(ctx context.Context) {
	b.onPG(ctx, func(c *pgx.Conn) { _, _ = c.Exec(ctx, "SELECT pg_stat_statements_reset()") })
}

// topStatements are the n statements that took most of PostgreSQL's time
// since resetStatements.
func (b *bench) topStatements(ctx context.Context, n int) []stmtStat {
	var out []stmtStat
	b.onPG(ctx, func(c *pgx.Conn) {
		rows, err := c.Query(ctx, `SELECT left(regexp_replace(query, '\s+', ' ', 'g'), 80), calls, rows,
			mean_exec_time, plans, total_plan_time, total_exec_time + total_plan_time
			FROM pg_stat_statements ORDER BY total_exec_time + total_plan_time DESC LIMIT $1`, n)
		if err != nil {
			return
		}
		stats, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (stmtStat, error) {
			var s stmtStat
			err := r.Scan(&s.Query, &s.Calls, &s.Rows, &s.MeanExecMS, &s.Plans, &s.PlanMS, &s.TotalMS)
			s.MeanExecMS, s.PlanMS, s.TotalMS = round(s.MeanExecMS, 3), round(s.PlanMS, 1), round(s.TotalMS, 0)
			return s, err
		})
		if err == nil {
			out = stats
		}
	})
	return out
}

// setAutovacuum stops the meter av (if any) and keeps its figure in w (if
// any).
func (w *pgWork) setAutovacuum(av func() float64) {
	if av == nil {
		return
	}
	if cpu := av(); w != nil {
		w.AutovacuumCPUS = cpu
	}
}

// autovacuumEvery is how often startAutovacuumMeter samples.
const autovacuumEvery = 200 * time.Millisecond

// startAutovacuumMeter measures the CPU of PostgreSQL's autovacuum workers
// (the postmaster's children whose title says "autovacuum worker") until
// the function it returns is called, which returns their CPU seconds: it
// tells autovacuum apart from the dispatcher's writes in a window's
// PostgreSQL CPU. A worker running at the start counts from there; one
// that starts later counts from its start; one that ends between two
// samples loses its last interval (at most autovacuumEvery). nil without
// a PostgreSQL.
func (b *bench) startAutovacuumMeter() func() float64 {
	if b.st.pg == nil {
		return nil
	}
	postmaster := b.st.pg.proc.pid()
	type seen struct{ base, last int64 }
	workers := map[int]*seen{}
	sample := func(first bool) {
		_ = eachFamily(postmaster, func(n int, f []string) {
			if n == postmaster {
				return
			}
			if cmd, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", n)); err != nil || !strings.Contains(string(cmd), "autovacuum worker") {
				return
			}
			ut, _ := strconv.ParseInt(f[11], 10, 64)
			st, _ := strconv.ParseInt(f[12], 10, 64)
			w := workers[n]
			if w == nil {
				w = &seen{}
				if first {
					w.base = ut + st
				}
				workers[n] = w
			}
			w.last = ut + st
		})
	}
	sample(true)
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(autovacuumEvery)
		defer t.Stop()
		for {
			select {
			case <-stop:
				sample(false)
				return
			case <-t.C:
				sample(false)
			}
		}
	}()
	return func() float64 {
		close(stop)
		<-done
		var ticks int64
		for _, w := range workers {
			ticks += w.last - w.base
		}
		return round(float64(ticks)/clockTicks, 2)
	}
}
