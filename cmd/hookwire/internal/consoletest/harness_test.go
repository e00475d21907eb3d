package consoletest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	"github.com/hookwire/hookwire/cmd/hookwire/internal/dev"
	"github.com/hookwire/hookwire/pkg/auth"
	hookwirev1 "github.com/hookwire/hookwire/pkg/gen/hookwire/v1"
)

// Scopes of the test tokens.
const (
	scopeA = "acquirers/100/merchants/2000" // the scoped token's subtree holds A
	scopeB = "acquirers/200"
)

// stack is `hookwire dev` in-process with a tokens file: a root token and
// one bound to acquirers/100.
type stack struct {
	console     string // http://host:port/console/
	grpcAddr    string
	rootToken   string
	scopedToken string
	conn        *grpc.ClientConn
	reg         hookwirev1.RegistryServiceClient
	ingest      hookwirev1.IngestServiceClient
}

func startStack(t *testing.T, withTokens bool) *stack {
	t.Helper()
	return startStackWith(t, withTokens, nil)
}

// startStackWith is startStack with the dev options changed by opt.
func startStackWith(t *testing.T, withTokens bool, opt func(*dev.Options)) *stack {
	t.Helper()
	dir := t.TempDir()
	s := &stack{rootToken: newToken(), scopedToken: newToken()}
	o := dev.Options{GRPCAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:0", DataDir: filepath.Join(dir, "data"),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if withTokens {
		o.TokensFile = writeTokens(t, dir, s.rootToken, s.scopedToken)
	}
	if opt != nil {
		opt(&o)
	}
	ctx, cancel := context.WithCancel(context.Background())
	st, err := dev.Start(ctx, o)
	if err != nil {
		cancel()
		t.Fatalf("dev.Start: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- st.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("dev stack Run: %v", err)
		}
	})
	rctx, rcancel := context.WithTimeout(ctx, 30*time.Second)
	defer rcancel()
	if err := st.WaitReady(rctx); err != nil {
		t.Fatalf("dev stack not ready: %v", err)
	}
	s.console, s.grpcAddr = "http://"+st.HTTPAddr()+"/console/", st.GRPCAddr()
	if s.conn, err = grpc.NewClient(s.grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials())); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.conn.Close() })
	s.reg, s.ingest = hookwirev1.NewRegistryServiceClient(s.conn), hookwirev1.NewIngestServiceClient(s.conn)
	return s
}

func newToken() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func writeTokens(t *testing.T, dir, root, scoped string) string {
	t.Helper()
	type tok struct {
		Name        string   `json:"name"`
		SHA256      string   `json:"sha256"`
		Scope       string   `json:"scope"`
		Permissions []string `json:"permissions"`
	}
	all := []string{"manage", "read", "publish"}
	b, err := json.Marshal(map[string][]tok{"tokens": {
		{Name: "root", SHA256: auth.HashToken(root), Permissions: all},
		{Name: "acquirer-100", SHA256: auth.HashToken(scoped), Scope: "acquirers/100", Permissions: all},
	}})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "tokens.json")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// root is ctx with the root token.
func (s *stack) root(ctx context.Context) context.Context {
	return metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+s.rootToken, "x-user-id", "test-root")
}

// createSub creates sub with the root token.
func (s *stack) createSub(t *testing.T, sub *hookwirev1.Subscription) *hookwirev1.CreateSubscriptionResponse {
	t.Helper()
	resp, err := s.reg.CreateSubscription(s.root(context.Background()), &hookwirev1.CreateSubscriptionRequest{Subscription: sub})
	if err != nil {
		t.Fatalf("create subscription: %v", err)
	}
	return resp
}

// publish publishes a transaction.sale.success at scope.
func (s *stack) publish(t *testing.T, id, scope string) {
	t.Helper()
	_, err := s.ingest.Publish(s.root(context.Background()), &hookwirev1.PublishRequest{Event: &hookwirev1.Event{
		EventId: id, EventType: "transaction.sale.success", Scope: scope,
		Payload: &hookwirev1.Event_DataJson{DataJson: []byte(`{"amount": 1250}`)},
	}})
	if err != nil {
		t.Fatalf("publish %s: %v", id, err)
	}
}

// waitDelivery polls the delivery log until the event has a delivery with
// an attempt and returns it.
func (s *stack) waitDelivery(t *testing.T, eventID string) *hookwirev1.Delivery {
	t.Helper()
	del := hookwirev1.NewDeliveryServiceClient(s.conn)
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := del.ListDeliveries(s.root(context.Background()), &hookwirev1.ListDeliveriesRequest{EventId: eventID})
		if err != nil {
			t.Fatalf("list deliveries of %s: %v", eventID, err)
		}
		if ds := resp.GetDeliveries(); len(ds) > 0 && len(ds[0].GetAttempts()) > 0 {
			return ds[0]
		}
		<-time.After(20 * time.Millisecond) // poll interval: the condition above decides
	}
	t.Fatalf("no delivery of %s with an attempt within 30s", eventID)
	return nil
}

// deliveredWithin reports whether the event has a delivery with an attempt
// within d.
func (s *stack) deliveredWithin(t *testing.T, eventID string, d time.Duration) bool {
	t.Helper()
	del := hookwirev1.NewDeliveryServiceClient(s.conn)
	for deadline := time.Now().Add(d); time.Now().Before(deadline); <-time.After(20 * time.Millisecond) {
		resp, err := del.ListDeliveries(s.root(context.Background()), &hookwirev1.ListDeliveriesRequest{EventId: eventID})
		if err != nil {
			t.Fatalf("list deliveries of %s: %v", eventID, err)
		}
		if ds := resp.GetDeliveries(); len(ds) > 0 && len(ds[0].GetAttempts()) > 0 {
			return true
		}
	}
	return false
}

// indexed returns once the dispatcher delivers to the subscription just
// created at scope, and so to every one created before it (its match index
// follows the subscription bucket in order): an event published before the
// index has it matches nothing. It publishes probe events at scope until
// one is delivered.
func (s *stack) indexed(t *testing.T, scope string) {
	t.Helper()
	for i, deadline := 0, time.Now().Add(30*time.Second); time.Now().Before(deadline); i++ {
		id := fmt.Sprintf("probe-%s-%d", strings.ReplaceAll(scope, "/", "-"), i)
		s.publish(t, id, scope)
		if s.deliveredWithin(t, id, 2*time.Second) {
			return
		}
	}
	t.Fatalf("no probe event at %s was delivered within 30s", scope)
}

// probeScope is where probe subscriptions live: outside every scope the
// tests use, so that probe events reach no other subscription.
const probeScope = "acquirers/999"

// probe creates a subscription at probeScope to rcv and returns once the
// dispatcher delivers to it, so to every subscription created before it.
func (s *stack) probe(t *testing.T, rcv *receiver) {
	t.Helper()
	s.createSub(t, &hookwirev1.Subscription{Label: "Probe", Url: rcv.URL + "/probe", Scope: probeScope, EventTypes: []string{"*"}})
	s.indexed(t, probeScope)
}

// receiver is a subscriber endpoint answering with a status the test sets.
type receiver struct {
	*httptest.Server
	status atomic.Int32
	mu     sync.Mutex
	hits   int
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{}
	r.status.Store(http.StatusNoContent)
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		_, _ = io.Copy(io.Discard, req.Body)
		r.mu.Lock()
		r.hits++
		r.mu.Unlock()
		code := int(r.status.Load())
		w.WriteHeader(code)
		if code >= 300 {
			_, _ = io.WriteString(w, `{"error":"receiver is down"}`)
		}
	}))
	t.Cleanup(r.Close)
	return r
}
