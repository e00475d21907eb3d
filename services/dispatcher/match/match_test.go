package match

import (
	"fmt"
	"slices"
	"sort"
	"testing"

	"github.com/hookwire/hookwire/pkg/bus"
	"github.com/hookwire/hookwire/pkg/subscription"
)

func sub(id, sc string, types []string, filters map[string][]string, st subscription.Status) *subscription.Record {
	return &subscription.Record{ID: id, Scope: sc, EventTypes: types, Filters: filters, Status: st}
}

func fixture() *Index {
	active := subscription.StatusActive
	ix := New()
	for _, r := range []*subscription.Record{
		sub("root-all", "", []string{"*"}, nil, active),
		sub("acq-sale", "acquirers/100", []string{"transaction.sale.*"}, nil, active),
		sub("acq-exact", "acquirers/100", []string{"transaction.sale.success"}, nil, active),
		sub("acq-other", "acquirers/200", []string{"*"}, nil, active),
		sub("merch-card", "acquirers/100/merchants/2000", []string{"transaction.*"}, map[string][]string{"payment_method": {"CARD", "BLIK"}}, active),
		sub("merch-ideal", "acquirers/100/merchants/2000", []string{"transaction.*"}, map[string][]string{"payment_method": {"IDEL"}}, active),
		sub("terminal", "acquirers/100/merchants/2000/terminals/31", []string{"*"}, nil, active),
		sub("paused", "acquirers/100", []string{"*"}, nil, subscription.StatusPaused),
		sub("suspended", "", []string{"*"}, nil, subscription.StatusSuspended),
		sub("multi", "acquirers/100", []string{"transaction.*", "transaction.sale.*", "transaction.sale.success"}, nil, active),
		sub("ach", "", []string{"ach.returned"}, nil, active),
		sub("prefix-trap", "acquirers/10", []string{"*"}, nil, active),
		sub("ops-all", "ops/1", []string{"*", "hookwire.*"}, nil, active),
		sub("ops-exact", "", []string{"hookwire.subscription.suspended"}, nil, active),
	} {
		ix.Put(r)
	}
	return ix
}

func ids(ix *Index, m bus.Meta) []string {
	var out []string
	ix.Match(m, func(r *subscription.Record) bool { out = append(out, r.ID); return true })
	sort.Strings(out)
	return out
}

func TestMatch(t *testing.T) {
	ix := fixture()
	tests := []struct {
		name string
		m    bus.Meta
		want []string
	}{
		{"merchant card sale", bus.Meta{Type: "transaction.sale.success", Scope: "acquirers/100/merchants/2000", Attributes: map[string]string{"payment_method": "CARD"}},
			[]string{"acq-exact", "acq-sale", "merch-card", "multi", "root-all"}},
		{"merchant sale without attribute", bus.Meta{Type: "transaction.sale.success", Scope: "acquirers/100/merchants/2000"},
			[]string{"acq-exact", "acq-sale", "multi", "root-all"}},
		{"terminal refund ideal", bus.Meta{Type: "transaction.refund.voided", Scope: "acquirers/100/merchants/2000/terminals/31", Attributes: map[string]string{"payment_method": "IDEL"}},
			[]string{"merch-ideal", "multi", "root-all", "terminal"}},
		{"other acquirer", bus.Meta{Type: "transaction.sale.success", Scope: "acquirers/200/merchants/1"},
			[]string{"acq-other", "root-all"}},
		{"root ach", bus.Meta{Type: "ach.returned", Scope: ""},
			[]string{"ach", "root-all"}},
		{"type prefix is not a match", bus.Meta{Type: "transaction.sale", Scope: "acquirers/100"},
			[]string{"multi", "root-all"}},
		{"sibling scope sharing a string prefix", bus.Meta{Type: "x", Scope: "acquirers/100"},
			[]string{"root-all"}},
		// Operational events go only to patterns naming them, never to "*":
		// the same answer from the index (fan-out) and Matches (Replay).
		{"operational event skips bare star", bus.Meta{Type: "hookwire.subscription.suspended", Scope: "ops/1/merchants/2000"},
			[]string{"ops-all", "ops-exact"}},
		{"operational event type not asked for", bus.Meta{Type: "hookwire.delivery.exhausted", Scope: "ops/1"},
			[]string{"ops-all"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ids(ix, tt.m)
			if !slices.Equal(got, tt.want) {
				t.Fatalf("Match = %v, want %v", got, tt.want)
			}
			// The index and the plain predicate must agree.
			var brute []string
			for _, r := range ix.byID {
				if r.Status == subscription.StatusActive && Matches(r, tt.m) {
					brute = append(brute, r.ID)
				}
			}
			sort.Strings(brute)
			if !slices.Equal(got, brute) {
				t.Fatalf("index %v disagrees with Matches %v", got, brute)
			}
		})
	}
}

func TestPutReplacesAndDelete(t *testing.T) {
	ix := fixture()
	m := bus.Meta{Type: "ach.returned"}
	ix.Put(sub("ach", "", []string{"ach.settled"}, nil, subscription.StatusActive))
	if got := ids(ix, m); !slices.Equal(got, []string{"root-all"}) {
		t.Fatalf("after retype: %v", got)
	}
	ix.Put(sub("root-all", "", []string{"*"}, nil, subscription.StatusPaused))
	if got := ids(ix, m); len(got) != 0 {
		t.Fatalf("after pause: %v", got)
	}
	n := ix.Len()
	ix.Delete("root-all")
	ix.Delete("no-such")
	if ix.Len() != n-1 {
		t.Fatalf("Len = %d, want %d", ix.Len(), n-1)
	}
	if _, ok := ix.Get("root-all"); ok {
		t.Fatal("deleted subscription still there")
	}
	for k, b := range ix.buckets {
		for _, r := range b.plain {
			if r.ID == "root-all" {
				t.Fatalf("deleted subscription left in bucket %+v", k)
			}
		}
	}
}

func TestMatchStops(t *testing.T) {
	ix := fixture()
	calls := 0
	ix.Match(bus.Meta{Type: "transaction.sale.success", Scope: "acquirers/100"}, func(*subscription.Record) bool { calls++; return false })
	if calls != 1 {
		t.Fatalf("fn called %d times after returning false", calls)
	}
}

func TestConcurrentUse(t *testing.T) {
	ix := fixture()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < 2000; i++ {
			ix.Put(sub(fmt.Sprintf("s%d", i%50), "acquirers/100", []string{"transaction.*"}, nil, subscription.StatusActive))
			if i%3 == 0 {
				ix.Delete(fmt.Sprintf("s%d", i%50))
			}
		}
	}()
	for i := 0; i < 2000; i++ {
		ix.Match(bus.Meta{Type: "transaction.sale.success", Scope: "acquirers/100/merchants/1"}, func(*subscription.Record) bool { return true })
	}
	<-done
}

// TestMatchAnyIgnoresStatus: MatchAny (fan-out) also returns paused and
// suspended subscriptions, once each; Match still returns only ACTIVE ones.
func TestMatchAnyIgnoresStatus(t *testing.T) {
	ix := fixture()
	m := bus.Meta{ID: "e", Type: "transaction.sale.success", Scope: "acquirers/100/merchants/2000", Attributes: map[string]string{"payment_method": "CARD"}}
	collect := func(f func(bus.Meta, func(*subscription.Record) bool)) []string {
		var ids []string
		f(m, func(r *subscription.Record) bool { ids = append(ids, r.ID); return true })
		sort.Strings(ids)
		return ids
	}
	active, all := collect(ix.Match), collect(ix.MatchAny)
	extra := slices.DeleteFunc(slices.Clone(all), func(id string) bool { return slices.Contains(active, id) })
	if want := []string{"paused", "suspended"}; !slices.Equal(extra, want) {
		t.Fatalf("MatchAny - Match = %v, want %v (MatchAny %v)", extra, want, all)
	}
	if len(slices.Compact(slices.Clone(all))) != len(all) {
		t.Fatalf("MatchAny returned a subscription twice: %v", all)
	}
}
