// Package envconf reads a service's typed settings from environment
// variables over defaults the caller has filled in, and remembers which
// variables it was asked for, so a service lists what it reads by running
// its loader rather than by keeping a list beside it.
//
//	c := DefaultConfig()
//	r := envconf.New(os.LookupEnv)
//	r.Duration("HOOKWIRE_ACK_WAIT", &c.AckWait)
//	r.Int("HOOKWIRE_DELIVERY_WORKERS", &c.DeliveryWorkers)
//	if err := r.Err(); err != nil { ... }
//
// An unset or empty variable leaves the default. A value that does not
// parse leaves the default too, and adds an error naming the variable and
// the value. String values are never parsed, so a secret read with String
// (a master key, a password) never appears in an error from here.
package envconf

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Reader reads variables through a lookup function. Not safe for
// concurrent use; a loader makes one, reads everything, then asks Err.
type Reader struct {
	lookup func(key string) (string, bool)
	keys   []string
	errs   []error
}

// New returns a Reader over lookup; nil means os.LookupEnv.
func New(lookup func(key string) (string, bool)) *Reader {
	if lookup == nil {
		lookup = os.LookupEnv
	}
	return &Reader{lookup: lookup}
}

// Map is a lookup over m (nil: an empty environment), for tests and Keys.
func Map(m map[string]string) func(key string) (string, bool) {
	return func(key string) (string, bool) { v, ok := m[key]; return v, ok }
}

// Keys returns, in the order first asked, the variables load reads when
// the environment is empty; load's result and error are ignored. A service's
// EnvVars is Keys(its loader), so the list cannot drift from the code.
func Keys[T any](load func(*Reader) (T, error)) []string {
	r := New(Map(nil))
	_, _ = load(r)
	return r.Keys()
}

// Keys returns every variable r was asked for, set or not, in the order
// first asked.
func (r *Reader) Keys() []string { return slices.Clone(r.keys) }

// Err joins the errors of every value that did not parse (nil if none).
func (r *Reader) Err() error { return errors.Join(r.errs...) }

// Getenv returns key's value ("" if unset), recorded like every other read;
// it serves packages that read their own variables through a getenv func.
func (r *Reader) Getenv(key string) string {
	v, _ := r.value(key)
	return v
}

// String sets *dst to key's value when it is set and not empty.
func (r *Reader) String(key string, dst *string) {
	if v, ok := r.value(key); ok {
		*dst = v
	}
}

// Secret sets *dst to key's value, or to the content of the file that
// key_FILE names (trailing spaces and line ends removed), as compose and
// Kubernetes secrets are mounted: a secret then never sits in a process
// environment or a shell. Setting both is an error; so is a file that
// cannot be read or is empty. Errors name the variables and the path,
// never the value.
func (r *Reader) Secret(key string, dst *string) {
	v, set := r.value(key)
	path, fromFile := r.value(key + "_FILE")
	switch {
	case set && fromFile:
		r.errs = append(r.errs, fmt.Errorf("%s and %s_FILE are both set: set one", key, key))
	case set:
		*dst = v
	case fromFile:
		b, err := os.ReadFile(path)
		if err != nil {
			r.errs = append(r.errs, fmt.Errorf("%s_FILE: %w", key, err))
			return
		}
		if v := strings.TrimRight(string(b), " \t\r\n"); v != "" {
			*dst = v
		} else {
			r.errs = append(r.errs, fmt.Errorf("%s_FILE: %s is empty", key, path))
		}
	}
}

// Bool sets *dst to key's value parsed by strconv.ParseBool (true, false,
// 1, 0, t, f in any case).
func (r *Reader) Bool(key string, dst *bool) {
	parse(r, key, dst, "must be true or false", strconv.ParseBool)
}

// Int sets *dst to key's value as a decimal integer.
func (r *Reader) Int(key string, dst *int) {
	parse(r, key, dst, "must be a whole number", strconv.Atoi)
}

// Float sets *dst to key's value as a decimal number.
func (r *Reader) Float(key string, dst *float64) {
	parse(r, key, dst, "must be a number", func(v string) (float64, error) { return strconv.ParseFloat(v, 64) })
}

// Duration sets *dst to key's value parsed by time.ParseDuration.
func (r *Reader) Duration(key string, dst *time.Duration) {
	parse(r, key, dst, "must be a duration such as 90s, 5m or 72h", time.ParseDuration)
}

// Prefixes sets *dst to key's value as comma-separated CIDR prefixes
// ("10.1.0.0/16, fd00::/8"); spaces around each are ignored.
func (r *Reader) Prefixes(key string, dst *[]netip.Prefix) {
	parse(r, key, dst, "must be comma-separated prefixes such as 10.1.0.0/16", func(v string) ([]netip.Prefix, error) {
		var ps []netip.Prefix
		for s := range strings.SplitSeq(v, ",") {
			p, err := netip.ParsePrefix(strings.TrimSpace(s))
			if err != nil {
				return nil, err
			}
			ps = append(ps, p)
		}
		return ps, nil
	})
}

// parse sets *dst to key's value read by from, or records that the value
// must be as want says. The parser's own error is dropped: it would quote
// the value a second time, and want says better what is expected.
func parse[T any](r *Reader, key string, dst *T, want string, from func(string) (T, error)) {
	v, ok := r.value(key)
	if !ok {
		return
	}
	x, err := from(v)
	if errors.Is(err, strconv.ErrRange) {
		want = "out of range"
	}
	if err != nil {
		r.errs = append(r.errs, fmt.Errorf("%s %q: %s", key, v, want))
		return
	}
	*dst = x
}

// value records key and returns its value; ok is false when it is unset or
// empty.
func (r *Reader) value(key string) (v string, ok bool) {
	if !slices.Contains(r.keys, key) {
		r.keys = append(r.keys, key)
	}
	v, _ = r.lookup(key)
	return v, v != ""
}
