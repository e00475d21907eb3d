package retry

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/hookwire/hookwire/pkg/testkit"
	"github.com/hookwire/hookwire/services/dispatcher/clock"
	"github.com/hookwire/hookwire/services/dispatcher/deliverylog"
	"github.com/hookwire/hookwire/services/dispatcher/task"
)

// BenchmarkBacklogMemory reports what one waiting retry costs in Redis
// (used_memory over the set's growth, and the server's RSS growth) for
// tasks shaped like production's: registry subscription ids, UUID event
// ids, a traceparent. -benchtime Nx sets the backlog (W4 of the benchmark
// issue is 1M: -benchtime 1000000x).
func BenchmarkBacklogMemory(b *testing.B) {
	ctx := context.Background()
	rdb := testkit.StartRedis(b).Client(b)
	s := New(rdb, nil, clock.System{}, slog.New(slog.DiscardHandler), 0)
	mem0, rss0 := redisMemory(b, rdb)
	due := time.Now().Add(time.Hour)
	const tp = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
	b.ResetTimer()
	for i := range b.N {
		sub := fmt.Sprintf("sub_01KAZ3J5R1Y9T2W8M4N6P0Q%03d", i%10)
		ev := fmt.Sprintf("3f2b6c1e-8d4a-4e7b-9c2f-%012d", i)
		t := task.Task{DeliveryID: deliverylog.ID(sub, "acquirers/100/merchants/2000", ev), SubscriptionID: sub, EventID: ev,
			EventSeq: uint64(i + 1), Step: 1, Trigger: task.Scheduled, TP: tp}
		if err := s.Schedule(ctx, t, due.Add(time.Duration(i)*time.Millisecond)); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	mem1, rss1 := redisMemory(b, rdb)
	b.ReportMetric(float64(mem1-mem0)/float64(b.N), "redis-B/retry")
	b.ReportMetric(float64(rss1-rss0)/float64(b.N), "rss-B/retry")
}

// redisMemory is Redis's used_memory and used_memory_rss in bytes.
func redisMemory(b *testing.B, rdb *redis.Client) (used, rss int64) {
	info, err := rdb.Info(context.Background(), "memory").Result()
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(info, "\r\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		n, _ := strconv.ParseInt(v, 10, 64)
		switch k {
		case "used_memory":
			used = n
		case "used_memory_rss":
			rss = n
		}
	}
	return used, rss
}
