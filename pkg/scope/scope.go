// Package scope handles the node paths of the merchant hierarchy, such as
// "acquirers/100/merchants/2000/terminals/31". The empty path is the root.
// A subscription at scope S receives events at S or below; a credential bound
// to S acts only at or below S.
package scope

import (
	"errors"
	"fmt"
	"strings"
)

// Limits of a scope path.
const (
	MaxLen      = 512
	MaxSegments = 16
	maxSegment  = 64
)

// ErrInvalid is wrapped by every Validate failure.
var ErrInvalid = errors.New("invalid scope")

// Validate reports whether s is "" or segments of [A-Za-z0-9_.-] joined by
// single slashes, with no leading or trailing slash. A segment made of dots
// only ("." , "..", "...") is refused: scopes are compared as strings, and a
// path that a file system, URL resolver or log reader would normalise to
// another scope ("acquirers/100/../200") must not exist.
func Validate(s string) error {
	if s == "" {
		return nil
	}
	if len(s) > MaxLen {
		return fmt.Errorf("%w: longer than %d characters", ErrInvalid, MaxLen)
	}
	segs := strings.Split(s, "/")
	if len(segs) > MaxSegments {
		return fmt.Errorf("%w: more than %d segments", ErrInvalid, MaxSegments)
	}
	for _, seg := range segs {
		if seg == "" {
			return fmt.Errorf("%w: empty segment (leading, trailing or double slash)", ErrInvalid)
		}
		if strings.Trim(seg, ".") == "" {
			return fmt.Errorf("%w: segment %q is made of dots only (no . or .. path segments)", ErrInvalid, seg)
		}
		if len(seg) > maxSegment {
			return fmt.Errorf("%w: segment longer than %d characters", ErrInvalid, maxSegment)
		}
		for _, r := range seg {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-' || r == '.') {
				return fmt.Errorf("%w: character %q not allowed (use letters, digits, _ . -)", ErrInvalid, r)
			}
		}
	}
	return nil
}

// Within reports whether s is parent itself or below it. Every scope is
// within the root "".
func Within(s, parent string) bool {
	if parent == "" || s == parent {
		return true
	}
	return len(s) > len(parent) && strings.HasPrefix(s, parent) && s[len(parent)] == '/'
}

// Ancestors calls fn with s and then each of its ancestors up to and
// including the root "", stopping early when fn returns false. It does not
// allocate: each value is a prefix of s.
func Ancestors(s string, fn func(string) bool) {
	for {
		if !fn(s) {
			return
		}
		if s == "" {
			return
		}
		i := strings.LastIndexByte(s, '/')
		if i < 0 {
			s = ""
		} else {
			s = s[:i]
		}
	}
}
