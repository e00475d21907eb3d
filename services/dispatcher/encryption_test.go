package dispatcher

import (
	"bytes"
	"crypto/rand"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/hookwire/hookwire/pkg/envelope"
	hookreceiver "github.com/hookwire/hookwire/pkg/receiver"
	"github.com/hookwire/hookwire/pkg/signing"
	"github.com/hookwire/hookwire/pkg/subscription"
	"github.com/hookwire/hookwire/pkg/testkit"
)

// TestEncryptedDeliveryOpensWithReceiver: a subscription with payload
// encryption gets the AES-256-GCM envelope, and pkg/receiver (signing
// secret + the subscription's key) verifies and decrypts it to the event.
func TestEncryptedDeliveryOpensWithReceiver(t *testing.T) {
	h := newHarness(t, 2*time.Minute)
	secret, err := signing.NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	key := make([]byte, envelope.KeySize)
	if _, err := rand.Read(key); err != nil {
		t.Fatal(err)
	}
	rcv, err := hookreceiver.New(secret, hookreceiver.WithEncryptionKey(key), hookreceiver.WithClock(h.clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var got []hookreceiver.Event
	var raw []byte
	open := rcv.Handler(func(w http.ResponseWriter, r *http.Request, ev hookreceiver.Event) {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, ev)
	})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		raw = b
		mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(b))
		open.ServeHTTP(w, r)
	}))
	defer srv.Close()

	sealedSecret, _ := h.box.Seal([]byte(secret), subscription.Place("sealed", subscription.FieldSigningSecret))
	sealedKey, _ := h.box.Seal(key, subscription.Place("sealed", subscription.FieldEncryptionKey))
	rec := subscription.Record{ID: "sealed", URL: srv.URL, EventTypes: []string{"*"}, Status: subscription.StatusActive,
		Secrets: []subscription.Secret{{Sealed: sealedSecret}}, EncryptionKey: sealedKey}
	if _, err := h.store.Create(h.ctx, rec); err != nil {
		t.Fatal(err)
	}
	h.start()
	h.publish("evt-secret", "transaction.sale.success", "acquirers/1", nil)
	testkit.Eventually(t, 10*time.Second, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(got) == 1
	}, "the encrypted delivery to be verified and opened")
	h.waitQuiet()
	mu.Lock()
	defer mu.Unlock()
	ev := got[0]
	if ev.ID != "evt-secret" || ev.Type != "transaction.sale.success" || string(ev.Data) != `{"amount":100}` || ev.WebhookID == "" {
		t.Fatalf("opened event = %+v data %s", ev, ev.Data)
	}
	if bytes.Contains(raw, []byte("evt-secret")) || bytes.Contains(raw, []byte("amount")) {
		t.Fatalf("the delivered body is not encrypted: %s", raw)
	}
}
