package testkit

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// Postgres is a PostgreSQL server private to one test (or one test
// package): its own data directory in a temp dir, a free loopback port, the
// unix socket in the temp dir, fsync off. The machine's own server on 5432
// is never used.
type Postgres struct {
	// URL is the connection URL of the "postgres" database as superuser
	// "hookwire" (trust authentication, loopback only).
	URL  string
	Port int
	Dir  string // data directory and socket directory live under it

	bin    string
	cred   *syscall.Credential // nil: run as the current user
	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{} // closed when cmd has exited
	dbs    atomic.Int64
}

// PostgresBinDir finds the directory of initdb and postgres:
// $HOOKWIRE_PG_BIN, then the newest /usr/lib/postgresql/<version>/bin
// (Debian keeps them off PATH), then PATH. `make test` installs postgresql
// with apt when it is missing, so a missing binary fails the test with the
// way to fix it; it never skips.
func PostgresBinDir() (string, error) {
	if d := os.Getenv("HOOKWIRE_PG_BIN"); d != "" {
		return d, nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	slices.SortFunc(dirs, func(a, b string) int { return pgVersion(b) - pgVersion(a) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p), nil
	}
	return "", fmt.Errorf("PostgreSQL's initdb not found: run `make test` (it installs postgresql with apt) or `apt-get install postgresql`, or set HOOKWIRE_PG_BIN to the directory holding initdb and postgres")
}

func pgVersion(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

// StartPostgres initialises and starts a private server, stopped and
// removed when the test ends. As root (CI, containers) the server runs as
// the unprivileged user "postgres" (made by Debian's package), or "nobody"
// without it: initdb and postgres refuse to run as root.
func StartPostgres(t testing.TB) *Postgres {
	t.Helper()
	bin, err := PostgresBinDir()
	if err != nil {
		t.Fatal(err)
	}
	// Not t.TempDir: its parent is private to root, and the server may run
	// as another user.
	dir, err := os.MkdirTemp("", "hookwire-pg-")
	if err != nil {
		t.Fatalf("testkit: postgres dir: %v", err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	p := &Postgres{Dir: dir, bin: bin}
	if os.Geteuid() == 0 {
		if p.cred, err = unprivileged(); err != nil {
			t.Fatalf("testkit: postgres as root: %v", err)
		}
		if err := os.Chown(dir, int(p.cred.Uid), int(p.cred.Gid)); err != nil {
			t.Fatalf("testkit: postgres dir: %v", err)
		}
	}
	initdb := p.command("initdb", "-D", p.dataDir(), "-U", "hookwire", "--auth=trust", "-E", "UTF8", "--no-sync", "--locale=C")
	if out, err := initdb.CombinedOutput(); err != nil {
		t.Fatalf("testkit: initdb: %v\n%s", err, out)
	}
	if p.Port, err = freePort(); err != nil {
		t.Fatalf("testkit: free port: %v", err)
	}
	p.URL = fmt.Sprintf("postgres://hookwire@127.0.0.1:%d/postgres?sslmode=disable", p.Port)
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Stop)
	return p
}

func unprivileged() (*syscall.Credential, error) {
	u, err := user.Lookup("postgres")
	if err != nil {
		if u, err = user.Lookup("nobody"); err != nil {
			return nil, fmt.Errorf("no user postgres or nobody to run the server as: %w", err)
		}
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err1 != nil || err2 != nil {
		return nil, fmt.Errorf("user %s: uid %q gid %q", u.Username, u.Uid, u.Gid)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

func (p *Postgres) dataDir() string { return filepath.Join(p.Dir, "data") }
func (p *Postgres) logFile() string { return filepath.Join(p.Dir, "postgres.log") }

func (p *Postgres) command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(filepath.Join(p.bin, name), args...)
	cmd.Dir = p.Dir
	if p.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: p.cred}
	}
	return cmd
}

// Start (re)starts the server on its port and data directory and waits
// until it accepts connections. Tests of an outage call Stop, then Start.
func (p *Postgres) Start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd != nil {
		return nil
	}
	log, err := os.OpenFile(p.logFile(), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o666)
	if err != nil {
		return fmt.Errorf("testkit: postgres log: %w", err)
	}
	defer log.Close()
	cmd := p.command("postgres", "-D", p.dataDir(), "-p", strconv.Itoa(p.Port), "-k", p.Dir,
		"-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "full_page_writes=off",
		"-c", "max_connections=200", "-c", "shared_buffers=32MB")
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("testkit: start postgres: %w", err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ready := p.command("pg_isready", "-q", "-h", "127.0.0.1", "-p", strconv.Itoa(p.Port), "-U", "hookwire")
		if ready.Run() == nil {
			p.cmd, p.exited = cmd, exited
			return nil
		}
		select {
		case <-exited:
			return fmt.Errorf("testkit: postgres exited at start:\n%s", p.tail())
		default:
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			<-exited
			return fmt.Errorf("testkit: postgres not ready within 30s:\n%s", p.tail())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Stop shuts the server down (fast shutdown: open sessions are ended) and
// waits for it; calling it twice is fine.
func (p *Postgres) Stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-p.exited:
	case <-time.After(20 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
	p.cmd = nil
}

// NewDatabase creates an empty database and returns its URL: one server
// serves many tests, each in a database of its own.
func (p *Postgres) NewDatabase(t testing.TB) string {
	t.Helper()
	name := fmt.Sprintf("test_%d", p.dbs.Add(1))
	psql := p.command("psql", "-X", "-q", "-h", "127.0.0.1", "-p", strconv.Itoa(p.Port), "-U", "hookwire", "-d", "postgres",
		"-v", "ON_ERROR_STOP=1", "-c", "CREATE DATABASE "+name)
	if out, err := psql.CombinedOutput(); err != nil {
		t.Fatalf("testkit: create database %s: %v\n%s", name, err, out)
	}
	return fmt.Sprintf("postgres://hookwire@127.0.0.1:%d/%s?sslmode=disable", p.Port, name)
}

func (p *Postgres) tail() []byte {
	b, _ := os.ReadFile(p.logFile())
	if i := len(b) - 4096; i > 0 {
		b = b[i:]
	}
	return bytes.TrimSpace(b)
}
