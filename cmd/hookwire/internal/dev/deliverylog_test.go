package dev

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/timestamppb"

	hookwirev1 "github.com/hookwire/hookwire/pkg/gen/hookwire/v1"
	"github.com/hookwire/hookwire/pkg/testkit"
	"github.com/hookwire/hookwire/services/dispatcher"
	"github.com/hookwire/hookwire/services/dispatcher/deliverylog"
)

// With Options.DeliveryLogURL the dev stack keeps its delivery log on that
// PostgreSQL: the migrations are applied at start, a delivery and its
// attempt land in PostgreSQL's tables, DeliveryService reads them back, and
// the embedded store (the KV bucket) is not used.
func TestDevDeliveryLogOnPostgres(t *testing.T) {
	pg := testkit.StartPostgres(t)
	url := pg.NewDatabase(t)
	rcv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer rcv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	st, err := Start(ctx, Options{GRPCAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:0", DataDir: t.TempDir(),
		DeliveryLogURL: url, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- st.Run(runCtx) }()
	defer func() { stop(); <-done }()
	if err := st.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	if got := st.DeliveryLog(); got != "PostgreSQL "+pgHostDB(t, url) {
		t.Errorf("DeliveryLog() = %q", got)
	}

	db, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(context.Background())
	var migrations int
	if err := db.QueryRow(ctx, `SELECT count(*) FROM hookwire_schema_migrations`).Scan(&migrations); err != nil || migrations == 0 {
		t.Fatalf("migrations applied at start: %d (%v)", migrations, err)
	}

	conn, err := grpc.NewClient(st.GRPCAddr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	created, err := hookwirev1.NewRegistryServiceClient(conn).CreateSubscription(ctx, &hookwirev1.CreateSubscriptionRequest{
		Subscription: &hookwirev1.Subscription{Url: rcv.URL + "/hooks", EventTypes: []string{"transaction.sale.success"}}})
	if err != nil {
		t.Fatal(err)
	}
	subID := created.GetSubscription().GetId()
	disp := st.services[2].(*dispatcher.Service)
	testkit.Eventually(t, 10*time.Second, func() bool { _, ok := disp.Index().Get(subID); return ok },
		"the dispatcher to index the subscription")
	_, err = hookwirev1.NewIngestServiceClient(conn).Publish(ctx, &hookwirev1.PublishRequest{Event: &hookwirev1.Event{
		EventId: "evt_dev_pg", EventType: "transaction.sale.success", Scope: "acquirers/100",
		OccurredAt: timestamppb.Now(), Payload: &hookwirev1.Event_DataJson{DataJson: []byte(`{"amount":1}`)},
	}})
	if err != nil {
		t.Fatal(err)
	}

	var id, state string
	var status int
	testkit.Eventually(t, 20*time.Second, func() bool {
		err := db.QueryRow(ctx, `SELECT d.id, d.state, a.status FROM deliveries d
			JOIN delivery_attempts a ON a.delivery_id = d.id AND a.created_at = d.created_at
			WHERE d.subscription_id = $1 AND d.event_id = 'evt_dev_pg'`, subID).Scan(&id, &state, &status)
		return err == nil && state == string(deliverylog.Delivered)
	}, "the delivery DELIVERED in PostgreSQL's deliveries table")
	if status != http.StatusOK {
		t.Fatalf("attempt status %d, want 200", status)
	}
	got, err := hookwirev1.NewDeliveryServiceClient(conn).ListDeliveries(ctx, &hookwirev1.ListDeliveriesRequest{SubscriptionId: subID})
	if err != nil || len(got.GetDeliveries()) != 1 || got.GetDeliveries()[0].GetId() != id {
		t.Fatalf("ListDeliveries = %v (%v), want the delivery %s", got.GetDeliveries(), err, id)
	}
	js, err := jetstream.New(st.nc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.KeyValue(ctx, deliverylog.Bucket); !errors.Is(err, jetstream.ErrBucketNotFound) {
		t.Fatalf("the embedded store's bucket %s exists (%v): the delivery log is not only on PostgreSQL", deliverylog.Bucket, err)
	}
}

func pgHostDB(t *testing.T, url string) string {
	t.Helper()
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%s:%d/%s", cfg.Host, cfg.Port, cfg.Database)
}
