package worker

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/hookwire/hookwire/pkg/bus"
)

func TestEventCacheSharesReadsAndStaysBounded(t *testing.T) {
	ctx := context.Background()
	c := newEventCache(2 * stored{body: []byte("aaaa")}.size()) // two entries
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
	c.get(ctx, 3, read("cccc")) // a third entry: sequence 1 is evicted
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

// TestEventCacheKeepsOnlyWhatItCounts: a cached body is a copy, not a
// slice of the NATS message buffer it came in (which holds the subject and
// headers too, and stayed alive with it), and the bound counts the strings
// and the entry, not the body only: 1 MiB of cache held about 2.5 MiB of
// 1 KiB events before.
func TestEventCacheKeepsOnlyWhatItCounts(t *testing.T) {
	msg := make([]byte, 4096) // a message: subject, headers, then the body
	body := msg[3072:]
	copy(body, "body")
	meta := bus.Meta{ID: "evt-1", Type: "payment.captured", Scope: "acquirers/1", Attributes: map[string]string{"region": "eu"}}
	tp := "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
	c := newEventCache(1 << 20)
	c.put(1, stored{meta: meta, body: body, traceparent: tp})
	ev, err := c.get(context.Background(), 2, func(context.Context) (stored, error) {
		return stored{meta: meta, body: body, traceparent: tp}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	copy(msg[3072:], "next") // the buffer is reused
	for seq, e := range c.entries {
		if string(e.ev.body[:4]) != "body" || cap(e.ev.body) != len(body) {
			t.Fatalf("entry %d keeps a slice of the message buffer (cap %d, body %q)", seq, cap(e.ev.body), e.ev.body[:4])
		}
	}
	if string(ev.body[:4]) != "body" {
		t.Fatalf("get returned the message buffer, now %q", ev.body[:4])
	}
	want := 2 * (len(body) + len(tp) + len(meta.ID) + len(meta.Type) + len(meta.Scope) + len("region") + len("eu"))
	if c.bytes < want+2*entryOverhead {
		t.Fatalf("the cache counts %d bytes for two events that keep at least %d", c.bytes, want+2*entryOverhead)
	}
}
