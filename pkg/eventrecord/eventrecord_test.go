package eventrecord

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/hookwire/hookwire/pkg/testkit"
)

func TestReserveThenClaim(t *testing.T) {
	ctx := context.Background()
	rdb := testkit.StartRedis(t).Client(t)
	key := Key("acquirers/10", "order-0fdd5b")
	if key == Key("acquirers/100", "order-0fdd5b") {
		t.Fatal("two scopes share a key")
	}
	r, err := Reserve(ctx, rdb, key, "content-a", time.Hour)
	if err != nil || r != (Record{Content: "content-a"}) {
		t.Fatalf("first Reserve = %+v, %v", r, err)
	}
	if r, err := Reserve(ctx, rdb, key, "content-b", time.Hour); err != nil || r != (Record{Content: "content-a"}) {
		t.Fatalf("second Reserve = %+v, %v; want the first content", r, err)
	}
	for _, seq := range []uint64{4, 9} { // the first sequence stays
		if got, err := Claimed(Claim(ctx, rdb, key, seq, time.Hour)); err != nil || got != 4 {
			t.Fatalf("Claim(%d) = %d, %v; want 4", seq, got, err)
		}
	}
	if r, err := Reserve(ctx, rdb, key, "content-a", time.Hour); err != nil || r != (Record{Content: "content-a", Seq: 4}) {
		t.Fatalf("Reserve after Claim = %+v, %v", r, err)
	}
	if ttl := rdb.PTTL(ctx, key).Val(); ttl <= 0 || ttl > time.Hour {
		t.Fatalf("TTL = %s, want the reservation's hour", ttl)
	}
}

// TestClaimWithoutReserve: a message ingest did not record (the dispatcher's
// own events) gets a record with its TTL, and no content.
func TestClaimWithoutReserve(t *testing.T) {
	ctx := context.Background()
	rdb := testkit.StartRedis(t).Client(t)
	key := Key("acquirers/1", "ops-1")
	if got, err := Claimed(Claim(ctx, rdb, key, 7, time.Minute)); err != nil || got != 7 {
		t.Fatalf("Claim = %d, %v", got, err)
	}
	if ttl := rdb.PTTL(ctx, key).Val(); ttl <= 0 || ttl > time.Minute {
		t.Fatalf("TTL = %s", ttl)
	}
	if r, err := Reserve(ctx, rdb, key, "c", time.Minute); err != nil || r != (Record{Seq: 7}) {
		t.Fatalf("Reserve = %+v, %v; want no content, sequence 7", r, err)
	}
}

// TestConcurrentReserve: of many reservations of one new event at once,
// every one sees the same, first content.
func TestConcurrentReserve(t *testing.T) {
	ctx := context.Background()
	rdb := testkit.StartRedis(t).Client(t)
	key := Key("acquirers/1", "race")
	out := make([]Record, 20)
	var wg sync.WaitGroup
	for i := range out {
		wg.Go(func() {
			r, err := Reserve(ctx, rdb, key, string(rune('a'+i)), time.Minute)
			if err != nil {
				t.Error(err)
			}
			out[i] = r
		})
	}
	wg.Wait()
	for i, r := range out {
		if r.Content != out[0].Content || r.Content == "" {
			t.Fatalf("reservation %d saw %q, reservation 0 %q", i, r.Content, out[0].Content)
		}
	}
}
