package eventtype

import (
	"slices"
	"strings"
	"testing"
)

func TestValidatePattern(t *testing.T) {
	tests := []struct {
		in string
		ok bool
	}{
		{"transaction.sale.success", true},
		{"ach", true},
		{"cau.updated_card", true},
		{"transaction.sale.*", true},
		{"*", true},
		{"Transaction.sale", false},
		{"transaction..sale", false},
		{".sale", false},
		{"sale.", false},
		{"transaction.*.success", false},
		{"transaction*", false},
		{".*", false},
		{"a-b", false},
		{"", false},
		{strings.Repeat("a", 256), false},
	}
	for _, tt := range tests {
		if err := ValidatePattern(tt.in); (err == nil) != tt.ok {
			t.Errorf("ValidatePattern(%q) = %v, want ok=%v", tt.in, err, tt.ok)
		}
	}
	if ValidateName("a.*") == nil || ValidateName("*") == nil {
		t.Error("ValidateName accepted a wildcard")
	}
}

func TestMatch(t *testing.T) {
	tests := []struct {
		p, name string
		want    bool
	}{
		{"*", "ach.returned", true},
		{"ach.returned", "ach.returned", true},
		{"ach.returned", "ach.returned2", false},
		{"transaction.sale.*", "transaction.sale.success", true},
		{"transaction.sale.*", "transaction.sale.x.y", true},
		{"transaction.sale.*", "transaction.sale", false},
		{"transaction.sale.*", "transaction.salesman.x", false},
		{"transaction.*", "transaction.refund.voided", true},
	}
	for _, tt := range tests {
		if got := Match(tt.p, tt.name); got != tt.want {
			t.Errorf("Match(%q, %q) = %v, want %v", tt.p, tt.name, got, tt.want)
		}
	}
}

func TestPrefixes(t *testing.T) {
	var got []string
	Prefixes("a.b.c", func(p string) bool { got = append(got, p); return true })
	if want := []string{"a.b.*", "a.*"}; !slices.Equal(got, want) {
		t.Fatalf("Prefixes = %q, want %q", got, want)
	}
	for _, p := range got {
		if !Match(p, "a.b.c") {
			t.Errorf("prefix %q does not Match its name", p)
		}
	}
}
