package ingest_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/hookwire/hookwire/pkg/bus"
	hookwirev1 "github.com/hookwire/hookwire/pkg/gen/hookwire/v1"
	"github.com/hookwire/hookwire/services/ingest"
)

// unanswered takes EVENTS away and puts a subscriber that never answers
// on its subjects, as a stream without a leader looks to a publisher (the
// request goes out; no ack comes back). It returns how many publishes the
// subscriber saw, and a func giving the stream back.
func unanswered(t *testing.T, e *env, cfg ingest.Config) (*atomic.Int32, func()) {
	t.Helper()
	ctx := context.Background()
	if err := e.js.DeleteStream(ctx, bus.EventsStream); err != nil {
		t.Fatal(err)
	}
	nc, _ := e.nats.Connect(t)
	var seen atomic.Int32
	sub, err := nc.Subscribe(bus.EventsSubjectPrefix+">", func(*nats.Msg) { seen.Add(1) })
	if err != nil {
		t.Fatal(err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	return &seen, func() {
		if err := sub.Unsubscribe(); err != nil {
			t.Error(err)
		}
		_ = nc.Flush()
		if _, err := bus.EnsureEvents(ctx, e.js, bus.EventsConfig(1, cfg.DuplicateWindow, cfg.EventsMaxAge)); err != nil {
			t.Error(err)
		}
	}
}

// TestPublishHonoursAckTimeout: with no ack coming, the unary and the
// streaming publish answer Unavailable once the ack timeout has passed,
// not at the client's (30 s) deadline.
func TestPublishHonoursAckTimeout(t *testing.T) {
	cfg := ingest.DefaultConfig()
	cfg.AckTimeout = time.Second
	e := startEnv(t, envOpts{cfg: func(c *ingest.Config) { c.AckTimeout = cfg.AckTimeout }})
	unanswered(t, e, cfg)
	start := time.Now()
	_, err := e.client.Publish(as(t, rootToken), &hookwirev1.PublishRequest{Event: validEvent("evt-no-ack")})
	if took := time.Since(start); status.Code(err) != codes.Unavailable || took > 4*cfg.AckTimeout {
		t.Fatalf("unary: %v after %s, want Unavailable within about %s", err, took, cfg.AckTimeout)
	}
	start = time.Now()
	r := publishAll(t, as(t, rootToken), e.client, []*hookwirev1.Event{validEvent("evt-no-ack-stream")})[0]
	if took := time.Since(start); r.GetError().GetCode() != int32(codes.Unavailable) || took > 4*cfg.AckTimeout {
		t.Fatalf("stream: %v after %s, want Unavailable within about %s", r, took, cfg.AckTimeout)
	}
}

// TestPublishRetriesUntilTheStreamAnswers: a publish made while EVENTS
// does not answer (a leader election) is retried, and stored once the
// stream is back, within the ack timeout.
func TestPublishRetriesUntilTheStreamAnswers(t *testing.T) {
	cfg := ingest.DefaultConfig()
	e := startEnv(t, envOpts{})
	seen, restore := unanswered(t, e, cfg)
	done := make(chan error, 1)
	var resp *hookwirev1.PublishResponse
	go func() {
		var err error
		resp, err = e.client.Publish(as(t, rootToken), &hookwirev1.PublishRequest{Event: validEvent("evt-election")})
		done <- err
	}()
	deadline := time.After(5 * time.Second)
	for seen.Load() == 0 {
		select {
		case err := <-done:
			t.Fatalf("publish answered %v before the stream was back", err)
		case <-deadline:
			t.Fatal("the publish never reached the stream's subject")
		case <-time.After(10 * time.Millisecond):
		}
	}
	restore()
	select {
	case err := <-done:
		if err != nil || resp.GetDuplicate() || resp.GetSequence() == 0 {
			t.Fatalf("publish after the stream came back: %v, %v", resp, err)
		}
	case <-time.After(cfg.AckTimeout + 5*time.Second):
		t.Fatal("publish not answered within the ack timeout")
	}
	if n := e.storedCount(t); n != 1 {
		t.Fatalf("%d events stored, want 1", n)
	}
}
