package deliveryapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	"github.com/hookwire/hookwire/pkg/auth"
	"github.com/hookwire/hookwire/pkg/bus"
	hookwirev1 "github.com/hookwire/hookwire/pkg/gen/hookwire/v1"
	"github.com/hookwire/hookwire/pkg/grpcserver"
	"github.com/hookwire/hookwire/pkg/subscription"
	"github.com/hookwire/hookwire/pkg/testkit"
	"github.com/hookwire/hookwire/services/dispatcher/deliveryapi"
	"github.com/hookwire/hookwire/services/dispatcher/deliverylog"
	"github.com/hookwire/hookwire/services/dispatcher/task"
)

// Tokens of the test server.
const (
	rootToken   = "tok-root"   // read + manage everywhere
	acq100Token = "tok-acq100" // read + manage under acquirers/100
	acq200Token = "tok-acq200" // read + manage under acquirers/200
	readerToken = "tok-reader" // read only, everywhere
	saleType    = "transaction.sale.success"
)

type env struct {
	js     jetstream.JetStream
	log    *deliverylog.Log
	subs   *subscription.Store
	events jetstream.Stream
	queue  *task.Queue
	client hookwirev1.DeliveryServiceClient
}

func startEnv(t *testing.T, logOpts ...deliverylog.Option) *env {
	t.Helper()
	_, js := testkit.StartNATS(t).Connect(t)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	e := &env{js: js}
	var err error
	if e.log, err = deliverylog.Open(ctx, js, deliverylog.Config{Retention: time.Hour, Replicas: 1}, logOpts...); err != nil {
		t.Fatal(err)
	}
	if e.subs, err = subscription.Open(ctx, js, 1); err != nil {
		t.Fatal(err)
	}
	if e.events, err = bus.EnsureEvents(ctx, js, bus.EventsConfig(1, time.Minute, 24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if e.queue, err = task.OpenQueue(ctx, js, task.QueueConfig{}); err != nil {
		t.Fatal(err)
	}
	authn, err := auth.Parse(fmt.Appendf(nil, `{"tokens":[
		{"name":"root","sha256":%q,"scope":"","permissions":["read","manage"]},
		{"name":"acq100","sha256":%q,"scope":"acquirers/100","permissions":["read","manage"]},
		{"name":"acq200","sha256":%q,"scope":"acquirers/200","permissions":["read","manage"]},
		{"name":"reader","sha256":%q,"scope":"","permissions":["read"]}]}`,
		auth.HashToken(rootToken), auth.HashToken(acq100Token), auth.HashToken(acq200Token), auth.HashToken(readerToken)))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := grpcserver.New("127.0.0.1:0", grpcserver.Interceptors(authn, deliveryapi.AuthRules())...)
	if err != nil {
		t.Fatal(err)
	}
	deliveryapi.New(deliveryapi.Deps{Log: e.log, Subscriptions: e.subs, Events: e.events, Enqueuer: e.queue,
		Logger: slog.New(slog.DiscardHandler)}).Register(srv.GRPC)
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	conn, err := grpc.NewClient(srv.Addr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	e.client = hookwirev1.NewDeliveryServiceClient(conn)
	return e
}

func as(token string) context.Context {
	return metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+token)
}

// subscribe stores an ACTIVE subscription.
func (e *env) subscribe(t *testing.T, id, scope string, types []string, filters map[string][]string) {
	t.Helper()
	rec := subscription.Record{ID: id, URL: "https://example.test/" + id, EventTypes: types, Scope: scope,
		Filters: filters, Status: subscription.StatusActive, CreatedAt: time.Now(), UpdatedAt: time.Now()}
	if _, err := e.subs.Create(context.Background(), rec); err != nil {
		t.Fatal(err)
	}
}

// record stores a delivery with one attempt in state st, as the worker
// does: with its subscription's scope (the root for a subscription that
// does not exist).
func (e *env) record(t *testing.T, subID, eventID, scope string, seq uint64, st deliverylog.State) deliverylog.Delivery {
	t.Helper()
	var subScope string
	if rec, _, err := e.subs.Get(context.Background(), subID); err == nil {
		subScope = rec.Scope
	}
	d, err := e.log.RecordAttempt(context.Background(),
		deliverylog.Delivery{SubscriptionID: subID, EventID: eventID, EventType: saleType, Scope: scope, SubscriptionScope: subScope, EventSeq: seq},
		deliverylog.Attempt{Number: 1, StartedAt: time.Now(), Status: 500, Trigger: deliverylog.TriggerScheduled},
		st, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// recordOwned writes a failed delivery that records its subscription's scope.
func (e *env) recordOwned(t *testing.T, subID, eventID, eventScope, subScope string) deliverylog.Delivery {
	t.Helper()
	d, err := e.log.RecordAttempt(context.Background(),
		deliverylog.Delivery{SubscriptionID: subID, EventID: eventID, EventType: saleType, Scope: eventScope, SubscriptionScope: subScope, EventSeq: 1},
		deliverylog.Attempt{Number: 1, StartedAt: time.Now(), Status: 500, Trigger: deliverylog.TriggerScheduled},
		deliverylog.Failed, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// publish stores an event in EVENTS and returns its sequence and time.
func (e *env) publish(t *testing.T, ev bus.Event) (uint64, time.Time) {
	t.Helper()
	if ev.Data == nil {
		ev.Data = json.RawMessage(`{}`)
	}
	m, err := bus.Message(ev)
	if err != nil {
		t.Fatal(err)
	}
	ack, err := e.js.PublishMsg(context.Background(), m)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := e.events.GetMsg(context.Background(), ack.Sequence)
	if err != nil {
		t.Fatal(err)
	}
	return ack.Sequence, raw.Time
}

// tasks reads every task waiting in DELIVERIES (nobody consumes it here).
func (e *env) tasks(t *testing.T) []task.Task {
	t.Helper()
	ctx := context.Background()
	info, err := e.queue.Stream().Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var out []task.Task
	for seq := info.State.FirstSeq; info.State.Msgs > 0 && seq <= info.State.LastSeq; seq++ {
		m, err := e.queue.Stream().GetMsg(ctx, seq)
		if err != nil {
			t.Fatalf("read task %d: %v", seq, err)
		}
		tk, err := task.Decode(m.Data)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, tk)
	}
	return out
}
