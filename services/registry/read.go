package registry

import (
	"context"
	"encoding/base64"
	"strings"

	"github.com/hookwire/hookwire/pkg/auth"
	"github.com/hookwire/hookwire/pkg/badrequest"
	"github.com/hookwire/hookwire/pkg/eventtype"
	hookwirev1 "github.com/hookwire/hookwire/pkg/gen/hookwire/v1"
	"github.com/hookwire/hookwire/pkg/scope"
	"github.com/hookwire/hookwire/pkg/subscription"
)

// Page sizes of the list calls. A page_size above MaxPageSize is lowered to
// it (AIP-158: coerce, do not fail); a negative one is InvalidArgument.
const (
	DefaultPageSize = 100
	MaxPageSize     = 1000
)

// GetSubscription implements RegistryService.
func (s *Service) GetSubscription(ctx context.Context, req *hookwirev1.GetSubscriptionRequest) (*hookwirev1.GetSubscriptionResponse, error) {
	if req.GetId() == "" {
		return nil, badrequest.Field("id", "required")
	}
	rec, rev, err := s.load(ctx, req.GetId())
	if err != nil {
		return nil, s.grpcError("get subscription", err)
	}
	return &hookwirev1.GetSubscriptionResponse{Subscription: toProto(&rec, rev)}, nil
}

// ListSubscriptions implements RegistryService. Results are in id order
// (creation order); the page token is the last id returned, base64, so
// pages neither repeat nor skip records that exist throughout the listing.
func (s *Service) ListSubscriptions(ctx context.Context, req *hookwirev1.ListSubscriptionsRequest) (*hookwirev1.ListSubscriptionsResponse, error) {
	var v badrequest.Violations
	checkScope(&v, "scope", req.GetScope())
	if et := req.GetEventType(); et != "" {
		v.Check("event_type", eventtype.ValidateName(et))
	}
	if _, ok := hookwirev1.SubscriptionStatus_name[int32(req.GetStatus())]; !ok {
		v.Add("status", "unknown status %d", req.GetStatus())
	}
	size := pageSize(&v, "page_size", req.GetPageSize())
	after := decodeToken(&v, "page_token", req.GetPageToken(), IDPrefix)
	if err := v.Err(); err != nil {
		return nil, err
	}

	// Empty scope with descendants means "everything I may see".
	sc, sub := req.GetScope(), req.GetIncludeDescendants()
	if p, ok := auth.FromContext(ctx); ok && sc == "" && sub {
		sc = p.Scope
	}
	if err := auth.CheckScope(ctx, sc); err != nil {
		return nil, err
	}
	if err := s.caughtUp(ctx); err != nil {
		return nil, s.grpcError("list subscriptions", err)
	}
	keep := func(r *subscription.Record) bool {
		if sub && !scope.Within(r.Scope, sc) || !sub && r.Scope != sc {
			return false
		}
		if st := req.GetStatus(); st != hookwirev1.SubscriptionStatus_SUBSCRIPTION_STATUS_UNSPECIFIED && toStatus[r.Status] != st {
			return false
		}
		if et := req.GetEventType(); et != "" && !matchesAny(r.EventTypes, et) {
			return false
		}
		return visible(ctx, r)
	}
	page, more := s.index.Page(after, size, keep)
	resp := &hookwirev1.ListSubscriptionsResponse{}
	for _, e := range page {
		resp.Subscriptions = append(resp.Subscriptions, toProto(&e.Record, e.Revision))
	}
	if more {
		resp.NextPageToken = encodeToken(page[len(page)-1].Record.ID)
	}
	return resp, nil
}

func matchesAny(patterns []string, name string) bool {
	for _, p := range patterns {
		if eventtype.Match(p, name) {
			return true
		}
	}
	return false
}

// pageSize applies the default and the maximum.
func pageSize(v *badrequest.Violations, field string, n int32) int {
	switch {
	case n < 0:
		v.Add(field, "must not be negative")
	case n == 0:
		return DefaultPageSize
	case n > MaxPageSize:
		return MaxPageSize
	}
	return int(n)
}

func encodeToken(last string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(last))
}

// decodeToken returns the key a page token resumes after ("" for none).
func decodeToken(v *badrequest.Violations, field, token, prefix string) string {
	if token == "" {
		return ""
	}
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || !strings.HasPrefix(string(b), prefix) {
		v.Add(field, "not a page token of this list")
		return ""
	}
	return string(b)
}
