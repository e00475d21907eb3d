package worker

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
)

func TestEventCacheSharesReadsAndStaysBounded(t *testing.T) {
	ctx := context.Background()
	c := newEventCache(10)
	var reads atomic.Int32
	read := func(body string) func(context.Context) (stored, error) {
		return func(context.Context) (stored, error) {
			reads.Add(1)
			return stored{body: []byte(body)}, nil
		}
	}
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			if ev, err := c.get(ctx, 1, read("aaaa")); err != nil || string(ev.body) != "aaaa" {
				t.Errorf("get = %q, %v", ev.body, err)
			}
		})
	}
	wg.Wait()
	if n := reads.Load(); n != 1 {
		t.Fatalf("%d reads for one sequence, want 1", n)
	}
	c.get(ctx, 2, read("bbbb"))
	c.get(ctx, 3, read("cccc")) // 12 bytes > 10: sequence 1 is evicted
	c.get(ctx, 1, read("aaaa"))
	if n := reads.Load(); n != 4 {
		t.Fatalf("%d reads, want 4 (sequence 1 read again after eviction)", n)
	}
	boom := errors.New("boom")
	if _, err := c.get(ctx, 9, func(context.Context) (stored, error) { return stored{}, boom }); !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
	if ev, err := c.get(ctx, 9, read("ok")); err != nil || string(ev.body) != "ok" {
		t.Fatalf("error was cached: %q, %v", ev.body, err)
	}
}

// TestEventCachePut: an event the fan-out put is served without a read,
// and a put never replaces an entry.
func TestEventCachePut(t *testing.T) {
	c := newEventCache(1 << 10)
	c.put(7, stored{body: []byte("from fan-out")})
	c.put(7, stored{body: []byte("again")})
	ev, err := c.get(context.Background(), 7, func(context.Context) (stored, error) {
		t.Error("read although the event was put")
		return stored{}, errors.New("unexpected read")
	})
	if err != nil || string(ev.body) != "from fan-out" {
		t.Fatalf("get = %q, %v; want the first put", ev.body, err)
	}
}
