package match

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/hookwire/hookwire/pkg/bus"
	"github.com/hookwire/hookwire/pkg/subscription"
)

var types = []string{"transaction.sale.success", "transaction.sale.failure", "transaction.refund.success", "ach.returned", "ach.settled", "settlement.batch.success", "product.inventory.adjusted", "cau.updated_card"}

// build indexes n subscriptions spread over acquirers/merchants/terminals,
// plus 10 that match the probe event at every level of its scope path.
func build(n int) *Index {
	ix := New()
	for i := 0; i < n; i++ {
		sc := fmt.Sprintf("acquirers/%d/merchants/%d/terminals/%d", i%100, i%10000, i)
		ix.Put(&subscription.Record{
			ID:         fmt.Sprintf("sub_%09d", i),
			URL:        "https://example.com/hook",
			Scope:      sc,
			EventTypes: []string{types[i%len(types)]},
			Status:     subscription.StatusActive,
		})
	}
	for i := 0; i < 10; i++ {
		ix.Put(&subscription.Record{ID: fmt.Sprintf("probe_%d", i), Scope: "acquirers/7/merchants/7", EventTypes: []string{"transaction.sale.*"}, Status: subscription.StatusActive})
	}
	return ix
}

var probe = bus.Meta{Type: "transaction.sale.success", Scope: "acquirers/7/merchants/7/terminals/x"}

// BenchmarkMatch shows the match cost does not grow with the number of
// subscriptions that cannot match (W5 of the benchmark issue).
func BenchmarkMatch(b *testing.B) {
	for _, n := range []int{10_000, 100_000, 1_000_000} {
		ix := build(n)
		b.Run(fmt.Sprintf("subs=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				got := 0
				ix.Match(probe, func(*subscription.Record) bool { got++; return true })
				if got != 10 {
					b.Fatalf("matched %d, want 10", got)
				}
			}
		})
	}
}

// BenchmarkIndexMemory reports the heap held by an index of 1M subscriptions.
func BenchmarkIndexMemory(b *testing.B) {
	for b.Loop() {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		ix := build(1_000_000)
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/(1<<20), "MiB/1M-subs")
		runtime.KeepAlive(ix)
	}
}

// BenchmarkMatchFiltered: subscriptions of one scope and type that differ
// only by an attribute filter (one per merchant) are found by the event's
// value, not by testing each: the cost stays that of a few candidates
// however many there are (make bench's W2 after W3 has 10,000 such).
func BenchmarkMatchFiltered(b *testing.B) {
	for _, n := range []int{10, 10_000, 100_000} {
		ix := New()
		for i := range n {
			ix.Put(&subscription.Record{ID: fmt.Sprintf("sub_%09d", i), Scope: "acquirers/7", EventTypes: []string{"transaction.sale.success"},
				Filters: map[string][]string{"merchant": {fmt.Sprint(i)}}, Status: subscription.StatusActive})
		}
		ev := bus.Meta{Type: "transaction.sale.success", Scope: "acquirers/7/merchants/7", Attributes: map[string]string{"merchant": "7"}}
		b.Run(fmt.Sprintf("subs=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				got := 0
				ix.Match(ev, func(*subscription.Record) bool { got++; return true })
				if got != 1 {
					b.Fatalf("matched %d, want 1", got)
				}
			}
		})
	}
}
