package match

import (
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/hookwire/hookwire/pkg/bus"
	"github.com/hookwire/hookwire/pkg/catalog"
	"github.com/hookwire/hookwire/pkg/eventtype"
	"github.com/hookwire/hookwire/pkg/scope"
	"github.com/hookwire/hookwire/pkg/subscription"
)

// FuzzIndex: the index (fan-out) and Matches (Replay) give the same
// answer for every event: the same subscriptions, each once, Match only
// the ACTIVE ones; and no operational event reaches a subscription whose
// only matching pattern is a bare "*".
func FuzzIndex(f *testing.F) {
	f.Add("transaction.sale.*", "*", "acquirers/100", "transaction.sale.success", "acquirers/100/merchants/2", "CARD", "CARD")
	f.Add("hookwire.*", "*", "", "hookwire.subscription.suspended", "acquirers/1", "", "x")
	f.Add("*", "a.b", "acquirers/10", "a.b", "acquirers/100", "v", "w")
	f.Add("a.*", "a.b.*", "a", "a.b.c", "a/b", "", "")
	f.Fuzz(func(t *testing.T, p1, p2, subScope, typ, evScope, allowed, attr string) {
		if eventtype.ValidatePattern(p1) != nil || eventtype.ValidatePattern(p2) != nil || eventtype.ValidateName(typ) != nil ||
			scope.Validate(subScope) != nil || scope.Validate(evScope) != nil {
			return
		}
		recs := []*subscription.Record{
			sub("two", subScope, []string{p1, p2}, nil, subscription.StatusActive),
			sub("dup", subScope, []string{p1, p1}, nil, subscription.StatusActive),
			sub("one", subScope, []string{p2}, nil, subscription.StatusPaused),
			sub("star", "", []string{eventtype.Wildcard}, nil, subscription.StatusActive),
			sub("filtered", subScope, []string{p1}, map[string][]string{"k": {allowed}}, subscription.StatusSuspended),
			sub("below", evScope+"/x", []string{p1, p2}, nil, subscription.StatusActive),
		}
		if evScope == "" {
			recs[5].Scope = "x"
		}
		ix := New()
		for _, r := range recs {
			ix.Put(r)
		}
		m := bus.Meta{Type: typ, Scope: evScope, Attributes: map[string]string{"k": attr}}
		collect := func(match func(bus.Meta, func(*subscription.Record) bool)) []string {
			var ids []string
			match(m, func(r *subscription.Record) bool { ids = append(ids, r.ID); return true })
			sort.Strings(ids)
			return ids
		}
		var wantAny, wantActive []string
		for _, r := range recs {
			if Matches(r, m) {
				wantAny = append(wantAny, r.ID)
				if r.Status == subscription.StatusActive {
					wantActive = append(wantActive, r.ID)
				}
			}
		}
		sort.Strings(wantAny)
		sort.Strings(wantActive)
		if got := collect(ix.MatchAny); !slices.Equal(got, wantAny) {
			t.Fatalf("MatchAny %v, Matches %v", got, wantAny)
		}
		if got := collect(ix.Match); !slices.Equal(got, wantActive) {
			t.Fatalf("Match %v, Matches (active) %v", got, wantActive)
		}
		if strings.HasPrefix(typ, catalog.OperationalPrefix) && slices.Contains(wantAny, "star") {
			t.Fatalf("operational event %q reached a bare * subscription", typ)
		}
	})
}
