package registry_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/hookwire/hookwire/pkg/auth"
	"github.com/hookwire/hookwire/pkg/badrequest"
	"github.com/hookwire/hookwire/pkg/catalog"
	hookwirev1 "github.com/hookwire/hookwire/pkg/gen/hookwire/v1"
	"github.com/hookwire/hookwire/pkg/grpcserver"
	"github.com/hookwire/hookwire/pkg/seal"
	"github.com/hookwire/hookwire/pkg/subscription"
	"github.com/hookwire/hookwire/pkg/testkit"
	"github.com/hookwire/hookwire/services/registry"
)

const testMasterKey = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

// Tokens of the test tokens file: root, two acquirers, a read-only one.
const (
	rootToken   = "root-token"
	acq100Token = "acq100-token"
	acq200Token = "acq200-token"
	readerToken = "reader-token"
)

func tokensFile() []byte {
	tok := func(name, token, sc string, perms ...string) map[string]any {
		return map[string]any{"name": name, "sha256": auth.HashToken(token), "scope": sc, "permissions": perms}
	}
	b, _ := json.Marshal(map[string]any{"tokens": []any{
		tok("root", rootToken, "", "manage", "read"),
		tok("acq100", acq100Token, "acquirers/100", "manage", "read"),
		tok("acq200", acq200Token, "acquirers/200", "manage", "read"),
		tok("reader", readerToken, "", "read"),
	}})
	return b
}

// env is a registry served over real gRPC on an embedded JetStream.
type env struct {
	nats   *testkit.NATS
	js     jetstream.JetStream
	cfg    registry.Config
	client hookwirev1.RegistryServiceClient
	stop   func() // stops the service and its server; idempotent
}

func testConfig() registry.Config {
	cfg := registry.DefaultConfig()
	cfg.MasterKey = testMasterKey
	cfg.TokensFile = "tokens.json" // authenticator built from tokensFile()
	cfg.GRPCAddr = "127.0.0.1:0"
	return cfg
}

func start(t *testing.T, edit ...func(*registry.Config)) *env {
	t.Helper()
	return startOn(t, testkit.StartNATS(t), edit...)
}

func startOn(t *testing.T, n *testkit.NATS, edit ...func(*registry.Config)) *env {
	t.Helper()
	cfg := testConfig()
	cfg.CatalogFile = referenceFile(t)
	for _, e := range edit {
		e(&cfg)
	}
	_, js := n.Connect(t)
	ctx, cancel := context.WithCancel(context.Background())
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc, err := registry.New(ctx, cfg, registry.Deps{JS: js, Logger: log})
	if err != nil {
		cancel()
		t.Fatalf("registry.New: %v", err)
	}
	authn, err := auth.Parse(tokensFile())
	if err != nil {
		t.Fatal(err)
	}
	srv, err := grpcserver.New(cfg.GRPCAddr, grpcserver.Interceptors(authn, svc.AuthRules())...)
	if err != nil {
		t.Fatal(err)
	}
	svc.Register(srv.GRPC)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); _ = srv.Run(ctx) }()
	go func() {
		defer wg.Done()
		if err := svc.Run(ctx); err != nil && ctx.Err() == nil {
			t.Errorf("registry Run: %v", err)
		}
	}()
	conn, err := grpc.NewClient(srv.Addr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	stop := func() {
		once.Do(func() {
			_ = conn.Close()
			cancel()
			wg.Wait()
		})
	}
	t.Cleanup(stop)
	return &env{nats: n, js: js, cfg: cfg, client: hookwirev1.NewRegistryServiceClient(conn), stop: stop}
}

// as returns a context calling with token and optional extra metadata pairs.
func as(t *testing.T, token string, kv ...string) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	t.Cleanup(cancel)
	md := metadata.Pairs(kv...)
	if token != "" {
		md.Set("authorization", "Bearer "+token)
	}
	return metadata.NewOutgoingContext(ctx, md)
}

// validSub is a subscription every rule accepts.
func validSub(sc string) *hookwirev1.Subscription {
	return &hookwirev1.Subscription{
		Label:      "orders",
		Url:        "https://example.com/hooks",
		EventTypes: []string{"transaction.sale.*", "ach.returned"},
		Scope:      sc,
	}
}

func create(t *testing.T, e *env, token string, sub *hookwirev1.Subscription) *hookwirev1.CreateSubscriptionResponse {
	t.Helper()
	resp, err := e.client.CreateSubscription(as(t, token), &hookwirev1.CreateSubscriptionRequest{Subscription: sub})
	if err != nil {
		t.Fatalf("CreateSubscription: %v", err)
	}
	return resp
}

func wantCode(t *testing.T, err error, code codes.Code) {
	t.Helper()
	if status.Code(err) != code {
		t.Fatalf("error = %v, want code %s", err, code)
	}
}

// wantField asserts an InvalidArgument naming field.
func wantField(t *testing.T, err error, field string) {
	t.Helper()
	wantCode(t, err, codes.InvalidArgument)
	fields := badrequest.FieldsOf(err)
	for _, f := range fields {
		if f == field {
			return
		}
	}
	t.Fatalf("violations %v do not name %q (error %v)", fields, field, err)
}

// rawRecord reads a subscription straight from the bucket.
func rawRecord(t *testing.T, e *env, id string) subscription.Record {
	t.Helper()
	kv, err := e.js.KeyValue(context.Background(), subscription.Bucket)
	if err != nil {
		t.Fatal(err)
	}
	entry, err := kv.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := subscription.Decode(entry.Value())
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

// open unseals a stored value of subscription id's field with the test
// master key.
func open(t *testing.T, id, field, sealed string) string {
	t.Helper()
	key, _ := seal.ParseKey(testMasterKey)
	box, err := seal.New(key)
	if err != nil {
		t.Fatal(err)
	}
	b, err := box.Open(sealed, subscription.Place(id, field))
	if err != nil {
		t.Fatalf("open %q: %v", sealed, err)
	}
	return string(b)
}

// rawValues returns every value of a bucket as text.
func rawValues(t *testing.T, e *env, bucket string) string {
	t.Helper()
	ctx := context.Background()
	kv, err := e.js.KeyValue(ctx, bucket)
	if err != nil {
		t.Fatal(err)
	}
	lister, err := kv.ListKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var sb strings.Builder
	for k := range lister.Keys() {
		entry, err := kv.Get(ctx, k)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&sb, "%s=%s\n", k, entry.Value())
	}
	return sb.String()
}

// referenceFile writes the reference catalog as a HOOKWIRE_CATALOG_FILE.
func referenceFile(t *testing.T) string {
	t.Helper()
	types, err := catalog.Reference()
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(types)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "catalog.json")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
