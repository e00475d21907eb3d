package cli

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	hookwirev1 "github.com/hookwire/hookwire/pkg/gen/hookwire/v1"
	"github.com/hookwire/hookwire/pkg/testkit"
)

// syncBuffer is a bytes.Buffer safe for the listen goroutines and the test.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestListenPrintsVerifiesForwardsAndCleansUp(t *testing.T) {
	d := startDev(t, t.TempDir())
	fwd := &recorder{}
	fwdSrv := httptest.NewServer(fwd)
	defer fwdSrv.Close()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errOut syncBuffer
	exit := make(chan int, 1)
	go func() {
		exit <- Run(ctx, []string{"--addr", d.grpcAddr, "listen", "--port", "0",
			"--event-type", "ach.returned", "--forward", fwdSrv.URL}, &out, &errOut)
	}()
	subRE := regexp.MustCompile(`through subscription (sub_\S+)`)
	testkit.Eventually(t, 10*time.Second, func() bool { return subRE.MatchString(out.String()) }, "listen is ready; stdout %q stderr %q", &out, &errOut)
	subID := subRE.FindStringSubmatch(out.String())[1]

	var sub hookwirev1.GetSubscriptionResponse
	d.hwJSON(t, &sub, "subscriptions", "get", subID)
	if !strings.HasPrefix(sub.GetSubscription().GetLabel(), "hookwire listen ") || !strings.HasPrefix(sub.GetSubscription().GetUrl(), "http://127.0.0.1:") {
		t.Fatalf("listen subscription = %v", sub.GetSubscription())
	}

	d.hw(t, "events", "publish", "--type", "ach.returned", "--id", "evt_listen_1", "--data", `{"return_code": "R01"}`)
	testkit.Eventually(t, 30*time.Second, func() bool {
		return strings.Contains(out.String(), "ach.returned  signature ✓  → "+fwdSrv.URL+" 204")
	}, "listen prints the verified, forwarded delivery; stdout:\n%s", &out)
	fwded := fwd.all()
	if len(fwded) != 1 || !strings.Contains(string(fwded[0].body), "evt_listen_1") || fwded[0].header.Get("webhook-signature") == "" {
		t.Fatalf("forwarded = %+v", fwded)
	}

	cancel()
	select {
	case code := <-exit:
		if code != 0 {
			t.Fatalf("listen exit %d; stderr:\n%s", code, errOut.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("listen did not stop within 10s of cancel")
	}
	if _, stderr, code := d.try("subscriptions", "get", subID); code != 1 || !strings.Contains(stderr, "NotFound") {
		t.Fatalf("subscription %s still there after listen stopped: exit %d %s", subID, code, stderr)
	}
}

func TestListenReceiverMarksBadSignature(t *testing.T) {
	var out syncBuffer
	r := &receiver{secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", out: &out, now: time.Now}
	req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(`{"type":"ach.returned"}`))
	req.Header.Set("webhook-id", "msg_1")
	req.Header.Set("webhook-timestamp", "1")
	req.Header.Set("webhook-signature", "v1,AAAA")
	w := httptest.NewRecorder()
	r.ServeHTTP(w, req)
	if w.Code != http.StatusOK {
		t.Fatalf("status %d", w.Code)
	}
	if !strings.Contains(out.String(), "msg_1  ach.returned  signature ✗") {
		t.Fatalf("output %q", out.String())
	}
}
