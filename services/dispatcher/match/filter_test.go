package match

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/hookwire/hookwire/pkg/bus"
	"github.com/hookwire/hookwire/pkg/subscription"
)

// TestFilteredSubscriptionsFoundByValue: subscriptions with attribute
// filters (several keys, several values, duplicates, an empty allowed
// list, several patterns, every status) are found through the filter
// index exactly when Matches says so, each once, also after they are
// replaced with other filters or deleted.
func TestFilteredSubscriptionsFoundByValue(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	keys, values := []string{"merchant", "method", "region"}, []string{"1", "2", "3", "4"}
	scopes := []string{"", "acquirers/1", "acquirers/1/merchants/2", "acquirers/2"}
	patterns := []string{"*", "payment.*", "payment.captured", "payment.refunded"}
	statuses := []subscription.Status{subscription.StatusActive, subscription.StatusActive, subscription.StatusPaused, subscription.StatusSuspended}
	random := func(id string) *subscription.Record {
		filters := map[string][]string{}
		for _, k := range keys {
			if rng.IntN(2) == 0 {
				continue
			}
			var allowed []string
			for range rng.IntN(4) { // 0 to 3 values, maybe repeated; none: never matches
				allowed = append(allowed, values[rng.IntN(len(values))])
			}
			filters[k] = allowed
		}
		if len(filters) == 0 {
			filters = nil
		}
		types := []string{patterns[rng.IntN(len(patterns))]}
		if rng.IntN(3) == 0 {
			types = append(types, patterns[rng.IntN(len(patterns))])
		}
		return sub(id, scopes[rng.IntN(len(scopes))], types, filters, statuses[rng.IntN(len(statuses))])
	}
	ix := New()
	for i := range 400 {
		ix.Put(random(fmt.Sprintf("s%d", i)))
	}
	check := func(phase string) {
		t.Helper()
		for range 300 {
			attrs := map[string]string{}
			for _, k := range keys {
				if rng.IntN(4) > 0 {
					attrs[k] = values[rng.IntN(len(values))]
				}
			}
			m := bus.Meta{Type: []string{"payment.captured", "payment.refunded"}[rng.IntN(2)],
				Scope: scopes[1+rng.IntN(len(scopes)-1)] + "/terminals/9", Attributes: attrs}
			var wantAny, wantActive []string
			ix.mu.RLock()
			for _, r := range ix.byID {
				if Matches(r, m) {
					wantAny = append(wantAny, r.ID)
					if r.Status == subscription.StatusActive {
						wantActive = append(wantActive, r.ID)
					}
				}
			}
			ix.mu.RUnlock()
			for _, c := range []struct {
				name  string
				match func(bus.Meta, func(*subscription.Record) bool)
				want  []string
			}{{"Match", ix.Match, wantActive}, {"MatchAny", ix.MatchAny, wantAny}} {
				var got []string
				c.match(m, func(r *subscription.Record) bool { got = append(got, r.ID); return true })
				slices.Sort(got)
				slices.Sort(c.want)
				if !slices.Equal(got, c.want) {
					t.Fatalf("%s: %s(%+v) = %v, want %v", phase, c.name, m, got, c.want)
				}
			}
		}
	}
	check("built")
	for i := range 400 {
		switch rng.IntN(3) {
		case 0:
			ix.Put(random(fmt.Sprintf("s%d", i))) // other filters, patterns, scope
		case 1:
			ix.Delete(fmt.Sprintf("s%d", i))
		}
	}
	check("after replacing and deleting")
	for i := range 400 {
		ix.Delete(fmt.Sprintf("s%d", i))
	}
	if len(ix.buckets) != 0 {
		t.Fatalf("%d buckets left after every subscription was deleted", len(ix.buckets))
	}
}
