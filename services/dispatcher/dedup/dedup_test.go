package dedup

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookwire/hookwire/pkg/testkit"
)

func TestFirst(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	f := New(testkit.StartRedis(t).Client(t), time.Hour)
	steps := []struct {
		name  string
		scope string
		id    string
		seq   uint64
		first bool
	}{
		{"new event", "acquirers/10", "e1", 10, true},
		{"same message redelivered", "acquirers/10", "e1", 10, true},
		{"repeat in a later message", "acquirers/10", "e1", 11, false},
		{"another event", "acquirers/10", "e2", 11, true},
		{"another tenant's event of the same event_id", "acquirers/100", "e1", 12, true},
		{"that tenant's repeat", "acquirers/100", "e1", 13, false},
	}
	for _, s := range steps {
		got, err := f.First(ctx, s.scope, s.id, s.seq)
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if got != s.first {
			t.Fatalf("%s: First(%s, %d) = %v, want %v", s.name, s.id, s.seq, got, s.first)
		}
	}
}

// TestFirstConcurrent: claims sent together in one round trip get the
// answers each would get alone, duplicates within a batch included.
func TestFirstConcurrent(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	f := New(testkit.StartRedis(t).Client(t), time.Hour)
	if first, err := f.First(ctx, "acquirers/1", "old", 1); err != nil || !first {
		t.Fatalf("First(old, 1) = %v, %v", first, err)
	}
	const n = 200
	type res struct {
		first bool
		err   error
	}
	out := make([]res, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			switch {
			case i%4 == 0: // a later message repeating an event seen before
				out[i].first, out[i].err = f.First(ctx, "acquirers/1", "old", uint64(1000+i))
			case i%4 == 1: // the message that carried "old" first, redelivered
				out[i].first, out[i].err = f.First(ctx, "acquirers/1", "old", 1)
			default:
				out[i].first, out[i].err = f.First(ctx, "acquirers/1", fmt.Sprintf("new-%d", i), uint64(i))
			}
		})
	}
	wg.Wait()
	for i, r := range out {
		if want := i%4 != 0; r.err != nil || r.first != want {
			t.Errorf("claim %d: first %v, err %v; want %v", i, r.first, r.err, want)
		}
	}
	// Two messages with one new event_id at once: exactly one is first.
	var firsts atomic.Int32
	for i := range 20 {
		wg.Go(func() {
			if ok, err := f.First(ctx, "acquirers/1", "race", uint64(5000+i)); err != nil {
				t.Error(err)
			} else if ok {
				firsts.Add(1)
			}
		})
	}
	wg.Wait()
	if n := firsts.Load(); n != 1 {
		t.Fatalf("%d of 20 messages carrying one new event_id were first, want 1", n)
	}
}
