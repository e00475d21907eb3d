package idempotency_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	hookwirev1 "github.com/hookwire/hookwire/pkg/gen/hookwire/v1"
	"github.com/hookwire/hookwire/pkg/seal"
	"github.com/hookwire/hookwire/pkg/testkit"
	"github.com/hookwire/hookwire/services/registry/idempotency"
)

func TestRememberOnceSealed(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	n := testkit.StartNATS(t)
	_, js := n.Connect(t)
	box, err := seal.New(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	st, err := idempotency.Open(ctx, js, 1, box)
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := st.KV().Status(ctx); st.TTL() != idempotency.TTL {
		t.Errorf("bucket TTL = %s, want %s", st.TTL(), idempotency.TTL)
	}
	keys := map[string]bool{}
	for _, k := range []string{
		idempotency.Key("Create", "alice", "r1"), idempotency.Key("Create", "bob", "r1"),
		idempotency.Key("Create", "alice", "r2"), idempotency.Key("Other", "alice", "r1"),
	} {
		keys[k] = true
	}
	if len(keys) != 4 {
		t.Fatal("keys of different callers, ids or operations collide")
	}

	key := idempotency.Key("Create", "alice", "r1")
	var got hookwirev1.CreateSubscriptionResponse
	if found, err := st.Get(ctx, key, "fp1", &got); err != nil || found {
		t.Fatalf("Get before Remember = %v, %v", found, err)
	}
	first := &hookwirev1.CreateSubscriptionResponse{SigningSecret: "whsec_first-secret-value"}
	if ok, err := st.Remember(ctx, key, "fp1", first); err != nil || !ok {
		t.Fatalf("Remember = %v, %v", ok, err)
	}
	if ok, err := st.Remember(ctx, key, "fp1", &hookwirev1.CreateSubscriptionResponse{SigningSecret: "whsec_second"}); err != nil || ok {
		t.Fatalf("second Remember = %v, %v; want false", ok, err)
	}
	if found, err := st.Get(ctx, key, "fp1", &got); err != nil || !found || !proto.Equal(&got, first) {
		t.Fatalf("Get = %v %v, %v", &got, found, err)
	}
	if _, err := st.Get(ctx, key, "fp2", &got); !errors.Is(err, idempotency.ErrMismatch) {
		t.Fatalf("Get with another fingerprint = %v, want ErrMismatch", err)
	}
	raw, err := st.KV().Get(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw.Value()), "first-secret") {
		t.Fatal("remembered response is stored in clear")
	}
}
