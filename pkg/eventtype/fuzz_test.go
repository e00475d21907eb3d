package eventtype

import "testing"

// FuzzMatch: for a valid pattern and name, Match is exactly "the pattern
// is *, the name itself, or one of the name's Prefixes" (the lookups the
// dispatcher's index makes), and every prefix pattern is a valid wildcard
// matching the name.
func FuzzMatch(f *testing.F) {
	for _, s := range [][2]string{
		{"*", "transaction.sale.success"}, {"transaction.*", "transaction.sale.success"},
		{"transaction.sale.*", "transaction.sale"}, {"transaction.sale", "transaction.sale"},
		{"transaction.*", "transactions.sale"}, {"hookwire.*", "hookwire.subscription.suspended"},
		{"a*", "ab"}, {"a.*.*", "a.b.c"}, {".*", "a"}, {"a.", "a."}, {"A.b", "A.b"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, p, name string) {
		got := Match(p, name) // must not panic on any input
		if ValidatePattern(p) != nil || ValidateName(name) != nil {
			return
		}
		want := p == Wildcard || p == name
		Prefixes(name, func(q string) bool {
			if ValidatePattern(q) != nil || !IsWildcard(q) || !Match(q, name) {
				t.Fatalf("prefix %q of %q is not a valid wildcard matching it", q, name)
			}
			if q == p {
				want = true
			}
			return true
		})
		if got != want {
			t.Fatalf("Match(%q, %q) = %v, want %v", p, name, got, want)
		}
	})
}
