// Package eventtype handles event type names ("transaction.sale.success")
// and the patterns subscriptions use: an exact name, a prefix wildcard
// ("transaction.sale.*", matching every type below transaction.sale), or "*".
package eventtype

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// MaxLen bounds a type name or pattern.
const MaxLen = 255

// Wildcard matches every event type.
const Wildcard = "*"

var (
	// ErrInvalid is wrapped by every validation failure.
	ErrInvalid = errors.New("invalid event type")
	nameRE     = regexp.MustCompile(`^[a-z0-9_]+(\.[a-z0-9_]+)*$`)
)

// ValidateName checks a concrete event type name.
func ValidateName(name string) error {
	if len(name) > MaxLen {
		return fmt.Errorf("%w: longer than %d characters", ErrInvalid, MaxLen)
	}
	if !nameRE.MatchString(name) {
		return fmt.Errorf("%w: %q must be dot-separated lowercase words of [a-z0-9_]", ErrInvalid, name)
	}
	return nil
}

// ValidatePattern checks a subscription pattern: a name, a name followed by
// ".*", or "*".
func ValidatePattern(p string) error {
	if p == Wildcard {
		return nil
	}
	if prefix, ok := strings.CutSuffix(p, ".*"); ok {
		if err := ValidateName(prefix); err != nil {
			return fmt.Errorf("%w: wildcard %q needs a valid prefix before .*", ErrInvalid, p)
		}
		return nil
	}
	return ValidateName(p)
}

// IsWildcard reports whether p is "*" or ends in ".*".
func IsWildcard(p string) bool {
	return p == Wildcard || strings.HasSuffix(p, ".*")
}

// Match reports whether event type name matches pattern p.
// "a.b.*" matches "a.b.c" and "a.b.c.d" but not "a.b" itself.
func Match(p, name string) bool {
	if p == Wildcard {
		return true
	}
	if prefix, ok := strings.CutSuffix(p, "*"); ok {
		return len(name) > len(prefix) && strings.HasPrefix(name, prefix)
	}
	return p == name
}

// Prefixes calls fn with the wildcard pattern of each proper prefix of name,
// longest first: "a.b.c" gives "a.b.*" then "a.*". Used by indexes that store
// wildcard patterns in a map.
func Prefixes(name string, fn func(pattern string) bool) {
	for i := len(name) - 1; i > 0; i-- {
		if name[i] == '.' {
			if !fn(name[:i+1] + "*") {
				return
			}
		}
	}
}
