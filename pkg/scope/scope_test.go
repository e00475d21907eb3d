package scope

import (
	"slices"
	"strings"
	"testing"
)

func TestValidate(t *testing.T) {
	tests := []struct {
		in string
		ok bool
	}{
		{"", true},
		{"acquirers", true},
		{"acquirers/100/merchants/2000/terminals/31", true},
		{"a-b_c.d/9", true},
		{"acquirers/v1.2", true},
		{".hidden/x", true},
		{"acquirers/100/../200", false},
		{"acquirers/100/.", false},
		{"../acquirers", false},
		{"acquirers/./100", false},
		{"acquirers/...", false},
		{".", false},
		{"..", false},
		{"acquirers\\100", false},
		{"acquirers/100%2f..", false},
		{"acquirers/\x00", false},
		{"acquirers/\u00e9", false},
		{"/acquirers", false},
		{"acquirers/", false},
		{"acquirers//100", false},
		{"acquirers/1 00", false},
		{"acquirers/*", false},
		{strings.Repeat("a/", 16) + "a", false},
		{strings.Repeat("x", 65), false},
		{strings.Repeat("abcdefgh/", 57), false},
	}
	for _, tt := range tests {
		err := Validate(tt.in)
		if (err == nil) != tt.ok {
			t.Errorf("Validate(%q) = %v, want ok=%v", tt.in, err, tt.ok)
		}
	}
}

func TestWithin(t *testing.T) {
	tests := []struct {
		s, parent string
		want      bool
	}{
		{"a/1", "", true},
		{"", "", true},
		{"a/1", "a/1", true},
		{"a/1/m/2", "a/1", true},
		{"a/10", "a/1", false},
		{"a", "a/1", false},
		{"", "a", false},
	}
	for _, tt := range tests {
		if got := Within(tt.s, tt.parent); got != tt.want {
			t.Errorf("Within(%q, %q) = %v, want %v", tt.s, tt.parent, got, tt.want)
		}
	}
}

func TestAncestors(t *testing.T) {
	var got []string
	Ancestors("a/1/m/2", func(s string) bool { got = append(got, s); return true })
	want := []string{"a/1/m/2", "a/1/m", "a/1", "a", ""}
	if !slices.Equal(got, want) {
		t.Fatalf("Ancestors = %q, want %q", got, want)
	}
	got = nil
	Ancestors("", func(s string) bool { got = append(got, s); return true })
	if !slices.Equal(got, []string{""}) {
		t.Fatalf("Ancestors(root) = %q", got)
	}
}
