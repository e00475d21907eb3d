package subscription_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookwire/hookwire/pkg/subscription"
	"github.com/hookwire/hookwire/pkg/testkit"
)

// On a replicated bucket a failed compare-and-set carries another error
// code than on a single replica; the store must still see a conflict.
func TestStoreConflictOnReplicatedBucket(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a 3-node cluster")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	urls := testkit.StartCluster(t, 3)
	nc, err := nats.Connect(strings.Join(urls, ","))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	var st *subscription.Store
	testkit.Eventually(t, 20*time.Second, func() bool {
		st, err = subscription.Open(ctx, js, 3)
		return err == nil
	}, "open R3 bucket: %v", err)

	now := time.Now()
	rev, err := st.Create(ctx, subscription.Record{ID: "sub_r3", URL: "https://example.com", EventTypes: []string{"*"}, Status: subscription.StatusActive})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.Update(ctx, "sub_r3", rev, now, func(r *subscription.Record) error { r.Label = "a"; return nil }); err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.Update(ctx, "sub_r3", rev, now, func(r *subscription.Record) error { r.Label = "stale"; return nil }); !errors.Is(err, subscription.ErrConflict) {
		t.Fatalf("stale update on R3: %v, want ErrConflict", err)
	}
	if err := st.Delete(ctx, "sub_r3", rev); !errors.Is(err, subscription.ErrConflict) {
		t.Fatalf("stale delete on R3: %v, want ErrConflict", err)
	}
	if _, err := st.Create(ctx, subscription.Record{ID: "sub_r3"}); !errors.Is(err, subscription.ErrExists) {
		t.Fatalf("second create on R3: %v, want ErrExists", err)
	}
}

func TestEmptyRetryPolicySurvivesStorage(t *testing.T) {
	ctx := context.Background()
	n := testkit.StartNATS(t)
	_, js := n.Connect(t)
	st, err := subscription.Open(ctx, js, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Create(ctx, subscription.Record{ID: "one_shot", RetryDelays: []time.Duration{}}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Create(ctx, subscription.Record{ID: "default"}); err != nil {
		t.Fatal(err)
	}
	one, _, _ := st.Get(ctx, "one_shot")
	def, _, _ := st.Get(ctx, "default")
	if len(one.Delays()) != 0 || one.RetryDelays == nil {
		t.Fatalf("empty retry policy came back as %v", one.RetryDelays)
	}
	if len(def.Delays()) != len(subscription.DefaultRetryDelays) {
		t.Fatalf("unset retry policy came back as %v", def.Delays())
	}
}
