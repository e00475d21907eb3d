package registry

import (
	"fmt"
	"net/mail"

	"github.com/hookwire/hookwire/pkg/badrequest"
	"github.com/hookwire/hookwire/pkg/eventtype"
	hookwirev1 "github.com/hookwire/hookwire/pkg/gen/hookwire/v1"
	"github.com/hookwire/hookwire/pkg/scope"
)

func checkPatterns(v *badrequest.Violations, field string, patterns []string) {
	if len(patterns) > MaxEventTypes {
		v.Add(field, "at most %d event types", MaxEventTypes)
	}
	for i, pat := range patterns {
		v.Check(fmt.Sprintf("%s[%d]", field, i), eventtype.ValidatePattern(pat))
	}
}

func checkFilters(v *badrequest.Violations, field string, filters map[string]*hookwirev1.AttributeValues) {
	if len(filters) > MaxFilterKeys {
		v.Add(field, "at most %d keys", MaxFilterKeys)
	}
	for k, vals := range filters {
		f := field + "[" + k + "]"
		if !filterKeyRE.MatchString(k) {
			v.Add(f, "key must be 1-64 characters of [a-z0-9_]")
		}
		switch n := len(vals.GetValues()); {
		case n == 0:
			v.Add(f, "needs at least one allowed value")
		case n > MaxFilterValues:
			v.Add(f, "at most %d values", MaxFilterValues)
		}
		for _, val := range vals.GetValues() {
			if val == "" || len(val) > MaxFilterValueLen {
				v.Add(f, "values must be 1-%d characters", MaxFilterValueLen)
				break
			}
		}
	}
}

func checkRetry(v *badrequest.Violations, field string, rp *hookwirev1.RetryPolicy) {
	if rp == nil {
		return
	}
	if len(rp.GetDelays()) > MaxRetryDelays {
		v.Add(field, "at most %d delays", MaxRetryDelays)
	}
	for i, d := range rp.GetDelays() {
		if err := d.CheckValid(); err != nil || d.AsDuration() <= 0 || d.AsDuration() > MaxRetryDelay {
			v.Add(fmt.Sprintf("%s[%d]", field, i), "must be greater than 0 and at most %s", MaxRetryDelay)
		}
	}
}

// checkEmail accepts a bare address ("a@example.com"), not "Name <a@…>".
func checkEmail(e string) error {
	a, err := mail.ParseAddress(e)
	if err != nil || a.Address != e || a.Name != "" {
		return fmt.Errorf("must be a bare email address like ops@example.com")
	}
	return nil
}

func checkMetadata(v *badrequest.Violations, field string, md map[string]string) {
	if len(md) > MaxMetadata {
		v.Add(field, "at most %d entries", MaxMetadata)
	}
	for k, val := range md {
		if k == "" || len(k) > MaxMetadataKey {
			v.Add(field+"["+k+"]", "keys must be 1-%d characters", MaxMetadataKey)
		}
		if len(val) > MaxMetadataValue {
			v.Add(field+"["+k+"]", "values must be at most %d characters", MaxMetadataValue)
		}
	}
}

// checkScope validates a scope path under field.
func checkScope(v *badrequest.Violations, field, s string) {
	v.Check(field, scope.Validate(s))
}
