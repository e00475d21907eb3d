package ingest_test

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/hookwire/hookwire/pkg/auth"
	"github.com/hookwire/hookwire/pkg/bus"
	"github.com/hookwire/hookwire/pkg/catalog"
	hookwirev1 "github.com/hookwire/hookwire/pkg/gen/hookwire/v1"
	"github.com/hookwire/hookwire/pkg/grpcserver"
	"github.com/hookwire/hookwire/pkg/testkit"
	"github.com/hookwire/hookwire/services/ingest"
)

// Tokens of the test server.
const (
	rootToken   = "tok-root"   // publish at every scope
	acqToken    = "tok-acq100" // publish under acquirers/100
	acq10Token  = "tok-acq10"  // publish under acquirers/10 (another tenant)
	readerToken = "tok-reader" // read only
	saleType    = "transaction.sale.success"
)

type env struct {
	nats   *testkit.NATS
	redis  *testkit.Redis
	rdb    *redis.Client
	js     jetstream.JetStream
	cat    *catalog.Catalog
	svc    *ingest.Service
	addr   string
	client hookwirev1.IngestServiceClient
}

type envOpts struct {
	noRun  bool // do not run the service (catalog never loads)
	cfg    func(*ingest.Config)
	logger *slog.Logger // default: discard
}

func startEnv(t testing.TB, o envOpts) *env {
	t.Helper()
	n := testkit.StartNATS(t)
	_, js := n.Connect(t)
	rs := testkit.StartRedis(t)
	rdb := rs.Client(t)
	ctx, cancel := context.WithCancel(context.Background())
	cfg := ingest.DefaultConfig()
	cfg.GRPCAddr = "127.0.0.1:0"
	cfg.Dev = true
	if o.cfg != nil {
		o.cfg(&cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	logger := o.logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	svc, err := ingest.New(ctx, cfg, ingest.Deps{JS: js, Redis: rdb, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	cat, err := catalog.Open(ctx, js, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := cat.Create(ctx, catalog.EventType{Name: saleType, CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	authn, err := auth.Parse(fmt.Appendf(nil, `{"tokens":[
		{"name":"root","sha256":%q,"scope":"","permissions":["publish"]},
		{"name":"acq100","sha256":%q,"scope":"acquirers/100","permissions":["publish"]},
		{"name":"acq10","sha256":%q,"scope":"acquirers/10","permissions":["publish"]},
		{"name":"reader","sha256":%q,"scope":"","permissions":["read"]}]}`,
		auth.HashToken(rootToken), auth.HashToken(acqToken), auth.HashToken(acq10Token), auth.HashToken(readerToken)))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := grpcserver.New(cfg.GRPCAddr, grpcserver.Interceptors(authn, svc.AuthRules())...)
	if err != nil {
		t.Fatal(err)
	}
	svc.Register(srv.GRPC)
	done := make(chan struct{}, 2)
	go func() { _ = srv.Run(ctx); done <- struct{}{} }()
	running := 1
	if !o.noRun {
		running++
		go func() { _ = svc.Run(ctx); done <- struct{}{} }()
		select {
		case <-svc.Ready():
		case <-time.After(10 * time.Second):
			t.Fatal("catalog not loaded in 10s")
		}
	}
	t.Cleanup(func() {
		cancel()
		for range running {
			<-done
		}
	})
	conn, err := grpc.NewClient(srv.Addr(), grpc.WithTransportCredentials(insecure.NewCredentials()), grpc.WithStatsHandler(otelgrpc.NewClientHandler()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return &env{nats: n, redis: rs, rdb: rdb, js: js, cat: cat, svc: svc, addr: srv.Addr(), client: hookwirev1.NewIngestServiceClient(conn)}
}

// as returns a context carrying token (bounded by the test's lifetime).
func as(t testing.TB, token string) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	if token == "" {
		return ctx
	}
	return metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+token)
}

// storedCount is the number of messages in EVENTS.
func (e *env) storedCount(t testing.TB) uint64 {
	t.Helper()
	s, err := e.js.Stream(context.Background(), bus.EventsStream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return info.State.Msgs
}

// validEvent is an event every rule accepts.
func validEvent(id string) *hookwirev1.Event {
	return &hookwirev1.Event{
		EventId:    id,
		EventType:  saleType,
		Scope:      "acquirers/100/merchants/2000",
		OccurredAt: timestamppb.New(time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)),
		Attributes: map[string]string{"payment_method": "CARD"},
		Payload:    &hookwirev1.Event_DataJson{DataJson: []byte(`{"amount": 1250, "currency": "EUR"}`)},
	}
}
