package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/hookwire/hookwire/cmd/hookwire/internal/dev"
	hookwirev1 "github.com/hookwire/hookwire/pkg/gen/hookwire/v1"
	"github.com/hookwire/hookwire/pkg/signing"
	"github.com/hookwire/hookwire/pkg/testkit"
)

// devStack is `hookwire dev` running in-process on free ports.
type devStack struct {
	grpcAddr, httpAddr string
	stop               func()
}

// startDev runs the dev stack over dataDir until stop (or the test's end).
func startDev(t *testing.T, dataDir string) *devStack {
	t.Helper()
	return startDevWith(t, dev.Options{DataDir: dataDir})
}

// startDevWith runs the dev stack with o on free ports.
func startDevWith(t *testing.T, o dev.Options) *devStack {
	t.Helper()
	o.GRPCAddr, o.HTTPAddr = "127.0.0.1:0", "127.0.0.1:0"
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	ctx, cancel := context.WithCancel(context.Background())
	st, err := dev.Start(ctx, o)
	if err != nil {
		cancel()
		t.Fatalf("dev.Start: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- st.Run(ctx) }()
	readyCtx, readyCancel := context.WithTimeout(ctx, 20*time.Second)
	defer readyCancel()
	if err := st.WaitReady(readyCtx); err != nil {
		cancel()
		t.Fatalf("dev stack not ready: %v (run: %v)", err, <-done)
	}
	var once sync.Once
	d := &devStack{grpcAddr: st.GRPCAddr(), httpAddr: st.HTTPAddr()}
	d.stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("dev stack Run: %v", err)
			}
		})
	}
	t.Cleanup(d.stop)
	return d
}

// hw runs the CLI against the stack and returns stdout; any exit code but
// 0 fails the test.
func (d *devStack) hw(t *testing.T, args ...string) string {
	t.Helper()
	out, errOut, code := d.try(args...)
	if code != 0 {
		t.Fatalf("hookwire %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

func (d *devStack) try(args ...string) (stdout, stderr string, code int) {
	var out, errOut bytes.Buffer
	code = Run(context.Background(), append([]string{"--addr", d.grpcAddr}, args...), &out, &errOut)
	return out.String(), errOut.String(), code
}

// hwJSON runs the CLI with -o json and decodes the response into msg.
func (d *devStack) hwJSON(t *testing.T, msg proto.Message, args ...string) {
	t.Helper()
	out := d.hw(t, append([]string{"-o", "json"}, args...)...)
	if err := protojson.Unmarshal([]byte(out), msg); err != nil {
		t.Fatalf("decode %T from %q: %v", msg, out, err)
	}
}

// recorder is a subscriber endpoint that keeps what it receives.
type recorder struct {
	mu   sync.Mutex
	reqs []received
}

type received struct {
	header http.Header
	body   []byte
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	r.reqs = append(r.reqs, received{header: req.Header.Clone(), body: body})
	r.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

func (r *recorder) all() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.reqs...)
}

func TestEndToEndCreatePublishDeliver(t *testing.T) {
	d := startDev(t, t.TempDir())
	rec := &recorder{}
	srv := httptest.NewServer(rec)
	defer srv.Close()

	create := []string{"--user", "alice", "subscriptions", "create", "--url", srv.URL + "/hooks", "--request-id", "req-e2e-1",
		"--event-type", "transaction.sale.*", "--filter", "payment_method=CARD,ACH", "--label", "e2e"}
	var created, repeated hookwirev1.CreateSubscriptionResponse
	d.hwJSON(t, &created, create...)
	subID, secret := created.GetSubscription().GetId(), created.GetSigningSecret()
	if subID == "" || !strings.HasPrefix(secret, "whsec_") || created.GetSubscription().GetCreatedBy() != "alice" {
		t.Fatalf("create answered id=%q created_by=%q secret prefix ok=%v", subID,
			created.GetSubscription().GetCreatedBy(), strings.HasPrefix(secret, "whsec_"))
	}
	d.hwJSON(t, &repeated, create...)
	if repeated.GetSubscription().GetId() != subID {
		t.Fatalf("create repeated with the same --request-id made %q, want %q", repeated.GetSubscription().GetId(), subID)
	}

	var pub hookwirev1.PublishResponse
	d.hwJSON(t, &pub, "events", "publish", "--type", "transaction.sale.success", "--id", "evt_e2e_1",
		"--scope", "acquirers/100", "--attr", "payment_method=CARD", "--data", `{"amount": 1000}`)
	if pub.GetEventId() != "evt_e2e_1" || pub.GetDuplicate() {
		t.Fatalf("publish = %v", &pub)
	}

	testkit.Eventually(t, 30*time.Second, func() bool { return len(rec.all()) > 0 }, "delivery reaches the receiver")
	got := rec.all()[0]
	if err := signing.Verify([]string{secret}, got.header, got.body, time.Now(), 0); err != nil {
		t.Fatalf("delivery signature: %v", err)
	}
	var body struct {
		ID, Type, Scope string
		Data            map[string]any
	}
	if err := json.Unmarshal(got.body, &body); err != nil {
		t.Fatalf("delivery body %q: %v", got.body, err)
	}
	if body.ID != "evt_e2e_1" || body.Type != "transaction.sale.success" || body.Scope != "acquirers/100" || body.Data["amount"] != float64(1000) {
		t.Fatalf("delivery body = %s", got.body)
	}

	var list hookwirev1.ListDeliveriesResponse
	testkit.Eventually(t, 30*time.Second, func() bool {
		list.Reset()
		d.hwJSON(t, &list, "deliveries", "list", "--subscription", subID)
		return len(list.GetDeliveries()) == 1 && list.GetDeliveries()[0].GetState() == hookwirev1.DeliveryState_DELIVERY_STATE_DELIVERED
	}, "deliveries list shows the delivery as delivered")
	del := list.GetDeliveries()[0]
	if del.GetEventId() != "evt_e2e_1" || del.GetId() != got.header.Get("webhook-id") {
		t.Fatalf("delivery = %v, webhook-id %q", del, got.header.Get("webhook-id"))
	}
	table := d.hw(t, "deliveries", "list", "--event", "evt_e2e_1")
	if !strings.Contains(table, del.GetId()) || !strings.Contains(table, "delivered") {
		t.Fatalf("deliveries list table:\n%s", table)
	}
	detail := d.hw(t, "deliveries", "get", del.GetId())
	if !strings.Contains(detail, "204") || !strings.Contains(detail, "scheduled") {
		t.Fatalf("deliveries get:\n%s", detail)
	}

	var redelivered hookwirev1.RedeliverResponse
	d.hwJSON(t, &redelivered, "deliveries", "redeliver", del.GetId())
	testkit.Eventually(t, 30*time.Second, func() bool { return len(rec.all()) >= 2 }, "redelivery reaches the receiver")
	if again := rec.all()[1]; again.header.Get("webhook-id") != del.GetId() {
		t.Fatalf("redelivery webhook-id %q, want %q", again.header.Get("webhook-id"), del.GetId())
	}
	var replay hookwirev1.ReplayResponse
	d.hwJSON(t, &replay, "deliveries", "replay", "--subscription", subID, "--since", "1h", "--include-delivered")
	if replay.GetEventsMatched() != 1 {
		t.Fatalf("replay = %v, want 1 event matched", &replay)
	}

	for _, path := range []string{"/healthz", "/readyz"} {
		resp, err := http.Get("http://" + d.httpAddr + path)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %v %v", path, resp, err)
		}
		resp.Body.Close()
	}
}
