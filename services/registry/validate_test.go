package registry_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/durationpb"

	hookwirev1 "github.com/hookwire/hookwire/pkg/gen/hookwire/v1"
	"github.com/hookwire/hookwire/services/registry"
)

// TestCreateValidation: every rule, each failure InvalidArgument naming the
// field; each "ok" row proves the boundary is accepted.
func TestCreateValidation(t *testing.T) {
	e := start(t)
	basic := func(user, pw string) *hookwirev1.EndpointAuth {
		return &hookwirev1.EndpointAuth{Method: &hookwirev1.EndpointAuth_Basic{Basic: &hookwirev1.BasicAuth{Username: user, Password: pw}}}
	}
	delays := func(n int, d time.Duration) *hookwirev1.RetryPolicy {
		rp := &hookwirev1.RetryPolicy{}
		for range n {
			rp.Delays = append(rp.Delays, durationpb.New(d))
		}
		return rp
	}
	many := func(n int, f func(i int) string) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = f(i)
		}
		return out
	}
	filters := func(kv ...any) map[string]*hookwirev1.AttributeValues {
		m := map[string]*hookwirev1.AttributeValues{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i].(string)] = &hookwirev1.AttributeValues{Values: kv[i+1].([]string)}
		}
		return m
	}
	metadata := func(n, keyLen, valLen int) map[string]string {
		m := map[string]string{}
		for i := range n {
			k := fmt.Sprintf("%0*d", keyLen, i)
			m[k] = strings.Repeat("v", valLen)
		}
		return m
	}
	manyFilters := filters()
	for i := range 17 {
		manyFilters[fmt.Sprintf("k%d", i)] = &hookwirev1.AttributeValues{Values: []string{"x"}}
	}

	tests := []struct {
		name   string
		edit   func(s *hookwirev1.Subscription)
		secret string
		field  string // "" means valid
	}{
		{"valid", func(s *hookwirev1.Subscription) {}, "", ""},
		{"url missing", func(s *hookwirev1.Subscription) { s.Url = "" }, "", "subscription.url"},
		{"url relative", func(s *hookwirev1.Subscription) { s.Url = "/hooks" }, "", "subscription.url"},
		{"url ftp", func(s *hookwirev1.Subscription) { s.Url = "ftp://example.com/x" }, "", "subscription.url"},
		{"url http refused", func(s *hookwirev1.Subscription) { s.Url = "http://example.com/x" }, "", "subscription.url"},
		{"url no host", func(s *hookwirev1.Subscription) { s.Url = "https:///x" }, "", "subscription.url"},
		{"url with credentials", func(s *hookwirev1.Subscription) { s.Url = "https://u:p@example.com/" }, "", "subscription.url"},
		{"url unparsable", func(s *hookwirev1.Subscription) { s.Url = "https://exa mple.com/%zz" }, "", "subscription.url"},
		{"url 2048 ok", func(s *hookwirev1.Subscription) { s.Url = "https://example.com/" + strings.Repeat("a", 2048-20) }, "", ""},
		{"url 2049", func(s *hookwirev1.Subscription) { s.Url = "https://example.com/" + strings.Repeat("a", 2049-20) }, "", "subscription.url"},
		{"event types empty", func(s *hookwirev1.Subscription) { s.EventTypes = nil }, "", "subscription.event_types"},
		{"event type syntax", func(s *hookwirev1.Subscription) { s.EventTypes = []string{"ach.returned", "Ach.Returned"} }, "", "subscription.event_types[1]"},
		{"event type bad wildcard", func(s *hookwirev1.Subscription) { s.EventTypes = []string{"ach*"} }, "", "subscription.event_types[0]"},
		{"event type unknown exact", func(s *hookwirev1.Subscription) { s.EventTypes = []string{"ach.returned", "ach.unheard_of"} }, "", "subscription.event_types[1]"},
		{"event type unknown wildcard ok", func(s *hookwirev1.Subscription) { s.EventTypes = []string{"brand_new.*", "*"} }, "", ""},
		{"event types too many", func(s *hookwirev1.Subscription) {
			s.EventTypes = many(101, func(i int) string { return fmt.Sprintf("t%d.*", i) })
		}, "", "subscription.event_types"},
		{"scope syntax", func(s *hookwirev1.Subscription) { s.Scope = "acquirers//100" }, "", "subscription.scope"},
		{"scope leading slash", func(s *hookwirev1.Subscription) { s.Scope = "/acquirers" }, "", "subscription.scope"},
		{"retry 20 delays of 7 days ok", func(s *hookwirev1.Subscription) { s.RetryPolicy = delays(20, 7*24*time.Hour) }, "", ""},
		{"retry 21 delays", func(s *hookwirev1.Subscription) { s.RetryPolicy = delays(21, time.Minute) }, "", "subscription.retry_policy.delays"},
		{"retry delay over 7 days", func(s *hookwirev1.Subscription) { s.RetryPolicy = delays(1, 7*24*time.Hour+time.Second) }, "", "subscription.retry_policy.delays[0]"},
		{"retry delay zero", func(s *hookwirev1.Subscription) { s.RetryPolicy = delays(2, 0) }, "", "subscription.retry_policy.delays[0]"},
		{"retry delay negative", func(s *hookwirev1.Subscription) { s.RetryPolicy = delays(1, -time.Second) }, "", "subscription.retry_policy.delays[0]"},
		{"rate zero", func(s *hookwirev1.Subscription) { s.RateLimit = &hookwirev1.RateLimit{PerSecond: 0} }, "", "subscription.rate_limit.per_second"},
		{"rate negative burst", func(s *hookwirev1.Subscription) { s.RateLimit = &hookwirev1.RateLimit{PerSecond: 1, Burst: -1} }, "", "subscription.rate_limit.burst"},
		{"rate ok", func(s *hookwirev1.Subscription) { s.RateLimit = &hookwirev1.RateLimit{PerSecond: 0.5} }, "", ""},
		{"notification email invalid", func(s *hookwirev1.Subscription) { s.NotificationEmails = []string{"ok@example.com", "not-an-email"} }, "", "subscription.notification_emails[1]"},
		{"notification email with name", func(s *hookwirev1.Subscription) { s.NotificationEmails = []string{"Ops <ops@example.com>"} }, "", "subscription.notification_emails[0]"},
		{"notification emails too many", func(s *hookwirev1.Subscription) {
			s.NotificationEmails = many(21, func(i int) string { return fmt.Sprintf("o%d@example.com", i) })
		}, "", "subscription.notification_emails"},
		{"support email invalid", func(s *hookwirev1.Subscription) { s.SupportEmail = "support@" }, "", "subscription.support_email"},
		{"label 255 ok", func(s *hookwirev1.Subscription) { s.Label = strings.Repeat("é", 255) }, "", ""},
		{"label 256", func(s *hookwirev1.Subscription) { s.Label = strings.Repeat("a", 256) }, "", "subscription.label"},
		{"metadata 32 ok", func(s *hookwirev1.Subscription) { s.Metadata = metadata(32, 64, 512) }, "", ""},
		{"metadata 33 entries", func(s *hookwirev1.Subscription) { s.Metadata = metadata(33, 3, 1) }, "", "subscription.metadata"},
		{"metadata key 65", func(s *hookwirev1.Subscription) { s.Metadata = metadata(1, 65, 1) }, "", "subscription.metadata[" + fmt.Sprintf("%065d", 0) + "]"},
		{"metadata empty key", func(s *hookwirev1.Subscription) { s.Metadata = map[string]string{"": "x"} }, "", "subscription.metadata[]"},
		{"metadata value 513", func(s *hookwirev1.Subscription) { s.Metadata = map[string]string{"k": strings.Repeat("v", 513)} }, "", "subscription.metadata[k]"},
		{"filters ok", func(s *hookwirev1.Subscription) {
			s.AttributeFilters = filters("payment_method", []string{"CARD", "BLIK"})
		}, "", ""},
		{"filters 17 keys", func(s *hookwirev1.Subscription) { s.AttributeFilters = manyFilters }, "", "subscription.attribute_filters"},
		{"filter key syntax", func(s *hookwirev1.Subscription) { s.AttributeFilters = filters("Payment-Method", []string{"CARD"}) }, "", "subscription.attribute_filters[Payment-Method]"},
		{"filter key 65", func(s *hookwirev1.Subscription) {
			s.AttributeFilters = filters(strings.Repeat("k", 65), []string{"CARD"})
		}, "", "subscription.attribute_filters[" + strings.Repeat("k", 65) + "]"},
		{"filter no values", func(s *hookwirev1.Subscription) { s.AttributeFilters = filters("pm", []string{}) }, "", "subscription.attribute_filters[pm]"},
		{"filter 65 values", func(s *hookwirev1.Subscription) {
			s.AttributeFilters = filters("pm", many(65, func(i int) string { return fmt.Sprint(i) }))
		}, "", "subscription.attribute_filters[pm]"},
		{"filter empty value", func(s *hookwirev1.Subscription) { s.AttributeFilters = filters("pm", []string{""}) }, "", "subscription.attribute_filters[pm]"},
		{"max_in_flight 1000 ok", func(s *hookwirev1.Subscription) { s.MaxInFlight = 1000 }, "", ""},
		{"max_in_flight 1001", func(s *hookwirev1.Subscription) { s.MaxInFlight = 1001 }, "", "subscription.max_in_flight"},
		{"max_in_flight negative", func(s *hookwirev1.Subscription) { s.MaxInFlight = -1 }, "", "subscription.max_in_flight"},
		{"timeout 1s ok", func(s *hookwirev1.Subscription) { s.Timeout = durationpb.New(time.Second) }, "", ""},
		{"timeout below 1s", func(s *hookwirev1.Subscription) { s.Timeout = durationpb.New(999 * time.Millisecond) }, "", "subscription.timeout"},
		{"timeout over 60s", func(s *hookwirev1.Subscription) { s.Timeout = durationpb.New(61 * time.Second) }, "", "subscription.timeout"},
		{"encryption key 31 bytes", func(s *hookwirev1.Subscription) {
			s.Encryption = &hookwirev1.Encryption{Enabled: true, Key: make([]byte, 31)}
		}, "", "subscription.encryption.key"},
		{"encryption key without enabled", func(s *hookwirev1.Subscription) {
			s.Encryption = &hookwirev1.Encryption{Key: make([]byte, 32)}
		}, "", "subscription.encryption.key"},
		{"encryption algorithm other than ours", func(s *hookwirev1.Subscription) {
			s.Encryption = &hookwirev1.Encryption{Enabled: true, Algorithm: "ROT13"}
		}, "", "subscription.encryption.algorithm"},
		{"encryption algorithm ours ok", func(s *hookwirev1.Subscription) {
			s.Encryption = &hookwirev1.Encryption{Enabled: true, Algorithm: registry.Algorithm}
		}, "", ""},
		{"basic without username", func(s *hookwirev1.Subscription) { s.Auth = basic("", "pw") }, "", "subscription.auth.basic.username"},
		{"basic username with colon", func(s *hookwirev1.Subscription) { s.Auth = basic("a:b", "pw") }, "", "subscription.auth.basic.username"},
		{"basic password with newline", func(s *hookwirev1.Subscription) { s.Auth = basic("a", "p\nw") }, "", "subscription.auth.basic.password"},
		{"signing secret invalid", func(s *hookwirev1.Subscription) {}, "whsec_short", "signing_secret"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := validSub("acquirers/100")
			tt.edit(s)
			_, err := e.client.CreateSubscription(as(t, rootToken), &hookwirev1.CreateSubscriptionRequest{Subscription: s, SigningSecret: tt.secret})
			if tt.field == "" {
				if err != nil {
					t.Fatalf("valid subscription rejected: %v", err)
				}
				return
			}
			wantField(t, err, tt.field)
		})
	}
	_, err := e.client.CreateSubscription(as(t, rootToken), &hookwirev1.CreateSubscriptionRequest{})
	wantField(t, err, "subscription")
}

func TestRequestValidation(t *testing.T) {
	e := start(t)
	ctx := as(t, rootToken)
	tests := []struct {
		name  string
		call  func() error
		field string
	}{
		{"get id", func() error {
			_, err := e.client.GetSubscription(ctx, &hookwirev1.GetSubscriptionRequest{})
			return err
		}, "id"},
		{"delete id", func() error {
			_, err := e.client.DeleteSubscription(ctx, &hookwirev1.DeleteSubscriptionRequest{})
			return err
		}, "id"},
		{"list scope", func() error {
			_, err := e.client.ListSubscriptions(ctx, &hookwirev1.ListSubscriptionsRequest{Scope: "a//b"})
			return err
		}, "scope"},
		{"list event type", func() error {
			_, err := e.client.ListSubscriptions(ctx, &hookwirev1.ListSubscriptionsRequest{EventType: "ach.*"})
			return err
		}, "event_type"},
		{"list status", func() error {
			_, err := e.client.ListSubscriptions(ctx, &hookwirev1.ListSubscriptionsRequest{Status: 42})
			return err
		}, "status"},
		{"list page size", func() error {
			_, err := e.client.ListSubscriptions(ctx, &hookwirev1.ListSubscriptionsRequest{PageSize: -1})
			return err
		}, "page_size"},
		{"list page token", func() error {
			_, err := e.client.ListSubscriptions(ctx, &hookwirev1.ListSubscriptionsRequest{PageToken: "!!!"})
			return err
		}, "page_token"},
		{"event types page size", func() error {
			_, err := e.client.ListEventTypes(ctx, &hookwirev1.ListEventTypesRequest{PageSize: -5})
			return err
		}, "page_size"},
		{"event types page token", func() error {
			_, err := e.client.ListEventTypes(ctx, &hookwirev1.ListEventTypesRequest{PageToken: "%%%"})
			return err
		}, "page_token"},
		{"create event type missing", func() error {
			_, err := e.client.CreateEventType(ctx, &hookwirev1.CreateEventTypeRequest{})
			return err
		}, "event_type"},
		{"create event type name", func() error {
			_, err := e.client.CreateEventType(ctx, &hookwirev1.CreateEventTypeRequest{EventType: &hookwirev1.EventType{Name: "Bad.Name"}})
			return err
		}, "event_type.name"},
		{"create event type wildcard", func() error {
			_, err := e.client.CreateEventType(ctx, &hookwirev1.CreateEventTypeRequest{EventType: &hookwirev1.EventType{Name: "a.*"}})
			return err
		}, "event_type.name"},
		{"create event type description", func() error {
			_, err := e.client.CreateEventType(ctx, &hookwirev1.CreateEventTypeRequest{EventType: &hookwirev1.EventType{Name: "a.b", Description: strings.Repeat("d", 1025)}})
			return err
		}, "event_type.description"},
		{"test endpoint no target", func() error {
			_, err := e.client.TestEndpoint(ctx, &hookwirev1.TestEndpointRequest{})
			return err
		}, "target"},
		{"test endpoint empty subscription id", func() error {
			_, err := e.client.TestEndpoint(ctx, &hookwirev1.TestEndpointRequest{Target: &hookwirev1.TestEndpointRequest_SubscriptionId{}})
			return err
		}, "subscription_id"},
		{"test endpoint url", func() error {
			_, err := e.client.TestEndpoint(ctx, &hookwirev1.TestEndpointRequest{Target: &hookwirev1.TestEndpointRequest_Endpoint{Endpoint: &hookwirev1.TestTarget{Url: "nope"}}})
			return err
		}, "endpoint.url"},
		{"test endpoint secret", func() error {
			_, err := e.client.TestEndpoint(ctx, &hookwirev1.TestEndpointRequest{Target: &hookwirev1.TestEndpointRequest_Endpoint{Endpoint: &hookwirev1.TestTarget{Url: "https://example.com", SigningSecret: "x"}}})
			return err
		}, "endpoint.signing_secret"},
		{"test endpoint key", func() error {
			_, err := e.client.TestEndpoint(ctx, &hookwirev1.TestEndpointRequest{Target: &hookwirev1.TestEndpointRequest_Endpoint{Endpoint: &hookwirev1.TestTarget{Url: "https://example.com", EncryptionKey: []byte("short")}}})
			return err
		}, "endpoint.encryption_key"},
		{"test endpoint timeout", func() error {
			_, err := e.client.TestEndpoint(ctx, &hookwirev1.TestEndpointRequest{Target: &hookwirev1.TestEndpointRequest_Endpoint{Endpoint: &hookwirev1.TestTarget{Url: "https://example.com", Timeout: durationpb.New(time.Hour)}}})
			return err
		}, "endpoint.timeout"},
		{"test endpoint basic username", func() error {
			_, err := e.client.TestEndpoint(ctx, &hookwirev1.TestEndpointRequest{Target: &hookwirev1.TestEndpointRequest_Endpoint{Endpoint: &hookwirev1.TestTarget{
				Url: "https://example.com", Auth: &hookwirev1.EndpointAuth{Method: &hookwirev1.EndpointAuth_Basic{Basic: &hookwirev1.BasicAuth{}}}}}})
			return err
		}, "endpoint.auth.basic.username"},
		{"test endpoint event type", func() error {
			_, err := e.client.TestEndpoint(ctx, &hookwirev1.TestEndpointRequest{EventType: "Nope", Target: &hookwirev1.TestEndpointRequest_Endpoint{Endpoint: &hookwirev1.TestTarget{Url: "https://example.com"}}})
			return err
		}, "event_type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { wantField(t, tt.call(), tt.field) })
	}
}

func TestSubscriptionsPerScopeCap(t *testing.T) {
	e := start(t, func(c *registry.Config) { c.MaxSubscriptionsPerScope = 2 })
	create(t, e, rootToken, validSub("acquirers/100"))
	create(t, e, rootToken, validSub("acquirers/100"))
	_, err := e.client.CreateSubscription(as(t, rootToken), &hookwirev1.CreateSubscriptionRequest{Subscription: validSub("acquirers/100")})
	wantCode(t, err, codes.ResourceExhausted)
	create(t, e, rootToken, validSub("acquirers/100/merchants/1")) // the cap is per exact scope
}

func TestAllowHTTP(t *testing.T) {
	for _, edit := range []func(*registry.Config){
		func(c *registry.Config) { c.AllowHTTP = true },
		func(c *registry.Config) { c.Dev = true },
	} {
		e := start(t, edit)
		s := validSub("")
		s.Url = "http://example.com/x"
		create(t, e, rootToken, s)
	}
}
