package registry

import (
	"fmt"
	"math"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/hookwire/hookwire/pkg/badrequest"
	hookwirev1 "github.com/hookwire/hookwire/pkg/gen/hookwire/v1"
)

// Limits of a subscription's fields.
const (
	MaxURLLen         = 2048
	MaxLabelLen       = 255
	MaxEventTypes     = 100
	MaxRetryDelays    = 20
	MaxRetryDelay     = 7 * 24 * time.Hour
	MaxEmails         = 20
	MaxMetadata       = 32
	MaxMetadataKey    = 64
	MaxMetadataValue  = 512
	MaxFilterKeys     = 16
	MaxFilterValues   = 64
	MaxFilterValueLen = 256
	MaxInFlight       = 1000
	MinTimeout        = time.Second
	MaxTimeout        = 60 * time.Second
	MaxUsernameLen    = 255
	MaxPasswordLen    = 1024
	MaxReasonLen      = 255
	EncryptionKeyLen  = 32
)

var filterKeyRE = regexp.MustCompile(`^[a-z0-9_]{1,64}$`)

// validateFields checks the fields of sub named by paths; field names in
// violations are prefixed with "subscription.".
func (s *Service) validateFields(v *badrequest.Violations, sub *hookwirev1.Subscription, paths []string) {
	const p = "subscription."
	for _, path := range paths {
		switch path {
		case "label":
			if utf8.RuneCountInString(sub.GetLabel()) > MaxLabelLen {
				v.Add(p+"label", "at most %d characters", MaxLabelLen)
			}
		case "url":
			v.Check(p+"url", s.checkURL(sub.GetUrl()))
		case "event_types":
			if len(sub.GetEventTypes()) == 0 {
				v.Add(p+"event_types", "at least one event type or pattern is required")
			}
			checkPatterns(v, p+"event_types", sub.GetEventTypes())
		case "attribute_filters":
			checkFilters(v, p+"attribute_filters", sub.GetAttributeFilters())
		case "auth":
			if b := sub.GetAuth().GetBasic(); b != nil {
				switch u := b.GetUsername(); {
				case u == "":
					v.Add(p+"auth.basic.username", "required with basic auth")
				case len(u) > MaxUsernameLen || strings.ContainsRune(u, ':') || strings.ContainsFunc(u, unicode.IsControl):
					v.Add(p+"auth.basic.username", "at most %d characters, without ':' or control characters (RFC 7617)", MaxUsernameLen)
				}
				if len(b.GetPassword()) > MaxPasswordLen || strings.ContainsFunc(b.GetPassword(), unicode.IsControl) {
					v.Add(p+"auth.basic.password", "at most %d characters, without control characters (RFC 7617)", MaxPasswordLen)
				}
			}
		case "retry_policy":
			checkRetry(v, p+"retry_policy.delays", sub.GetRetryPolicy())
		case "rate_limit":
			if rl := sub.GetRateLimit(); rl != nil {
				if ps := rl.GetPerSecond(); !(ps > 0) || math.IsInf(ps, 0) {
					v.Add(p+"rate_limit.per_second", "must be a number greater than 0")
				}
				if rl.GetBurst() < 0 {
					v.Add(p+"rate_limit.burst", "must not be negative")
				}
			}
		case "notification_emails":
			if len(sub.GetNotificationEmails()) > MaxEmails {
				v.Add(p+"notification_emails", "at most %d addresses", MaxEmails)
			}
			for i, e := range sub.GetNotificationEmails() {
				v.Check(fmt.Sprintf("%snotification_emails[%d]", p, i), checkEmail(e))
			}
		case "support_email":
			if e := sub.GetSupportEmail(); e != "" {
				v.Check(p+"support_email", checkEmail(e))
			}
		case "metadata":
			checkMetadata(v, p+"metadata", sub.GetMetadata())
		case "encryption":
			enc := sub.GetEncryption()
			if k := enc.GetKey(); len(k) > 0 && !enc.GetEnabled() {
				v.Add(p+"encryption.key", "given without enabled: set enabled to true")
			} else if len(k) > 0 && len(k) != EncryptionKeyLen {
				v.Add(p+"encryption.key", "must be %d bytes (AES-256), got %d", EncryptionKeyLen, len(k))
			}
			// Output only, but a value other than the one we use must not
			// be stored silently as if it had been honoured.
			if a := enc.GetAlgorithm(); a != "" && a != Algorithm {
				v.Add(p+"encryption.algorithm", "output only: the one algorithm is %q; leave it empty (got %q)", Algorithm, a)
			}
		case "max_in_flight":
			if n := sub.GetMaxInFlight(); n < 0 || n > MaxInFlight {
				v.Add(p+"max_in_flight", "must be 0 (default) to %d", MaxInFlight)
			}
		case "timeout":
			if t := sub.GetTimeout(); t != nil {
				if err := t.CheckValid(); err != nil || t.AsDuration() < MinTimeout || t.AsDuration() > MaxTimeout {
					v.Add(p+"timeout", "must be between %s and %s", MinTimeout, MaxTimeout)
				}
			}
		}
	}
}

// checkURL: absolute http(s) with a host, https unless http is allowed.
func (s *Service) checkURL(raw string) error {
	if raw == "" {
		return fmt.Errorf("required")
	}
	if len(raw) > MaxURLLen {
		return fmt.Errorf("at most %d characters", MaxURLLen)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("not a URL: %v", err)
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && (s.cfg.AllowHTTP || s.cfg.Dev):
	case u.Scheme == "http":
		return fmt.Errorf("must use https (http needs HOOKWIRE_ALLOW_HTTP=true)")
	default:
		return fmt.Errorf("must be an absolute http(s) URL")
	}
	if u.Hostname() == "" {
		return fmt.Errorf("must have a host")
	}
	if u.User != nil {
		return fmt.Errorf("must not carry credentials; use auth.basic")
	}
	return nil
}
