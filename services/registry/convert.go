package registry

import (
	"crypto/rand"
	"fmt"
	"maps"
	"slices"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	hookwirev1 "github.com/hookwire/hookwire/pkg/gen/hookwire/v1"
	"github.com/hookwire/hookwire/pkg/subscription"
)

// Algorithm is the payload encryption reported in Encryption.algorithm.
const Algorithm = "AES-256-GCM"

// mutable are the update_mask paths, in the order Create applies them.
var mutable = []string{
	"label", "url", "event_types", "attribute_filters", "auth", "retry_policy", "rate_limit",
	"notification_emails", "support_email", "metadata", "encryption", "max_in_flight", "timeout",
}

var toStatus = map[subscription.Status]hookwirev1.SubscriptionStatus{
	subscription.StatusActive:    hookwirev1.SubscriptionStatus_SUBSCRIPTION_STATUS_ACTIVE,
	subscription.StatusPaused:    hookwirev1.SubscriptionStatus_SUBSCRIPTION_STATUS_PAUSED,
	subscription.StatusSuspended: hookwirev1.SubscriptionStatus_SUBSCRIPTION_STATUS_SUSPENDED,
}

// toProto renders rec for a caller: no secret, password or key.
func toProto(rec *subscription.Record, rev uint64) *hookwirev1.Subscription {
	out := &hookwirev1.Subscription{
		Id:                 rec.ID,
		Label:              rec.Label,
		Url:                rec.URL,
		EventTypes:         slices.Clone(rec.EventTypes),
		Scope:              rec.Scope,
		Status:             toStatus[rec.Status],
		StatusReason:       rec.StatusReason,
		NotificationEmails: slices.Clone(rec.NotificationEmails),
		SupportEmail:       rec.SupportEmail,
		Metadata:           maps.Clone(rec.Metadata),
		MaxInFlight:        int32(rec.MaxInFlight),
		CreateTime:         timestamppb.New(rec.CreatedAt),
		UpdateTime:         timestamppb.New(rec.UpdatedAt),
		CreatedBy:          rec.CreatedBy,
		UpdatedBy:          rec.UpdatedBy,
		CreatedByPrincipal: rec.CreatedByPrincipal,
		UpdatedByPrincipal: rec.UpdatedByPrincipal,
		Revision:           rev,
		SecretCreateTime:   timestamppb.New(rec.SecretCreatedAt),
		Encryption:         &hookwirev1.Encryption{Enabled: rec.EncryptionKey != ""},
	}
	if rec.EncryptionKey != "" {
		out.Encryption.Algorithm = Algorithm
	}
	if len(rec.Filters) > 0 {
		out.AttributeFilters = make(map[string]*hookwirev1.AttributeValues, len(rec.Filters))
		for k, vs := range rec.Filters {
			out.AttributeFilters[k] = &hookwirev1.AttributeValues{Values: slices.Clone(vs)}
		}
	}
	if rec.BasicUser != "" {
		out.Auth = &hookwirev1.EndpointAuth{Method: &hookwirev1.EndpointAuth_Basic{Basic: &hookwirev1.BasicAuth{
			Username: rec.BasicUser, HasPassword: rec.BasicPassword != "",
		}}}
	}
	if rec.RetryDelays != nil {
		out.RetryPolicy = &hookwirev1.RetryPolicy{}
		for _, d := range rec.RetryDelays {
			out.RetryPolicy.Delays = append(out.RetryPolicy.Delays, durationpb.New(d))
		}
	}
	if rec.RateLimit != nil {
		out.RateLimit = &hookwirev1.RateLimit{PerSecond: rec.RateLimit.PerSecond, Burst: int32(rec.RateLimit.Burst)}
	}
	if rec.Timeout > 0 {
		out.Timeout = durationpb.New(rec.Timeout)
	}
	return out
}

// apply copies the field named path from sub (already validated) into rec,
// sealing passwords and keys. It returns an encryption key it generated.
func (s *Service) apply(rec *subscription.Record, sub *hookwirev1.Subscription, path string) ([]byte, error) {
	switch path {
	case "label":
		rec.Label = sub.GetLabel()
	case "url":
		rec.URL = sub.GetUrl()
	case "event_types":
		rec.EventTypes = dedup(sub.GetEventTypes())
	case "attribute_filters":
		rec.Filters = nil
		for k, vs := range sub.GetAttributeFilters() {
			if rec.Filters == nil {
				rec.Filters = map[string][]string{}
			}
			rec.Filters[k] = dedup(vs.GetValues())
		}
	case "auth":
		return nil, s.applyAuth(rec, sub.GetAuth().GetBasic())
	case "retry_policy":
		rec.RetryDelays = nil
		if rp := sub.GetRetryPolicy(); rp != nil {
			rec.RetryDelays = []time.Duration{}
			for _, d := range rp.GetDelays() {
				rec.RetryDelays = append(rec.RetryDelays, d.AsDuration())
			}
		}
	case "rate_limit":
		rec.RateLimit = nil
		if rl := sub.GetRateLimit(); rl != nil {
			rec.RateLimit = &subscription.RateLimit{PerSecond: rl.GetPerSecond(), Burst: int(rl.GetBurst())}
		}
	case "notification_emails":
		rec.NotificationEmails = dedup(sub.GetNotificationEmails())
	case "support_email":
		rec.SupportEmail = sub.GetSupportEmail()
	case "metadata":
		rec.Metadata = maps.Clone(sub.GetMetadata())
	case "encryption":
		return s.applyEncryption(rec, sub.GetEncryption())
	case "max_in_flight":
		rec.MaxInFlight = int(sub.GetMaxInFlight())
	case "timeout":
		rec.Timeout = 0
		if sub.GetTimeout() != nil {
			rec.Timeout = sub.GetTimeout().AsDuration()
		}
	default:
		return nil, fmt.Errorf("apply unknown field %q", path)
	}
	return nil, nil
}

// applyAuth sets or clears basic auth; an empty password keeps the stored
// one (the caller cannot read it back to send it again).
func (s *Service) applyAuth(rec *subscription.Record, basic *hookwirev1.BasicAuth) error {
	if basic == nil {
		rec.BasicUser, rec.BasicPassword = "", ""
		return nil
	}
	rec.BasicUser = basic.GetUsername()
	if basic.GetPassword() == "" {
		return nil
	}
	sealed, err := s.box.Seal([]byte(basic.GetPassword()), subscription.Place(rec.ID, subscription.FieldBasicPassword))
	if err != nil {
		return fmt.Errorf("seal basic-auth password: %w", err)
	}
	rec.BasicPassword = sealed
	return nil
}

// applyEncryption enables encryption with the given key or a generated one
// (returned), or disables it.
func (s *Service) applyEncryption(rec *subscription.Record, enc *hookwirev1.Encryption) ([]byte, error) {
	if !enc.GetEnabled() {
		rec.EncryptionKey = ""
		return nil, nil
	}
	key, generated := enc.GetKey(), []byte(nil)
	if len(key) == 0 {
		key = make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return nil, fmt.Errorf("generate encryption key: %w", err)
		}
		generated = key
	}
	sealed, err := s.box.Seal(key, subscription.Place(rec.ID, subscription.FieldEncryptionKey))
	if err != nil {
		return nil, fmt.Errorf("seal encryption key: %w", err)
	}
	rec.EncryptionKey = sealed
	return generated, nil
}

// dedup drops repeated values, keeping the first occurrence's order.
func dedup(in []string) []string {
	if in == nil {
		return nil
	}
	seen := make(map[string]bool, len(in))
	out := make([]string, 0, len(in))
	for _, v := range in {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}
