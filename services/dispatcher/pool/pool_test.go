package pool

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookwire/hookwire/pkg/testkit"
)

// harness is a stream with one durable pull consumer on a real embedded
// JetStream, and a connection that counts the replies the client dropped
// (nats.ErrSlowConsumer: a pull subscription's buffer was full).
type harness struct {
	js      jetstream.JetStream
	cons    jetstream.Consumer
	dropped atomic.Int64
}

func newHarness(t *testing.T, ackWait time.Duration) *harness {
	t.Helper()
	srv := testkit.StartNATS(t)
	h := &harness{}
	nc, err := nats.Connect(srv.URL, nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
		if errors.Is(err, nats.ErrSlowConsumer) {
			h.dropped.Add(1)
		}
	}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	h.js, err = jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	if _, err := h.js.CreateStream(ctx, jetstream.StreamConfig{Name: "S", Subjects: []string{"s.>"}}); err != nil {
		t.Fatal(err)
	}
	h.cons, err = h.js.CreateOrUpdateConsumer(ctx, "S", jetstream.ConsumerConfig{
		Durable: "c", AckPolicy: jetstream.AckExplicitPolicy, AckWait: ackWait,
	})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func (h *harness) publish(t *testing.T, ids ...int) {
	t.Helper()
	for _, id := range ids {
		if _, err := h.js.Publish(t.Context(), "s.x", fmt.Appendf(nil, "%d", id)); err != nil {
			t.Fatal(err)
		}
	}
}

func (h *harness) info(t *testing.T) *jetstream.ConsumerInfo {
	t.Helper()
	ci, err := h.cons.Info(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return ci
}

// received records what the handler got and acks it.
type received struct {
	mu        sync.Mutex
	bodies    map[string]int
	redeliver int // messages JetStream delivered more than once
}

func (r *received) take(msg jetstream.Msg) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.bodies[string(msg.Data())]++
	if md, err := msg.Metadata(); err == nil && md.NumDelivered > 1 {
		r.redeliver++
	}
	_ = msg.DoubleAck(context.Background()) // acknowledged when counted
}

func (r *received) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.bodies)
}

// TestBlockedHandlersLoseNoPullReplies is the cause of the stepwise
// catch-up (issue 15 item 6): every handler blocks (as the routers do in
// Submit under backpressure) while a pull request is still open at the
// server. With Consumer.Messages its idle heartbeats filled the
// iterator's buffer, and nats.go dropped what came next — the request's
// 408 (so the iterator waited for messages that would never come until it
// missed two heartbeats: the step) and a message published meanwhile (which
// then waited for AckWait). The test asserts the state that rules both
// out: the client dropped nothing, and every message arrived on its first
// delivery.
func TestBlockedHandlersLoseNoPullReplies(t *testing.T) {
	h := newHarness(t, 5*time.Second)
	h.publish(t, 1, 2, 3)
	got := &received{bodies: map[string]int{}}
	first, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, h.cons, Options{Workers: 1, Buffer: 4}, slog.New(slog.DiscardHandler),
			func(_ context.Context, msg jetstream.Msg) {
				once.Do(func() { close(first); <-release })
				got.take(msg)
			})
	}()
	<-first
	// The only handler is blocked. Wait until the request that brought the
	// messages is over at the server, or the client has already dropped a
	// reply of it (the old iterator, whose request outlived its buffer).
	testkit.Eventually(t, 20*time.Second, func() bool {
		return h.dropped.Load() > 0 || h.info(t).NumWaiting == 0
	}, "pull request never ended")
	h.publish(t, 4) // no open request may take it while nobody reads
	close(release)
	testkit.Eventually(t, 30*time.Second, func() bool { return got.count() == 4 }, "not every message handled")
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	if n := h.dropped.Load(); n > 0 {
		t.Errorf("the client dropped pull replies (slow consumer) %d times", n)
	}
	if got.redeliver > 0 {
		t.Errorf("%d messages needed a redelivery (a dropped reply waits for AckWait)", got.redeliver)
	}
	for body, n := range got.bodies {
		if n != 1 {
			t.Errorf("message %s handled %d times", body, n)
		}
	}
}

// TestBacklogDrainsInFullPulls: a backlog published after a quiet period
// (the pool's request waiting at the server) drains completely, each
// message on its first delivery, with nothing dropped by the client and
// nothing left pending or unacknowledged; Progressing fails it if it
// stops for 5 s (a lost pull).
func TestBacklogDrainsInFullPulls(t *testing.T) {
	h := newHarness(t, 30*time.Second)
	got := &received{bodies: map[string]int{}}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, h.cons, Options{Workers: 4, Buffer: 16}, slog.New(slog.DiscardHandler),
			func(_ context.Context, msg jetstream.Msg) { got.take(msg) })
	}()
	// Quiet: the pool's request waits at the server.
	testkit.Eventually(t, 10*time.Second, func() bool { return h.info(t).NumWaiting == 1 }, "no pull waiting")
	const n = 500
	ids := make([]int, n)
	for i := range ids {
		ids[i] = i
	}
	h.publish(t, ids...)
	testkit.Progressing(t, 5*time.Second, func() (int, bool) { c := got.count(); return c, c == n }, "backlog did not drain")
	ci := h.info(t)
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	if ci.NumPending != 0 || ci.NumAckPending != 0 || ci.NumRedelivered != 0 {
		t.Errorf("consumer after the drain: pending %d, ack pending %d, redelivered %d", ci.NumPending, ci.NumAckPending, ci.NumRedelivered)
	}
	if d := h.dropped.Load(); d > 0 || got.redeliver > 0 {
		t.Errorf("dropped replies %d, redelivered messages %d", d, got.redeliver)
	}
}

// TestStopHandsBufferedMessagesToTheHandler: once ctx ends, what the pool
// holds and what its last pull still brings reach the handler with ctx
// ended, after that pull is over, so that nothing is left to AckWait and
// a message handed back does not come back to this pool again and again
// (each redelivery of it into the open pull would be handed back at once).
func TestStopHandsBufferedMessagesToTheHandler(t *testing.T) {
	h := newHarness(t, time.Minute)
	h.publish(t, 1, 2, 3, 4, 5, 6)
	ctx, cancel := context.WithCancel(t.Context())
	var mu sync.Mutex
	handled := map[string]int{}
	acked := 0
	block := make(chan struct{})
	var once sync.Once
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, h.cons, Options{Workers: 1, Buffer: 8}, slog.New(slog.DiscardHandler),
			func(ctx context.Context, msg jetstream.Msg) {
				once.Do(func() { <-block })
				mu.Lock()
				defer mu.Unlock()
				handled[string(msg.Data())]++
				if ctx.Err() != nil {
					_ = msg.Nak()
					return
				}
				acked++
				_ = msg.Ack()
			})
	}()
	testkit.Eventually(t, 10*time.Second, func() bool { return h.info(t).NumAckPending == 6 }, "messages not pulled")
	cancel()
	close(block)
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if acked != 0 || len(handled) != 6 {
		t.Errorf("acked %d, handed back %d distinct messages; want 0 and 6", acked, len(handled))
	}
	for body, n := range handled {
		// The one in the handler when ctx ended was handed back while the
		// last pull was open, and may have come back to it once.
		if n > 2 {
			t.Errorf("message %s handed back %d times", body, n)
		}
	}
}
