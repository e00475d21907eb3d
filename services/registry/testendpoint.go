package registry

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/oklog/ulid/v2"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/hookwire/hookwire/pkg/badrequest"
	"github.com/hookwire/hookwire/pkg/bus"
	"github.com/hookwire/hookwire/pkg/deliver"
	"github.com/hookwire/hookwire/pkg/eventtype"
	hookwirev1 "github.com/hookwire/hookwire/pkg/gen/hookwire/v1"
	"github.com/hookwire/hookwire/pkg/signing"
	"github.com/hookwire/hookwire/pkg/subscription"
)

// TestEventType is the default type of a TestEndpoint event.
const TestEventType = "hookwire.test"

// TestEndpoint implements RegistryService: one signed attempt to a saved
// subscription (its URL, auth, secrets and encryption) or to an unsaved
// target, reported but never stored or retried.
func (s *Service) TestEndpoint(ctx context.Context, req *hookwirev1.TestEndpointRequest) (*hookwirev1.TestEndpointResponse, error) {
	resp, err := s.testEndpoint(ctx, req)
	return resp, s.grpcError("test endpoint", err)
}

func (s *Service) testEndpoint(ctx context.Context, req *hookwirev1.TestEndpointRequest) (*hookwirev1.TestEndpointResponse, error) {
	var v badrequest.Violations
	typ := req.GetEventType()
	if typ == "" {
		typ = TestEventType
	}
	v.Check("event_type", eventtype.ValidateName(typ))
	data := []byte(`{"test":true}`)
	if req.GetData() != nil {
		b, err := req.GetData().MarshalJSON()
		if err != nil {
			v.Add("data", "not a JSON object: %v", err)
		}
		data = b
	}
	eventID := "evt_test_" + ulid.Make().String()
	var (
		r      deliver.Request
		sc     string
		subID  = "test"
		secret string // returned when thrown away
	)
	switch t := req.GetTarget().(type) {
	case *hookwirev1.TestEndpointRequest_SubscriptionId:
		if t.SubscriptionId == "" {
			return nil, badrequest.Field("subscription_id", "required")
		}
		if err := v.Err(); err != nil {
			return nil, err
		}
		rec, _, err := s.load(ctx, t.SubscriptionId)
		if err != nil {
			return nil, err
		}
		if r, err = s.savedRequest(&rec); err != nil {
			return nil, err
		}
		sc, subID = rec.Scope, rec.ID
	case *hookwirev1.TestEndpointRequest_Endpoint:
		var err error
		if r, secret, err = s.targetRequest(&v, t.Endpoint); err != nil {
			return nil, err
		}
	default:
		v.Add("target", "set subscription_id or endpoint")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	body, err := json.Marshal(bus.Body{ID: eventID, Type: typ, Scope: sc, OccurredAt: s.now(), Data: data})
	if err != nil {
		return nil, fmt.Errorf("render test event: %w", err)
	}
	sum := sha256.Sum256([]byte(eventID))
	r.WebhookID = subID + "_" + hex.EncodeToString(sum[:])[:24]
	r.Body = body
	res := s.sender.Send(ctx, r)
	out := &hookwirev1.TestEndpointResponse{
		Success:         res.Outcome == deliver.Delivered,
		HttpStatus:      int32(res.Status),
		Latency:         durationpb.New(res.Latency),
		ResponseExcerpt: truncate(res.Excerpt, 1024),
		SigningSecret:   secret,
		WebhookId:       r.WebhookID,
	}
	if res.Err != nil {
		out.Error = res.Err.Error()
	}
	return out, nil
}

// savedRequest opens a subscription's sealed secrets into a request.
func (s *Service) savedRequest(rec *subscription.Record) (deliver.Request, error) {
	r := deliver.Request{URL: rec.URL, BasicUser: rec.BasicUser, Timeout: rec.Timeout}
	sec, err := rec.OpenSecrets(s.box, s.now())
	if err != nil {
		return r, err
	}
	r.Secrets, r.BasicPassword, r.EncryptionKey = sec.Signing, sec.BasicPassword, sec.EncryptionKey
	return r, nil
}

// targetRequest validates an unsaved target; without a secret it makes a
// throwaway one and returns it.
func (s *Service) targetRequest(v *badrequest.Violations, t *hookwirev1.TestTarget) (deliver.Request, string, error) {
	r := deliver.Request{URL: t.GetUrl(), EncryptionKey: t.GetEncryptionKey()}
	v.Check("endpoint.url", s.checkURL(t.GetUrl()))
	if b := t.GetAuth().GetBasic(); b != nil {
		if b.GetUsername() == "" {
			v.Add("endpoint.auth.basic.username", "required with basic auth")
		}
		r.BasicUser, r.BasicPassword = b.GetUsername(), b.GetPassword()
	}
	if k := t.GetEncryptionKey(); len(k) > 0 && len(k) != EncryptionKeyLen {
		v.Add("endpoint.encryption_key", "must be %d bytes (AES-256), got %d", EncryptionKeyLen, len(k))
	}
	if to := t.GetTimeout(); to != nil {
		if err := to.CheckValid(); err != nil || to.AsDuration() < MinTimeout || to.AsDuration() > MaxTimeout {
			v.Add("endpoint.timeout", "must be between %s and %s", MinTimeout, MaxTimeout)
		}
		r.Timeout = to.AsDuration()
	}
	secret := t.GetSigningSecret()
	if secret != "" {
		v.Check("endpoint.signing_secret", signing.ValidateSecret(secret))
		r.Secrets = []string{secret}
		return r, "", nil
	}
	secret, err := signing.NewSecret()
	if err != nil {
		return r, "", fmt.Errorf("new signing secret: %w", err)
	}
	r.Secrets = []string{secret}
	return r, secret, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}
