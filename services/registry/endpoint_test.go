package registry_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/structpb"

	"github.com/hookwire/hookwire/pkg/envelope"
	hookwirev1 "github.com/hookwire/hookwire/pkg/gen/hookwire/v1"
	"github.com/hookwire/hookwire/pkg/signing"
	"github.com/hookwire/hookwire/services/registry"
)

// receiver is a subscriber endpoint that records what it got.
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	status int
	header http.Header
	body   []byte
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{status: http.StatusOK}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		defer r.mu.Unlock()
		r.header, r.body = req.Header.Clone(), b
		w.WriteHeader(r.status)
		_, _ = w.Write([]byte("thanks"))
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) last() (http.Header, []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.header, r.body
}

// loopback lets the SSRF guard reach the httptest server.
func loopback(c *registry.Config) {
	c.AllowHTTP = true
	c.AllowCIDRs = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}
}

func TestTestEndpointUnsavedTarget(t *testing.T) {
	e := start(t, loopback)
	rcv := newReceiver(t)
	resp, err := e.client.TestEndpoint(as(t, rootToken), &hookwirev1.TestEndpointRequest{
		Target: &hookwirev1.TestEndpointRequest_Endpoint{Endpoint: &hookwirev1.TestTarget{Url: rcv.URL + "/hook"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if !resp.GetSuccess() || resp.GetHttpStatus() != 200 || resp.GetResponseExcerpt() != "thanks" || resp.GetError() != "" || resp.GetLatency() == nil {
		t.Fatalf("TestEndpoint = %v", resp)
	}
	h, body := rcv.last()
	if signing.ValidateSecret(resp.GetSigningSecret()) != nil {
		t.Fatalf("throwaway secret %q not returned", resp.GetSigningSecret())
	}
	if err := signing.Verify([]string{resp.GetSigningSecret()}, h, body, time.Now(), 5*time.Minute); err != nil {
		t.Fatalf("signature does not verify with the returned secret: %v", err)
	}
	if h.Get("webhook-id") != resp.GetWebhookId() || resp.GetWebhookId() == "" {
		t.Errorf("webhook-id header %q, response %q", h.Get("webhook-id"), resp.GetWebhookId())
	}
	var ev struct {
		Type string          `json:"type"`
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(body, &ev); err != nil || ev.Type != "hookwire.test" || string(ev.Data) != `{"test":true}` {
		t.Fatalf("body %s: %v", body, err)
	}

	// A failing endpoint is reported, not an RPC error.
	rcv.mu.Lock()
	rcv.status = http.StatusInternalServerError
	rcv.mu.Unlock()
	own, _ := signing.NewSecret()
	resp, err = e.client.TestEndpoint(as(t, rootToken), &hookwirev1.TestEndpointRequest{
		Target: &hookwirev1.TestEndpointRequest_Endpoint{Endpoint: &hookwirev1.TestTarget{Url: rcv.URL, SigningSecret: own}},
	})
	if err != nil || resp.GetSuccess() || resp.GetHttpStatus() != 500 || resp.GetSigningSecret() != "" {
		t.Fatalf("TestEndpoint(500) = %v, %v", resp, err)
	}

	// A private address outside the allowed CIDRs is refused, with a reason.
	resp, err = e.client.TestEndpoint(as(t, rootToken), &hookwirev1.TestEndpointRequest{
		Target: &hookwirev1.TestEndpointRequest_Endpoint{Endpoint: &hookwirev1.TestTarget{Url: "http://10.0.0.1:9/x"}},
	})
	if err != nil || resp.GetSuccess() || resp.GetHttpStatus() != 0 || resp.GetError() == "" {
		t.Fatalf("TestEndpoint(private address) = %v, %v", resp, err)
	}
}

func TestTestEndpointSavedSubscription(t *testing.T) {
	e := start(t, loopback)
	rcv := newReceiver(t)
	key := []byte("0123456789abcdef0123456789abcdef")
	sub := validSub("acquirers/100")
	sub.Url = rcv.URL
	sub.Auth = &hookwirev1.EndpointAuth{Method: &hookwirev1.EndpointAuth_Basic{Basic: &hookwirev1.BasicAuth{Username: "hook", Password: "s3cret"}}}
	sub.Encryption = &hookwirev1.Encryption{Enabled: true, Key: key}
	cr := create(t, e, acq100Token, sub)
	rot, err := e.client.RotateSecret(as(t, acq100Token), &hookwirev1.RotateSecretRequest{Id: cr.GetSubscription().GetId()})
	if err != nil {
		t.Fatal(err)
	}
	data, _ := structpb.NewStruct(map[string]any{"x": 1})
	resp, err := e.client.TestEndpoint(as(t, acq100Token), &hookwirev1.TestEndpointRequest{
		Target:    &hookwirev1.TestEndpointRequest_SubscriptionId{SubscriptionId: cr.GetSubscription().GetId()},
		EventType: "ach.returned",
		Data:      data,
	})
	if err != nil || !resp.GetSuccess() || resp.GetSigningSecret() != "" {
		t.Fatalf("TestEndpoint = %v, %v", resp, err)
	}
	h, body := rcv.last()
	if user, pw, ok := (&http.Request{Header: h}).BasicAuth(); !ok || user != "hook" || pw != "s3cret" {
		t.Errorf("basic auth = %q %q %v", user, pw, ok)
	}
	for _, secret := range []string{cr.GetSigningSecret(), rot.GetSigningSecret()} {
		if err := signing.Verify([]string{secret}, h, body, time.Now(), 5*time.Minute); err != nil {
			t.Errorf("not signed with %s…: %v", secret[:8], err)
		}
	}
	if n := len(strings.Fields(h.Get("webhook-signature"))); n != 2 {
		t.Errorf("%d signatures during rotation, want 2", n)
	}
	plain, err := envelope.Open(key, body)
	if err != nil {
		t.Fatalf("body is not an envelope under the subscription key: %v", err)
	}
	var ev struct {
		Type  string          `json:"type"`
		Scope string          `json:"scope"`
		Data  json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(plain, &ev); err != nil || ev.Type != "ach.returned" || ev.Scope != "acquirers/100" || string(ev.Data) != `{"x":1}` {
		t.Fatalf("decrypted body %s: %v", plain, err)
	}
	if !strings.HasPrefix(resp.GetWebhookId(), cr.GetSubscription().GetId()+"_") {
		t.Errorf("webhook_id %q is not subscription-scoped", resp.GetWebhookId())
	}
}
