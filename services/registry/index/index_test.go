package index_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/hookwire/hookwire/pkg/subscription"
	"github.com/hookwire/hookwire/services/registry/index"
)

func put(id, scope string, rev uint64) subscription.Change {
	return subscription.Change{ID: id, Record: subscription.Record{ID: id, Scope: scope}, Revision: rev}
}

func TestPageOrderAndFilter(t *testing.T) {
	x := index.New()
	for i, id := range []string{"sub_c", "sub_a", "sub_e", "sub_b", "sub_d"} {
		x.Apply(put(id, map[bool]string{true: "a", false: "b"}[i%2 == 0], uint64(i+1)))
	}
	x.Apply(subscription.Change{ID: "sub_e", Revision: 6, Deleted: true})
	all := func(*subscription.Record) bool { return true }
	tests := []struct {
		after string
		limit int
		keep  func(*subscription.Record) bool
		want  string
		more  bool
	}{
		{"", 10, all, "[sub_a sub_b sub_c sub_d]", false},
		{"", 2, all, "[sub_a sub_b]", true},
		{"sub_b", 2, all, "[sub_c sub_d]", false},
		{"sub_bb", 1, all, "[sub_c]", true},
		{"", 10, func(r *subscription.Record) bool { return r.Scope == "a" }, "[sub_c sub_d]", false},
	}
	for _, tt := range tests {
		got, more := x.Page(tt.after, tt.limit, tt.keep)
		ids := make([]string, len(got))
		for i, e := range got {
			ids[i] = e.Record.ID
		}
		if fmt.Sprint(ids) != tt.want || more != tt.more {
			t.Errorf("Page(%q, %d) = %v %v, want %s %v", tt.after, tt.limit, ids, more, tt.want, tt.more)
		}
	}
	if n := x.Count(func(r *subscription.Record) bool { return r.Scope == "b" }); n != 2 {
		t.Errorf("Count(scope b) = %d, want 2", n)
	}
}

func TestWaitFor(t *testing.T) {
	x := index.New()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := x.WaitFor(ctx, 0); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("WaitFor before sync = %v, want deadline", err)
	}
	x.MarkSynced()
	done := make(chan error, 1)
	go func() { done <- x.WaitFor(context.Background(), 3) }()
	x.Apply(put("sub_a", "", 2))
	x.Apply(put("sub_b", "", 3))
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestReadyAndCountByStatus(t *testing.T) {
	x := index.New()
	select {
	case <-x.Ready():
		t.Fatal("ready before the initial replay")
	default:
	}
	for i, st := range []subscription.Status{subscription.StatusActive, subscription.StatusActive, subscription.StatusSuspended} {
		id := fmt.Sprintf("sub_%d", i)
		x.Apply(subscription.Change{ID: id, Record: subscription.Record{ID: id, Status: st}, Revision: uint64(i + 1)})
	}
	x.MarkSynced()
	x.MarkSynced() // a second call is harmless
	<-x.Ready()
	got := x.CountByStatus()
	if got[subscription.StatusActive] != 2 || got[subscription.StatusSuspended] != 1 || got[subscription.StatusPaused] != 0 {
		t.Fatalf("CountByStatus = %v", got)
	}
}
