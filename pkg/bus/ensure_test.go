package bus

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookwire/hookwire/pkg/testkit"
)

// Services started together on a fresh 3-node cluster each create the
// same R3 streams and buckets at the same moment; every one of them must
// come up with the stream in place. Each round uses new names, so every
// round is a first creation.
func TestEnsureConcurrentCreatorsConverge(t *testing.T) {
	urls := testkit.StartCluster(t, 3)
	const creators, rounds = 4, 2
	js := make([]jetstream.JetStream, creators)
	for i := range js {
		_, js[i] = testkit.ConnectURL(t, urls[i%len(urls)])
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for r := range rounds {
		stream := EventsConfig(3, time.Minute, time.Hour)
		stream.Name = fmt.Sprintf("EVENTS_%d", r)
		stream.Subjects = []string{fmt.Sprintf("round%d.>", r)}
		bucket := jetstream.KeyValueConfig{Bucket: fmt.Sprintf("bucket_%d", r), History: 1, Replicas: 3, Storage: jetstream.FileStorage}
		var wg sync.WaitGroup
		errs := make([]error, 2*creators)
		for i := range creators {
			wg.Go(func() {
				_, errs[2*i] = EnsureStream(ctx, js[i], stream)
			})
			wg.Go(func() {
				_, errs[2*i+1] = EnsureKeyValue(ctx, js[i], bucket)
			})
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatalf("round %d: concurrent creators failed: %v", r, err)
		}
		info, err := js[0].Stream(ctx, stream.Name)
		if err != nil {
			t.Fatalf("round %d: %v", r, err)
		}
		if got := info.CachedInfo().Config.Replicas; got != 3 {
			t.Fatalf("round %d: stream has %d replicas, want 3", r, got)
		}
		kv, err := js[0].KeyValue(ctx, bucket.Bucket)
		if err != nil {
			t.Fatalf("round %d: %v", r, err)
		}
		if _, err := kv.Put(ctx, "k", []byte("v")); err != nil {
			t.Fatalf("round %d: put: %v", r, err)
		}
	}
}

// A configuration error is not retried: the opener reports it at once.
func TestEnsurePermanentErrorFailsFast(t *testing.T) {
	n := testkit.StartNATS(t)
	_, js := n.Connect(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	start := time.Now()
	_, err := EnsureStream(ctx, js, jetstream.StreamConfig{Name: "BAD", Subjects: []string{"bad.>"}, Replicas: 3})
	if err == nil {
		t.Fatal("an R3 stream on a single server was created")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("a permanent error took %s to report: %v", d, err)
	}
}

func TestTransient(t *testing.T) {
	for _, c := range []struct {
		err  error
		want bool
	}{
		{context.DeadlineExceeded, true},
		{fmt.Errorf("wrapped: %w", nats.ErrTimeout), true},
		{nats.ErrNoResponders, true},
		{jetstream.ErrStreamNameAlreadyInUse, true},
		{&jetstream.APIError{Code: 503, ErrorCode: 10008, Description: "JetStream system temporarily unavailable"}, true},
		{&jetstream.APIError{Code: 400, ErrorCode: 10005, Description: "no suitable peers for placement"}, true},
		{&jetstream.APIError{Code: 400, ErrorCode: 10052, Description: "stream configuration invalid"}, false},
		{context.Canceled, false},
		{errors.New("something else"), false},
	} {
		if got := Transient(c.err); got != c.want {
			t.Errorf("Transient(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}

// A lookup that fails in passing (here: JetStream not yet enabled on the
// server, as on a node still joining a fresh cluster) is retried until it
// succeeds; the dispatcher's EVENTS lookup failed its start on it before.
// A stream that does not exist is created; one that exists is returned as
// its owner made it, not changed to cfg.
func TestFindOrCreateStreamWaitsForJetStream(t *testing.T) {
	srv, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, NoLog: true, NoSigs: true})
	if err != nil {
		t.Fatal(err)
	}
	srv.Start()
	t.Cleanup(srv.Shutdown)
	if !srv.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats server not ready")
	}
	nc, err := nats.Connect(srv.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := js.Stream(ctx, EventsStream); err == nil || !Transient(err) {
		t.Fatalf("lookup without JetStream: %v, want a passing failure", err)
	}
	cfg := EventsConfig(1, time.Minute, time.Hour)
	found := make(chan error, 1)
	go func() {
		_, err := FindOrCreateStream(ctx, js, cfg)
		found <- err
	}()
	// Enable JetStream only once the finder has failed at least once: its
	// second lookup (the test's own was the first message) is sent only
	// after its first failed.
	testkit.Eventually(t, 10*time.Second, func() bool {
		return nc.Stats().OutMsgs >= 3
	}, "the finder to try twice")
	if err := srv.EnableJetStream(&server.JetStreamConfig{StoreDir: t.TempDir()}); err != nil {
		t.Fatal(err)
	}
	if err := <-found; err != nil {
		t.Fatalf("FindOrCreateStream: %v", err)
	}
	// It exists now: found as it is, not updated to another config.
	other := cfg
	other.MaxAge = 2 * time.Hour
	s, err := FindOrCreateStream(ctx, js, other)
	if err != nil {
		t.Fatal(err)
	}
	if got := s.CachedInfo().Config.MaxAge; got != time.Hour {
		t.Fatalf("existing stream's MaxAge = %s, want %s (left as its owner made it)", got, time.Hour)
	}
	if _, err := FindStream(ctx, js, "NOPE"); !errors.Is(err, jetstream.ErrStreamNotFound) {
		t.Fatalf("FindStream of a missing stream: %v, want ErrStreamNotFound at once", err)
	}
}
