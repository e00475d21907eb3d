package cli

import (
	"encoding/hex"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"

	hookwirev1 "github.com/hookwire/hookwire/pkg/gen/hookwire/v1"
)

// subscriptionTable prints one line per subscription.
func subscriptionTable(w io.Writer, subs []*hookwirev1.Subscription) {
	row(w, "ID", "STATUS", "URL", "EVENT TYPES", "SCOPE", "LABEL")
	for _, s := range subs {
		row(w, s.GetId(), subStatus(s.GetStatus()), s.GetUrl(), strings.Join(s.GetEventTypes(), ","),
			orDash(s.GetScope()), orDash(s.GetLabel()))
	}
}

// subscriptionDetail prints every field of one subscription, one per line.
func subscriptionDetail(w io.Writer, s *hookwirev1.Subscription) {
	row(w, "ID", s.GetId())
	row(w, "LABEL", orDash(s.GetLabel()))
	row(w, "URL", s.GetUrl())
	row(w, "EVENT TYPES", strings.Join(s.GetEventTypes(), ", "))
	row(w, "SCOPE", orDash(s.GetScope()))
	status := subStatus(s.GetStatus())
	if s.GetStatusReason() != "" {
		status += " (" + s.GetStatusReason() + ")"
	}
	row(w, "STATUS", status)
	row(w, "FILTERS", orDash(filtersText(s.GetAttributeFilters())))
	row(w, "AUTH", authText(s.GetAuth()))
	row(w, "RETRY", retryText(s.GetRetryPolicy()))
	row(w, "RATE LIMIT", rateText(s.GetRateLimit()))
	row(w, "TIMEOUT", orDefault(fmtDuration(s.GetTimeout())))
	row(w, "MAX IN FLIGHT", orDefault(strconv.Itoa(int(s.GetMaxInFlight()))))
	row(w, "ENCRYPTION", encryptionText(s.GetEncryption()))
	row(w, "EMAILS", orDash(strings.Join(s.GetNotificationEmails(), ", ")))
	row(w, "SUPPORT EMAIL", orDash(s.GetSupportEmail()))
	row(w, "METADATA", orDash(pairsText(s.GetMetadata())))
	row(w, "REVISION", strconv.FormatUint(s.GetRevision(), 10))
	row(w, "CREATED", fmtTime(s.GetCreateTime())+" by "+orDash(s.GetCreatedBy()))
	row(w, "UPDATED", fmtTime(s.GetUpdateTime())+" by "+orDash(s.GetUpdatedBy()))
	row(w, "SECRET ISSUED", fmtTime(s.GetSecretCreateTime()))
}

func subStatus(s hookwirev1.SubscriptionStatus) string {
	return enumName(s.String(), "SUBSCRIPTION_STATUS_")
}

func filtersText(f map[string]*hookwirev1.AttributeValues) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(f)) {
		parts = append(parts, k+"="+strings.Join(f[k].GetValues(), ","))
	}
	return strings.Join(parts, " ")
}

func pairsText(m map[string]string) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, k+"="+m[k])
	}
	return strings.Join(parts, " ")
}

func authText(a *hookwirev1.EndpointAuth) string {
	b := a.GetBasic()
	if b == nil {
		return "none"
	}
	if b.GetHasPassword() {
		return "basic " + b.GetUsername() + " (password set)"
	}
	return "basic " + b.GetUsername()
}

func retryText(p *hookwirev1.RetryPolicy) string {
	if p == nil {
		return "default (at once, then 5m, 15m, 45m)"
	}
	parts := []string{"at once"}
	for _, d := range p.GetDelays() {
		parts = append(parts, d.AsDuration().String())
	}
	return strings.Join(parts, ", ")
}

func rateText(r *hookwirev1.RateLimit) string {
	if r == nil {
		return "unlimited"
	}
	s := strconv.FormatFloat(r.GetPerSecond(), 'g', -1, 64) + "/s"
	if r.GetBurst() > 0 {
		s += fmt.Sprintf(" burst %d", r.GetBurst())
	}
	return s
}

func encryptionText(e *hookwirev1.Encryption) string {
	if !e.GetEnabled() {
		return "off"
	}
	return orDash(e.GetAlgorithm())
}

func orDefault(s string) string {
	if s == "-" || s == "0" {
		return "default"
	}
	return s
}

func hexKey(b []byte) string { return hex.EncodeToString(b) }

func httpStatus(code int32) string {
	if code == 0 {
		return "-"
	}
	return strconv.Itoa(int(code))
}

// oneLine collapses whitespace so a response excerpt fits a table cell.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
