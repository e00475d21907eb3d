package dispatcher

import (
	"bytes"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookwire/hookwire/pkg/signing"
	"github.com/hookwire/hookwire/pkg/subscription"
	"github.com/hookwire/hookwire/pkg/testkit"
)

// lockedBuffer collects log output written from many goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestMovedSecretIsNotUsed: someone with write access to the bucket copies
// a subscription's sealed signing secret into another subscription's
// record, and its sealed password into a third one's. The dispatcher
// delivers to the first only and refuses the others with an error log
// naming the subscription and the field, never a secret or sealed value.
func TestMovedSecretIsNotUsed(t *testing.T) {
	h := newHarness(t, time.Minute)
	var logs lockedBuffer
	h.logs = &logs
	secretA, errA := signing.NewSecret()
	secretB, errB := signing.NewSecret()
	if err := errors.Join(errA, errB); err != nil {
		t.Fatal(err)
	}
	a := h.subscribe(subscription.Record{ID: "sub-a", EventTypes: []string{"*"}, BasicUser: "u", BasicPassword: "password-of-a"}, secretA)
	b := h.subscribe(subscription.Record{ID: "sub-b", EventTypes: []string{"*"}}, secretB)
	c := h.subscribe(subscription.Record{ID: "sub-c", EventTypes: []string{"*"}, BasicUser: "u", BasicPassword: "password-of-c"})
	for id, move := range map[string]func(r *subscription.Record){
		b.ID: func(r *subscription.Record) { r.Secrets = a.Secrets },
		c.ID: func(r *subscription.Record) { r.BasicPassword = a.BasicPassword },
	} {
		if _, _, err := h.store.Update(h.ctx, id, 0, h.clock.Now(), func(r *subscription.Record) error { move(r); return nil }); err != nil {
			t.Fatal(err)
		}
	}
	h.start()
	h.publish("evt-moved", "transaction.sale.success", "acquirers/1", nil)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("logs:\n%s\nreceived a=%d", logs.String(), h.rcv.count(a.ID))
		}
	})
	testkit.Eventually(t, 10*time.Second, func() bool {
		out := logs.String()
		return h.rcv.count(a.ID) == 1 &&
			strings.Contains(out, "signing_secret of subscription sub-b") && strings.Contains(out, "basic_password of subscription sub-c")
	}, "delivery to sub-a and an error log for sub-b and sub-c")
	h.waitQuiet()
	if n, m := h.rcv.count(b.ID), h.rcv.count(c.ID); n != 0 || m != 0 {
		t.Fatalf("delivered with moved secrets: sub-b %d, sub-c %d requests", n, m)
	}
	out := logs.String()
	if !strings.Contains(out, "level=ERROR") || !strings.Contains(out, "not delivering") {
		t.Errorf("the refusal is not logged as an error:\n%s", out)
	}
	for _, s := range []string{secretA, strings.TrimPrefix(secretA, "whsec_"), secretB, strings.TrimPrefix(secretB, "whsec_"), "password-of-a", "password-of-c", a.Secrets[0].Sealed, a.BasicPassword} {
		if strings.Contains(out, s) {
			t.Errorf("a log line shows a secret or sealed value (%.12s…)", s)
		}
	}
}
