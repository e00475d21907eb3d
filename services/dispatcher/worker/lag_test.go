package worker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookwire/hookwire/pkg/bus"
	"github.com/hookwire/hookwire/pkg/testkit"
	"github.com/hookwire/hookwire/services/dispatcher/task"
)

// taggedCluster starts len(tags) clustered JetStream servers, server i
// with placement tag tags[i], and returns a connection to each.
func taggedCluster(t *testing.T, tags []string) []*nats.Conn {
	t.Helper()
	var routes []string
	ports := make([]int, len(tags))
	for i := range ports {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ports[i] = l.Addr().(*net.TCPAddr).Port
		l.Close()
		routes = append(routes, fmt.Sprintf("nats-route://127.0.0.1:%d", ports[i]))
	}
	conns := make([]*nats.Conn, len(tags))
	for i, tag := range tags {
		srv, err := server.NewServer(&server.Options{
			ServerName: fmt.Sprintf("lag-test-%d", i), Host: "127.0.0.1", Port: -1,
			JetStream: true, StoreDir: t.TempDir(), NoLog: true, NoSigs: true, Tags: []string{tag},
			Cluster: server.ClusterOpts{Name: "lag-test", Host: "127.0.0.1", Port: ports[i]},
			Routes:  server.RoutesFromStr(strings.Join(routes, ",")),
		})
		if err != nil {
			t.Fatal(err)
		}
		srv.Start()
		t.Cleanup(func() { srv.Shutdown(); srv.WaitForShutdown() })
		if !srv.ReadyForConnections(10 * time.Second) {
			t.Fatalf("server %d not ready", i)
		}
		// Only this server: a direct get is answered by a replica on the
		// server the client is connected to, when it has one.
		if conns[i], err = nats.Connect(srv.ClientURL(), nats.IgnoreDiscoveredServers()); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(conns[i].Close)
	}
	return conns
}

// A replica that has not caught up answers a direct get with "not found"
// for an event the stream holds. That must be retried, never turned into
// a discarded delivery. The lagging replica here is a mirror that takes
// part in EVENTS' direct gets (MirrorDirect) on the server the worker's
// client is connected to, and never receives the event: a follower that
// stays behind for good.
func TestEventReadFromLaggingReplicaIsRetried(t *testing.T) {
	conns := taggedCluster(t, []string{"events", "events", "events", "lag"})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	js, err := jetstream.New(conns[0])
	if err != nil {
		t.Fatal(err)
	}
	cfg := bus.EventsConfig(3, time.Minute, time.Hour)
	cfg.Placement = &jetstream.Placement{Tags: []string{"events"}}
	if _, err := bus.EnsureStream(ctx, js, cfg); err != nil {
		t.Fatal(err)
	}
	publish := func(id, typ string) uint64 {
		m, err := bus.Message(bus.Event{ID: id, Type: typ, Scope: "acquirers/1", OccurredAt: time.Now(), Data: []byte(`{}`)})
		if err != nil {
			t.Fatal(err)
		}
		ack, err := js.PublishMsg(ctx, m)
		if err != nil {
			t.Fatal(err)
		}
		return ack.Sequence
	}
	old := publish("evt-old", "old.kind")
	lagging := jetstream.StreamConfig{
		Name:      "EVENTS_LAGGING",
		Mirror:    &jetstream.StreamSource{Name: bus.EventsStream, FilterSubject: bus.EventsSubjectPrefix + "old.>"},
		Placement: &jetstream.Placement{Tags: []string{"lag"}}, MirrorDirect: true,
	}
	mirror, err := bus.EnsureStream(ctx, js, lagging)
	if err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, 30*time.Second, func() bool {
		info, err := mirror.Info(ctx)
		return err == nil && info.State.Msgs == 1
	}, "the mirror did not copy the first event")
	seq := publish("evt-new", "new.kind")

	jsLag, err := jetstream.New(conns[3])
	if err != nil {
		t.Fatal(err)
	}
	events, err := jsLag.Stream(ctx, bus.EventsStream)
	if err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, 30*time.Second, func() bool {
		_, err := events.GetMsg(ctx, old)
		return err == nil
	}, "the lagging server's replicas do not serve direct gets")

	// Direct gets go to any member of the stream's direct-get group, the
	// mirror among them: about every other read of the new event meets the
	// lagging replica, which answers "not found". Today's readEvent took
	// that for a deleted event and the delivery was discarded. Each read
	// uses a new worker, so no read is served from the event cache.
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	tk := task.Task{DeliveryID: "d-1", SubscriptionID: "sub-1", EventID: "evt-new", EventSeq: seq}
	lagged, read := 0, 0
	for range 40 {
		w := New(Deps{Events: events, Logger: logger}, Options{})
		ev, err := w.event(ctx, tk)
		switch {
		case errors.Is(err, errEventGone):
			t.Fatalf("a replica's lag became a lost delivery: %v", err)
		case errors.Is(err, errReplicaLag):
			lagged++
		case err != nil:
			t.Fatalf("read through the lagging replica: %v", err)
		case ev.meta.ID != "evt-new":
			t.Fatalf("read event %q, want evt-new", ev.meta.ID)
		default:
			read++
		}
	}
	if lagged == 0 {
		t.Fatalf("the set-up is broken: the lagging replica never answered in 40 reads (%d read)", read)
	}
	t.Logf("40 reads: %d met the lagging replica and are to be retried, %d read the event", lagged, read)
	w := New(Deps{Events: events, Logger: logger}, Options{})
	// The replica goes away (or catches up): the retry reads the event.
	if err := js.DeleteStream(ctx, lagging.Name); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, 30*time.Second, func() bool {
		ev, err := w.event(ctx, tk)
		return err == nil && ev.meta.ID == "evt-new"
	}, "the event was not read once the lagging replica was gone")

	// An event the stream really lost (purged here, as max age expires
	// it) is gone.
	if err := events.Purge(ctx); err != nil {
		t.Fatal(err)
	}
	gone := task.Task{DeliveryID: "d-2", SubscriptionID: "sub-1", EventID: "evt-old", EventSeq: old}
	if _, err := w.event(ctx, gone); !errors.Is(err, errEventGone) {
		t.Fatalf("read of a purged event: %v, want %v", err, errEventGone)
	}
}
