package scope

import (
	"strings"
	"testing"
)

// FuzzScope: a scope Validate accepts has no empty, dot-only or overlong
// segment, and every ancestor of it is valid and covers it; for two valid
// scopes, Within(s, parent) holds exactly when parent is one of s's
// Ancestors (so "acquirers/10" never covers "acquirers/100").
func FuzzScope(f *testing.F) {
	for _, s := range [][2]string{
		{"", ""}, {"acquirers/100", "acquirers/10"}, {"acquirers/100/merchants/2", "acquirers/100"},
		{"acquirers/100/../200", "acquirers/100"}, {"a/./b", "a"}, {"a//b", "a"}, {"/a", ""}, {"a/", "a"},
		{"a/.../b", "a"}, {"a/.b/c", "a/.b"}, {"a/b", "a/b/"}, {"a\\b", "a"}, {"a/b\x00", "a"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, s, parent string) {
		if !Within(s, s) || !Within(s, "") {
			t.Fatalf("Within(%q, itself or root) is false", s)
		}
		if Validate(s) != nil {
			return
		}
		if len(s) > MaxLen {
			t.Fatalf("Validate accepted %d characters", len(s))
		}
		if s != "" {
			segs := strings.Split(s, "/")
			if len(segs) > MaxSegments {
				t.Fatalf("Validate accepted %d segments", len(segs))
			}
			for _, seg := range segs {
				if seg == "" || strings.Trim(seg, ".") == "" || len(seg) > maxSegment {
					t.Fatalf("Validate(%q) accepted segment %q", s, seg)
				}
			}
		}
		isAncestor := false
		Ancestors(s, func(a string) bool {
			if err := Validate(a); err != nil {
				t.Fatalf("ancestor %q of %q: %v", a, s, err)
			}
			if !Within(s, a) {
				t.Fatalf("Within(%q, ancestor %q) is false", s, a)
			}
			if a == parent {
				isAncestor = true
			}
			return true
		})
		if Validate(parent) == nil && Within(s, parent) != isAncestor {
			t.Fatalf("Within(%q, %q) = %v, but ancestor = %v", s, parent, Within(s, parent), isAncestor)
		}
	})
}
