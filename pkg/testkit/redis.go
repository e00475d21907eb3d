package testkit

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Redis is a redis-server process private to one test.
type Redis struct {
	Addr string
	URL  string
	cmd  *exec.Cmd
	bin  string
	args []string
	dir  string
}

// RedisServerPath finds the redis-server binary: $HOOKWIRE_REDIS_SERVER, then
// PATH. `make test` installs it when it is missing (see Makefile), so a
// missing binary fails the test with the way to fix it; it never skips.
func RedisServerPath() (string, error) {
	if p := os.Getenv("HOOKWIRE_REDIS_SERVER"); p != "" {
		return p, nil
	}
	p, err := exec.LookPath("redis-server")
	if err != nil {
		return "", fmt.Errorf("redis-server not found: run `make test` (it installs redis-server with apt) or `apt-get install redis-server`, or set HOOKWIRE_REDIS_SERVER")
	}
	return p, nil
}

// StartRedis starts redis-server on a free loopback port with its own data
// directory, and stops it when the test ends.
func StartRedis(t testing.TB) *Redis {
	t.Helper()
	bin, err := RedisServerPath()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var lastErr error
	for try := 0; try < 5; try++ {
		port, err := freePort()
		if err != nil {
			t.Fatalf("testkit: free port: %v", err)
		}
		args := []string{
			"--bind", "127.0.0.1",
			"--port", strconv.Itoa(port),
			"--dir", dir,
			"--save", "",
			"--appendonly", "no",
			"--daemonize", "no",
			"--logfile", filepath.Join(dir, "redis.log"),
		}
		cmd := exec.Command(bin, args...)
		if err := cmd.Start(); err != nil {
			t.Fatalf("testkit: start redis-server: %v", err)
		}
		r := &Redis{Addr: fmt.Sprintf("127.0.0.1:%d", port), cmd: cmd, bin: bin, args: args, dir: dir}
		r.URL = "redis://" + r.Addr
		if lastErr = r.waitReady(10 * time.Second); lastErr == nil {
			t.Cleanup(r.Stop)
			return r
		}
		r.Stop()
	}
	log, _ := os.ReadFile(filepath.Join(dir, "redis.log"))
	t.Fatalf("testkit: redis-server did not become ready: %v\n%s", lastErr, log)
	return nil
}

func (r *Redis) waitReady(timeout time.Duration) error {
	c := redis.NewClient(&redis.Options{Addr: r.Addr, MaxRetries: -1})
	defer c.Close()
	deadline := time.Now().Add(timeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		err := c.Ping(ctx).Err()
		cancel()
		if err == nil {
			return nil
		}
		if r.cmd.ProcessState != nil || time.Now().After(deadline) {
			return err
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Client returns a client closed when the test ends.
func (r *Redis) Client(t testing.TB) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: r.Addr})
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// Stop kills the server and waits for it; calling it twice is fine.
func (r *Redis) Stop() {
	if r.cmd.Process == nil || r.cmd.ProcessState != nil {
		return
	}
	_ = r.cmd.Process.Kill()
	_ = r.cmd.Wait()
}

// Outage stops the server the way an operator's restart does — SHUTDOWN
// SAVE, so its data survives as with AOF in production — and returns the
// function that starts it again on the same address and waits until it
// answers. Clients see refused connections in between.
func (r *Redis) Outage(t testing.TB) (restart func()) {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: r.Addr, MaxRetries: -1})
	_ = c.ShutdownSave(context.Background()).Err() // the connection drops as the server exits: no reply
	_ = c.Close()
	_ = r.cmd.Wait()
	return func() {
		t.Helper()
		r.cmd = exec.Command(r.bin, r.args...)
		if err := r.cmd.Start(); err != nil {
			t.Fatalf("testkit: restart redis-server: %v", err)
		}
		if err := r.waitReady(10 * time.Second); err != nil {
			log, _ := os.ReadFile(filepath.Join(r.dir, "redis.log"))
			t.Fatalf("testkit: redis-server did not come back: %v\n%s", err, log)
		}
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
