package subscription_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/hookwire/hookwire/pkg/subscription"
	"github.com/hookwire/hookwire/pkg/testkit"
)

func TestStoreAndWatch(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	n := testkit.StartNATS(t)
	_, js := n.Connect(t)
	st, err := subscription.Open(ctx, js, 1)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	rec := subscription.Record{ID: "sub_1", URL: "https://example.com/h", EventTypes: []string{"*"}, Status: subscription.StatusActive, CreatedAt: now}
	rev, err := st.Create(ctx, rec)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Create(ctx, rec); !errors.Is(err, subscription.ErrExists) {
		t.Fatalf("second Create: %v", err)
	}

	var mu sync.Mutex
	seen := map[string]subscription.Change{}
	synced := make(chan struct{})
	go st.Watch(ctx, func(c subscription.Change) {
		mu.Lock()
		seen[c.ID] = c
		mu.Unlock()
	}, func() { close(synced) }, nil)
	<-synced

	if _, _, err := st.Update(ctx, "sub_1", rev+7, now, func(r *subscription.Record) error { return nil }); !errors.Is(err, subscription.ErrConflict) {
		t.Fatalf("stale Update: %v, want ErrConflict", err)
	}
	got, rev2, err := st.Update(ctx, "sub_1", rev, now, func(r *subscription.Record) error { r.Label = "x"; return nil })
	if err != nil || got.Label != "x" || rev2 <= rev {
		t.Fatalf("Update = %+v rev %d, %v", got, rev2, err)
	}
	testkit.Eventually(t, 5*time.Second, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return seen["sub_1"].Record.Label == "x"
	}, "watch did not see the update")

	if err := st.Delete(ctx, "sub_1", rev); !errors.Is(err, subscription.ErrConflict) {
		t.Fatalf("stale Delete: %v", err)
	}
	if err := st.Delete(ctx, "sub_1", 0); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, 5*time.Second, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return seen["sub_1"].Deleted
	}, "watch did not see the delete")
	if _, _, err := st.Get(ctx, "sub_1"); !errors.Is(err, subscription.ErrNotFound) {
		t.Fatalf("Get after delete: %v", err)
	}
}
