package dev

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/hookwire/hookwire/pkg/testkit"
)

// A crash (no clean stop, so no final save) loses at most the last second:
// what the running store wrote is in the snapshot a new store starts from.
func TestEmbeddedRedisSnapshotsWhileRunning(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	path := filepath.Join(t.TempDir(), redisSnapshotFile)
	r, err := openRedis(ctx, "", path)
	if err != nil {
		t.Fatal(err)
	}
	go r.Run(ctx, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err := r.Client.ZAdd(ctx, "hookwire:retries", redis.Z{Score: 42, Member: "task-1"}).Err(); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, 5*time.Second, func() bool {
		m := miniredis.NewMiniRedis()
		defer m.Close()
		n, err := loadRedis(m, path)
		return err == nil && n > 0 && func() bool { s, err := m.ZScore("hookwire:retries", "task-1"); return err == nil && s == 42 }()
	}, "the running store never wrote the retry to its snapshot")
	// Crash: the store is abandoned without close (no final save).
	r.embedded.Close()
}
