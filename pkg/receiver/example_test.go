package receiver_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"

	"github.com/hookwire/hookwire/pkg/deliver"
	"github.com/hookwire/hookwire/pkg/receiver"
	"github.com/hookwire/hookwire/pkg/signing"
)

func Example() {
	secret, _ := signing.NewSecret() // in real life: the secret shown when the subscription was created

	// --- subscriber side: this is all a receiver needs ---
	rcv, err := receiver.New(secret) // add receiver.WithEncryptionKey(key) when payload encryption is on
	if err != nil {
		panic(err)
	}
	hooks := rcv.Handler(func(w http.ResponseWriter, r *http.Request, ev receiver.Event) {
		// Deliveries are at least once: skip ev.WebhookID if already processed.
		fmt.Printf("%s %s at %s: %s\n", ev.Type, ev.ID, ev.Scope, ev.Data)
	})
	// http.Handle("/hooks", hooks); http.ListenAndServe(":8080", nil)

	// --- Hookwire side, to make the example run ---
	srv := httptest.NewServer(hooks)
	defer srv.Close()
	c := deliver.NewClient(deliver.Options{AllowCIDRs: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
	res := c.Send(context.Background(), deliver.Request{
		URL: srv.URL, WebhookID: "sub_1_5d41402abc4b2a76b9719d91", Secrets: []string{secret},
		Body: []byte(`{"id":"evt_1","type":"transaction.sale.success","scope":"acquirers/100","occurred_at":"2026-11-23T10:00:00Z","data":{"amount":1250}}`),
	})
	fmt.Println(res.Outcome, res.Status)
	// Output:
	// transaction.sale.success evt_1 at acquirers/100: {"amount":1250}
	// delivered 200
}
