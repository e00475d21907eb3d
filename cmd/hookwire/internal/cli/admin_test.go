package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/hookwire/hookwire/pkg/seal"
	"github.com/hookwire/hookwire/pkg/subscription"
	"github.com/hookwire/hookwire/pkg/testkit"
)

// TestAdminReseal runs `hookwire admin reseal` against a real JetStream:
// it reseals under the current key, a second run writes nothing, a run
// missing the old key fails naming the record, and no key is printed.
func TestAdminReseal(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	n := testkit.StartNATS(t)
	_, js := n.Connect(t)
	k1, k2, k3 := strings.Repeat("a1", 32), strings.Repeat("b2", 32), strings.Repeat("c3", 32)
	old, _, err := seal.ResolveBox(k1, "", false, "")
	if err != nil {
		t.Fatal(err)
	}
	store, err := subscription.Open(ctx, js, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"sub_1", "sub_2"} {
		s, err := old.Seal([]byte("whsec_"+id), subscription.Place(id, subscription.FieldSigningSecret))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := store.Create(ctx, subscription.Record{ID: id, Secrets: []subscription.Secret{{Sealed: s}}}); err != nil {
			t.Fatal(err)
		}
	}
	run := func(current, previous string, args ...string) (int, string) {
		t.Setenv("HOOKWIRE_MASTER_KEY", current)
		t.Setenv("HOOKWIRE_MASTER_KEYS_PREVIOUS", previous)
		var out bytes.Buffer
		code := Run(ctx, append([]string{"admin", "reseal", "--nats-url", n.URL}, args...), &out, &out)
		text := out.String()
		for _, k := range []string{k1, k2, k3} {
			if strings.Contains(text, k) {
				t.Fatalf("output shows a master key:\n%s", text)
			}
		}
		return code, text
	}
	type result struct {
		KeyID   string `json:"sealing_key_id"`
		Buckets []struct {
			Bucket            string
			Rewritten, Values int
			Failed            []string
		} `json:"buckets"`
	}
	decode := func(text string) result {
		var r result
		if err := json.Unmarshal([]byte(text), &r); err != nil {
			t.Fatalf("output is not JSON: %v\n%s", err, text)
		}
		return r
	}

	code, text := run(k2, k1, "--dry-run", "-o", "json")
	if r := decode(text); code != 0 || r.Buckets[0].Rewritten != 2 {
		t.Fatalf("dry run: exit %d\n%s", code, text)
	}
	code, text = run(k2, k1, "-o", "json")
	r := decode(text)
	if code != 0 || r.Buckets[0].Bucket != subscription.Bucket || r.Buckets[0].Rewritten != 2 || r.Buckets[0].Values != 2 {
		t.Fatalf("reseal: exit %d\n%s", code, text)
	}
	if k, _ := seal.ParseKey(k2); r.KeyID != seal.KeyID(k) {
		t.Fatalf("sealing key id %s", r.KeyID)
	}
	if code, text = run(k2, k1); code != 0 || !strings.Contains(text, "REWRITTEN") {
		t.Fatalf("second reseal (table): exit %d\n%s", code, text)
	}
	if r := decode(func() string { _, s := run(k2, "", "-o", "json"); return s }()); r.Buckets[0].Rewritten != 0 || len(r.Buckets[0].Failed) != 0 {
		t.Fatalf("after the reseal K1 is not needed: %+v", r)
	}
	// K2 retired too early: nothing opens, the run fails and says where.
	code, text = run(k3, "")
	if code != exitError || !strings.Contains(text, "failed: "+subscription.Bucket+"/sub_1") || !strings.Contains(text, "not configured") {
		t.Fatalf("reseal without the old key: exit %d\n%s", code, text)
	}
	if code, text = run("", ""); code != exitUsage || !strings.Contains(text, "HOOKWIRE_MASTER_KEY") {
		t.Fatalf("without a key: exit %d\n%s", code, text)
	}
}
