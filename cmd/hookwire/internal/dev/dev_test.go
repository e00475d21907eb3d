package dev

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestReadyzFollowsRedis(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	st, err := Start(ctx, Options{GRPCAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:0", DataDir: t.TempDir(), Logger: quiet()})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- st.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	readyCtx, readyCancel := context.WithTimeout(ctx, 20*time.Second)
	defer readyCancel()
	if err := st.WaitReady(readyCtx); err != nil {
		t.Fatal(err)
	}
	get := func(path string) int {
		resp, err := http.Get("http://" + st.HTTPAddr() + path)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if get("/healthz") != http.StatusOK || get("/readyz") != http.StatusOK {
		t.Fatal("healthz/readyz not OK on a fresh stack")
	}
	if get("/metrics") != http.StatusNotFound {
		t.Fatal("/metrics served without Options.Metrics")
	}
	st.redis.embedded.Close()
	if got := get("/readyz"); got != http.StatusServiceUnavailable {
		t.Fatalf("readyz with Redis down = %d, want 503", got)
	}
	if get("/healthz") != http.StatusOK {
		t.Fatal("healthz must stay OK while the process is up")
	}
}

func TestStartFailsCleanlyWhenPortTaken(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err = Start(ctx, Options{GRPCAddr: taken.Addr().String(), HTTPAddr: "127.0.0.1:0", DataDir: dir, Logger: quiet()})
	if err == nil || !strings.Contains(err.Error(), "address already in use") {
		t.Fatalf("Start on a taken port: %v", err)
	}
	// The embedded NATS of the failed start was shut down: its store can be
	// opened again by a new stack at once.
	st, err := Start(ctx, Options{GRPCAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:0", DataDir: dir, Logger: quiet()})
	if err != nil {
		t.Fatalf("second Start over the same data dir: %v", err)
	}
	runCtx, stop := context.WithCancel(ctx)
	stop()
	if err := st.Run(runCtx); err != nil {
		t.Fatalf("Run: %v", err)
	}
}

// The embedded Redis's data (the dispatcher's retry schedule) survives a
// clean restart over the same data dir.
func TestEmbeddedRedisSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	run := func(fn func(st *Stack)) {
		st, err := Start(ctx, Options{GRPCAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:0", DataDir: dir, Logger: quiet()})
		if err != nil {
			t.Fatal(err)
		}
		fn(st)
		runCtx, stop := context.WithCancel(ctx)
		stop()
		if err := st.Run(runCtx); err != nil {
			t.Fatalf("Run: %v", err)
		}
	}
	run(func(st *Stack) {
		if err := st.redis.Client.ZAdd(ctx, "restart-test", redis.Z{Score: 42, Member: "m"}).Err(); err != nil {
			t.Fatal(err)
		}
	})
	run(func(st *Stack) {
		if got := st.redis.Client.ZScore(ctx, "restart-test", "m").Val(); got != 42 {
			t.Fatalf("after restart score = %v, want 42", got)
		}
	})
}
