package reseal

import (
	"context"
	"crypto/rand"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	hookwirev1 "github.com/hookwire/hookwire/pkg/gen/hookwire/v1"
	"github.com/hookwire/hookwire/pkg/seal"
	"github.com/hookwire/hookwire/pkg/subscription"
	"github.com/hookwire/hookwire/pkg/testkit"
	"github.com/hookwire/hookwire/services/registry/idempotency"
)

func newBox(t *testing.T, keys ...[]byte) *seal.Box {
	t.Helper()
	b, err := seal.New(keys[0], keys[1:]...)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func newKey(t *testing.T) []byte {
	t.Helper()
	k := make([]byte, seal.KeySize)
	if _, err := rand.Read(k); err != nil {
		t.Fatal(err)
	}
	return k
}

func record(t *testing.T, b *seal.Box, id string) subscription.Record {
	t.Helper()
	s, err := b.Seal([]byte("whsec_secret-of-"+id), subscription.Place(id, subscription.FieldSigningSecret))
	if err != nil {
		t.Fatal(err)
	}
	pw, err := b.Seal([]byte("password-of-"+id), subscription.Place(id, subscription.FieldBasicPassword))
	if err != nil {
		t.Fatal(err)
	}
	return subscription.Record{ID: id, URL: "https://example.com/" + id, Status: subscription.StatusActive,
		Secrets: []subscription.Secret{{Sealed: s}}, BasicUser: "u", BasicPassword: pw}
}

// TestResealBothBuckets reseals subscriptions and remembered responses on
// a real JetStream, with a write landing between a reseal's read and its
// compare-and-set: the write is kept and resealed too. A record whose value
// does not open is reported and left alone; a second run writes nothing.
func TestResealBothBuckets(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, js := testkit.StartNATS(t).Connect(t)
	k1, k2 := newKey(t), newKey(t)
	b1, b2 := newBox(t, k1), newBox(t, k2, k1)
	store, err := subscription.Open(ctx, js, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"sub_1", "sub_2", "sub_3"} {
		if _, err := store.Create(ctx, record(t, b1, id)); err != nil {
			t.Fatal(err)
		}
	}
	moved := record(t, b1, "sub_bad")
	moved.BasicPassword = record(t, b1, "sub_1").BasicPassword
	if _, err := store.Create(ctx, moved); err != nil {
		t.Fatal(err)
	}
	requests, err := idempotency.Open(ctx, js, 1, b1)
	if err != nil {
		t.Fatal(err)
	}
	reqKey := idempotency.Key("Create", "root", "r1")
	resp := &hookwirev1.CreateSubscriptionResponse{SigningSecret: "whsec_remembered"}
	if ok, err := requests.Remember(ctx, reqKey, "fp", resp); err != nil || !ok {
		t.Fatalf("Remember = %v, %v", ok, err)
	}

	// A registry write between reseal's Get and Update of sub_2: a label
	// change and a secret sealed under the old key.
	kv := store.KV()
	raced := false
	fn := func(key string, v []byte) ([]byte, int, error) {
		out, n, err := subscription.ResealRecord(v, b2)
		if key == "sub_2" && !raced {
			raced = true
			if _, _, err := store.Update(ctx, key, 0, time.Now(), func(r *subscription.Record) error {
				r.Label = "written meanwhile"
				r.Secrets = append(r.Secrets, record(t, b1, key).Secrets...)
				return nil
			}); err != nil {
				t.Fatal(err)
			}
		}
		return out, n, err
	}
	rep, err := bucket(ctx, kv, fn, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Entries != 4 || rep.Rewritten != 3 || rep.Values != 7 || rep.Conflicts != 1 || len(rep.Failed) != 1 {
		t.Fatalf("report = %+v; want 4 entries, 3 rewritten, 7 values (2+3+2), 1 conflict, 1 failed", rep)
	}
	if !strings.HasPrefix(rep.Failed[0], "sub_bad: ") || strings.Contains(rep.Failed[0], "password-of") {
		t.Fatalf("failure = %q", rep.Failed[0])
	}
	only2 := newBox(t, k2)
	for _, id := range []string{"sub_1", "sub_2", "sub_3"} {
		rec, _, err := store.Get(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		sec, err := rec.OpenSecrets(only2, time.Now())
		if err != nil || sec.BasicPassword != "password-of-"+id {
			t.Fatalf("%s with the new key only: %v", id, err)
		}
		if id == "sub_2" && (rec.Label != "written meanwhile" || len(sec.Signing) != 2) {
			t.Fatalf("the concurrent write was lost: %+v", rec)
		}
	}
	if rec, _, _ := store.Get(ctx, "sub_bad"); rec.BasicPassword != moved.BasicPassword {
		t.Fatal("a record that failed was rewritten")
	}

	reports, err := All(ctx, js, b2, Options{})
	if err != nil || len(reports) != 2 {
		t.Fatalf("All = %+v, %v", reports, err)
	}
	if r := reports[0]; r.Bucket != subscription.Bucket || r.Rewritten != 0 || r.Values != 0 || len(r.Failed) != 1 {
		t.Fatalf("second run on subscriptions = %+v; want nothing written", r)
	}
	if r := reports[1]; r.Bucket != idempotency.Bucket || r.Entries != 1 || r.Rewritten != 1 || r.Values != 1 {
		t.Fatalf("remembered responses = %+v", r)
	}
	reader, err := idempotency.Open(ctx, js, 1, only2)
	if err != nil {
		t.Fatal(err)
	}
	var got hookwirev1.CreateSubscriptionResponse
	if found, err := reader.Get(ctx, reqKey, "fp", &got); err != nil || !found || !proto.Equal(&got, resp) {
		t.Fatalf("remembered response with the new key only = %v %v", found, err)
	}
	// Dry run with a third key: counts, writes nothing.
	b3 := newBox(t, newKey(t), k2)
	reports, err = All(ctx, js, b3, Options{DryRun: true})
	if err != nil || reports[0].Rewritten != 3 || reports[1].Rewritten != 1 {
		t.Fatalf("dry run = %+v, %v", reports, err)
	}
	if rec, _, _ := store.Get(ctx, "sub_1"); seal.SealedKeyID(rec.BasicPassword) != seal.KeyID(k2) {
		t.Fatal("dry run wrote")
	}
}

// TestResealMissingBuckets: before the registry ever ran there is nothing
// to reseal, and that is no error.
func TestResealMissingBuckets(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, js := testkit.StartNATS(t).Connect(t)
	reports, err := All(ctx, js, newBox(t, newKey(t)), Options{})
	if err != nil || len(reports) != 2 || reports[0].Entries != 0 || reports[1].Entries != 0 {
		t.Fatalf("All on an empty server = %+v, %v", reports, err)
	}
}
