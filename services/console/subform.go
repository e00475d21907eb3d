package console

import (
	"encoding/base64"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"

	hookwirev1 "github.com/hookwire/hookwire/pkg/gen/hookwire/v1"
)

// subForm is the add / edit webhook form as text, the way the inputs hold
// it. The basic-auth password and the encryption key are read from the
// request but never put back into a page.
type subForm struct {
	ID, Revision, RequestID          string
	Label, URL, Scope                string
	EventTypes                       []string
	ExtraTypes                       string // types and patterns not offered as checkboxes
	NotificationEmails, SupportEmail string
	AuthUsername                     string
	HasPassword                      bool
	RetryDelays                      string
	RatePerSecond, RateBurst         string
	MaxInFlight, Timeout             string
	AttributeFilters, Metadata       string
	Encryption, EncryptionWas        bool
	password                         string
	encryptionKey                    []byte
}

// formFromSubscription fills the form with a stored subscription.
func formFromSubscription(sub *hookwirev1.Subscription) subForm {
	f := subForm{
		ID: sub.GetId(), Revision: strconv.FormatUint(sub.GetRevision(), 10),
		Label: sub.GetLabel(), URL: sub.GetUrl(), Scope: sub.GetScope(), EventTypes: sub.GetEventTypes(),
		NotificationEmails: strings.Join(sub.GetNotificationEmails(), ", "), SupportEmail: sub.GetSupportEmail(),
		AuthUsername: sub.GetAuth().GetBasic().GetUsername(), HasPassword: sub.GetAuth().GetBasic().GetHasPassword(),
		Encryption: sub.GetEncryption().GetEnabled(), EncryptionWas: sub.GetEncryption().GetEnabled(),
	}
	var delays []string
	for _, d := range sub.GetRetryPolicy().GetDelays() {
		delays = append(delays, shortDuration(d.AsDuration()))
	}
	f.RetryDelays = strings.Join(delays, ", ")
	if sub.GetRetryPolicy() != nil && len(delays) == 0 {
		f.RetryDelays = "none"
	}
	if rl := sub.GetRateLimit(); rl != nil {
		f.RatePerSecond = strconv.FormatFloat(rl.GetPerSecond(), 'f', -1, 64)
		f.RateBurst = strconv.Itoa(int(rl.GetBurst()))
	}
	if n := sub.GetMaxInFlight(); n != 0 {
		f.MaxInFlight = strconv.Itoa(int(n))
	}
	if t := sub.GetTimeout(); t != nil {
		f.Timeout = shortDuration(t.AsDuration())
	}
	var lines []string
	for _, k := range slices.Sorted(maps.Keys(sub.GetAttributeFilters())) {
		lines = append(lines, k+"="+strings.Join(sub.GetAttributeFilters()[k].GetValues(), ","))
	}
	f.AttributeFilters = strings.Join(lines, "\n")
	lines = nil
	for _, k := range slices.Sorted(maps.Keys(sub.GetMetadata())) {
		lines = append(lines, k+"="+sub.GetMetadata()[k])
	}
	f.Metadata = strings.Join(lines, "\n")
	return f
}

// readForm takes the form's inputs from r.
func readForm(r *http.Request) subForm {
	v := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	f := subForm{
		ID: v("id"), Revision: v("revision"), RequestID: v("request_id"),
		Label: v("label"), URL: v("url"), Scope: v("scope"),
		NotificationEmails: v("notification_emails"), SupportEmail: v("support_email"),
		AuthUsername: v("auth_username"), HasPassword: v("has_password") == "true",
		RetryDelays: v("retry_delays"), RatePerSecond: v("rate_per_second"), RateBurst: v("rate_burst"),
		MaxInFlight: v("max_in_flight"), Timeout: v("timeout"),
		AttributeFilters: v("attribute_filters"), Metadata: v("metadata"), ExtraTypes: v("extra_types"),
		Encryption: r.PostFormValue("encryption") == "on", EncryptionWas: v("encryption_was") == "true",
		password: r.PostFormValue("auth_password"),
	}
	f.EventTypes = append(f.EventTypes, r.PostForm["event_type"]...)
	if k := v("encryption_key"); k != "" {
		f.encryptionKey, _ = base64.StdEncoding.DecodeString(k)
		if f.encryptionKey == nil {
			f.encryptionKey = []byte(k) // the API names the wrong length
		}
	}
	return f
}

// allEventTypes is the checked types and the free-text ones.
func (f subForm) allEventTypes() []string {
	out := slices.Clone(f.EventTypes)
	for _, t := range splitList(f.ExtraTypes) {
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out
}

// subscription turns the form into the API's message; errs names the
// inputs that are not even well-formed (the API checks the rest).
func (f subForm) subscription() (*hookwirev1.Subscription, map[string]string) {
	errs := map[string]string{}
	sub := &hookwirev1.Subscription{
		Id: f.ID, Label: f.Label, Url: f.URL, Scope: f.Scope, EventTypes: f.allEventTypes(),
		NotificationEmails: splitList(f.NotificationEmails), SupportEmail: f.SupportEmail,
	}
	if f.Revision != "" {
		rev, err := strconv.ParseUint(f.Revision, 10, 64)
		if err != nil {
			errs["revision"] = "not a revision number"
		}
		sub.Revision = rev
	}
	if f.AuthUsername != "" || f.password != "" {
		sub.Auth = &hookwirev1.EndpointAuth{Method: &hookwirev1.EndpointAuth_Basic{
			Basic: &hookwirev1.BasicAuth{Username: f.AuthUsername, Password: f.password}}}
	}
	if f.RetryDelays != "" {
		sub.RetryPolicy = &hookwirev1.RetryPolicy{} // "none": one attempt, no retry
		for _, s := range splitList(f.RetryDelays) {
			if s == "none" {
				continue
			}
			d, err := time.ParseDuration(s)
			if err != nil {
				errs["retry_delays"] = fmt.Sprintf("%q is not a duration (e.g. 5m, 1h30m)", s)
				continue
			}
			sub.RetryPolicy.Delays = append(sub.RetryPolicy.Delays, durationpb.New(d))
		}
	}
	if f.RatePerSecond != "" || f.RateBurst != "" {
		sub.RateLimit = &hookwirev1.RateLimit{}
		if n, err := strconv.ParseFloat(f.RatePerSecond, 64); err == nil {
			sub.RateLimit.PerSecond = n
		} else {
			errs["rate_per_second"] = "must be a number of deliveries per second"
		}
		if f.RateBurst != "" {
			n, err := strconv.Atoi(f.RateBurst)
			if err != nil {
				errs["rate_burst"] = "must be a whole number"
			}
			sub.RateLimit.Burst = int32(n)
		}
	}
	if f.MaxInFlight != "" {
		n, err := strconv.Atoi(f.MaxInFlight)
		if err != nil {
			errs["max_in_flight"] = "must be a whole number"
		}
		sub.MaxInFlight = int32(n)
	}
	if f.Timeout != "" {
		d, err := time.ParseDuration(f.Timeout)
		if err != nil {
			errs["timeout"] = "not a duration (e.g. 10s)"
		}
		sub.Timeout = durationpb.New(d)
	}
	if f.AttributeFilters != "" {
		sub.AttributeFilters = map[string]*hookwirev1.AttributeValues{}
		for _, line := range lines(f.AttributeFilters) {
			k, vals, ok := strings.Cut(line, "=")
			if !ok {
				errs["attribute_filters"] = fmt.Sprintf("%q: write key=value1,value2", line)
				continue
			}
			sub.AttributeFilters[strings.TrimSpace(k)] = &hookwirev1.AttributeValues{Values: splitList(vals)}
		}
	}
	if f.Metadata != "" {
		sub.Metadata = map[string]string{}
		for _, line := range lines(f.Metadata) {
			k, val, ok := strings.Cut(line, "=")
			if !ok {
				errs["metadata"] = fmt.Sprintf("%q: write key=value", line)
				continue
			}
			sub.Metadata[strings.TrimSpace(k)] = strings.TrimSpace(val)
		}
	}
	if f.Encryption || len(f.encryptionKey) > 0 {
		sub.Encryption = &hookwirev1.Encryption{Enabled: f.Encryption, Key: f.encryptionKey}
	}
	return sub, errs
}

// updateMask names every editable field, encryption only when it changes
// (an enabled encryption without a key would generate a new key).
func (f subForm) updateMask() []string {
	paths := []string{"label", "url", "event_types", "attribute_filters", "auth", "retry_policy", "rate_limit",
		"notification_emails", "support_email", "metadata", "max_in_flight", "timeout"}
	if f.Encryption != f.EncryptionWas || len(f.encryptionKey) > 0 {
		paths = append(paths, "encryption")
	}
	return paths
}

// testTarget is the unsaved endpoint of the form, for TestEndpoint.
func (f subForm) testTarget() (*hookwirev1.TestTarget, map[string]string) {
	sub, errs := f.subscription()
	return &hookwirev1.TestTarget{Url: sub.GetUrl(), Auth: sub.GetAuth(), Timeout: sub.GetTimeout()}, errs
}

// splitList splits on commas, spaces and line breaks.
func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\r' || r == '\t' })
}

// lines are the non-blank lines of s, trimmed.
func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}
