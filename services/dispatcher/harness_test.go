package dispatcher

import (
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/redis/go-redis/v9"

	"github.com/hookwire/hookwire/pkg/bus"
	"github.com/hookwire/hookwire/pkg/seal"
	"github.com/hookwire/hookwire/pkg/signing"
	"github.com/hookwire/hookwire/pkg/subscription"
	"github.com/hookwire/hookwire/pkg/telemetry"
	"github.com/hookwire/hookwire/pkg/testkit"
	"github.com/hookwire/hookwire/services/dispatcher/clock"
	"github.com/hookwire/hookwire/services/dispatcher/fanout"
	"github.com/hookwire/hookwire/services/dispatcher/lane"
	"github.com/hookwire/hookwire/services/dispatcher/park"
	"github.com/hookwire/hookwire/services/dispatcher/retry"
	"github.com/hookwire/hookwire/services/dispatcher/task"
)

// t0 is the fake clock's start.
var t0 = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

// harness is one test's infrastructure: JetStream, redis-server, a fake
// clock, a receiver, and the subscription bucket written directly.
type harness struct {
	t      testing.TB
	ctx    context.Context
	nats   *testkit.NATS
	redis  *testkit.Redis
	js     jetstream.JetStream
	rdb    *redis.Client
	clock  *clock.Fake
	box    *seal.Box
	store  *subscription.Store
	cfg    Config
	rcv    *receiver
	events jetstream.Stream
	last   *instance // the dispatcher started last
	logs   io.Writer // where dispatchers log; nil: the test's output
	// logJSON: dispatchers log JSON lines from INFO up, as in production
	// (telemetry.NewLogger, trace ids included); else text from WARN up.
	logJSON bool
}

func newHarness(t testing.TB, eventsDupWindow time.Duration) *harness {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	h := &harness{t: t, ctx: ctx, nats: testkit.StartNATS(t), redis: testkit.StartRedis(t), clock: clock.NewFake(t0)}
	_, h.js = h.nats.Connect(t)
	h.rdb = h.redis.Client(t)
	key := make([]byte, seal.KeySize)
	for i := range key {
		key[i] = byte(i)
	}
	var err error
	if h.box, err = seal.New(key); err != nil {
		t.Fatal(err)
	}
	if h.store, err = subscription.Open(ctx, h.js, 1); err != nil {
		t.Fatal(err)
	}
	if h.events, err = bus.EnsureEvents(ctx, h.js, bus.EventsConfig(1, eventsDupWindow, time.Hour)); err != nil {
		t.Fatal(err)
	}
	h.cfg = DefaultConfig()
	h.cfg.MasterKey = hex.EncodeToString(key)
	h.cfg.TokensFile = "unused-by-the-service"
	h.cfg.AllowCIDRs = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	h.cfg.DeliveryWorkers, h.cfg.FanoutWorkers = 16, 4
	h.cfg.AckWait, h.cfg.DeliveryTimeout = 2*time.Second, time.Second
	h.cfg.RetryJitter = 0
	h.rcv = newReceiver(t, h.clock)
	return h
}

// instance is one running dispatcher with its own connections.
type instance struct {
	svc    *Service
	nc     *nats.Conn
	rdb    *redis.Client
	cancel context.CancelFunc
	done   chan error
}

// start runs a dispatcher and waits until it consumes.
func (h *harness) start() *instance {
	h.t.Helper()
	nc, err := nats.Connect(h.nats.URL)
	if err != nil {
		h.t.Fatal(err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		h.t.Fatal(err)
	}
	rdb := redis.NewClient(&redis.Options{Addr: h.redis.Addr})
	out := h.logs
	if out == nil {
		out = h.t.Output()
	}
	log := slog.New(slog.NewTextHandler(out, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if h.logJSON {
		log = telemetry.NewLogger(out, slog.LevelInfo, "dispatcher")
	}
	svc, err := New(h.ctx, h.cfg, Deps{JS: js, Redis: rdb, Logger: log, Clock: h.clock})
	if err != nil {
		h.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(h.ctx)
	in := &instance{svc: svc, nc: nc, rdb: rdb, cancel: cancel, done: make(chan error, 1)}
	go func() { in.done <- svc.Run(ctx) }()
	h.t.Cleanup(in.crash)
	h.last = in
	select {
	case <-svc.Ready():
	case err := <-in.done:
		h.t.Fatalf("dispatcher stopped before ready: %v", err)
	case <-h.ctx.Done():
		h.t.Fatal("dispatcher not ready")
	}
	return in
}

// crash stops the dispatcher abruptly: connections closed without draining,
// context cancelled, nothing acknowledged or cleaned up.
func (in *instance) crash() {
	in.nc.Close()
	_ = in.rdb.Close()
	in.cancel()
	<-in.done
	in.done <- nil // later calls return at once
}

// subscribe stores an ACTIVE subscription delivering to the receiver at
// path /<id>, signed with secrets (newest first).
func (h *harness) subscribe(rec subscription.Record, secrets ...string) subscription.Record {
	h.t.Helper()
	rec.URL = h.rcv.srv.URL + "/" + rec.ID
	if rec.Status == "" {
		rec.Status = subscription.StatusActive
	}
	if len(secrets) == 0 {
		s, err := signing.NewSecret()
		if err != nil {
			h.t.Fatal(err)
		}
		secrets = []string{s}
	}
	for _, s := range secrets {
		sealed, err := h.box.Seal([]byte(s), subscription.Place(rec.ID, subscription.FieldSigningSecret))
		if err != nil {
			h.t.Fatal(err)
		}
		rec.Secrets = append(rec.Secrets, subscription.Secret{Sealed: sealed})
	}
	if rec.BasicPassword != "" {
		sealed, err := h.box.Seal([]byte(rec.BasicPassword), subscription.Place(rec.ID, subscription.FieldBasicPassword))
		if err != nil {
			h.t.Fatal(err)
		}
		rec.BasicPassword = sealed
	}
	if _, err := h.store.Create(h.ctx, rec); err != nil {
		h.t.Fatal(err)
	}
	return rec
}

// setStatus changes a subscription's status as the registry would.
func (h *harness) setStatus(id string, st subscription.Status) {
	h.t.Helper()
	if _, _, err := h.store.Update(h.ctx, id, 0, h.clock.Now(), func(r *subscription.Record) error {
		r.Status = st
		return nil
	}); err != nil {
		h.t.Fatal(err)
	}
}

// publish stores an event as ingest does; it returns the broker's ack.
func (h *harness) publish(id, typ, scope string, attrs map[string]string) *jetstream.PubAck {
	h.t.Helper()
	m, err := bus.Message(bus.Event{ID: id, Type: typ, Scope: scope, OccurredAt: t0, Attributes: attrs, Data: []byte(`{"amount":100}`)})
	if err != nil {
		h.t.Fatal(err)
	}
	ack, err := h.js.PublishMsg(h.ctx, m)
	if err != nil {
		h.t.Fatal(err)
	}
	return ack
}

// message is an ach.returned event with a ~1 KiB body.
func (h *harness) message(id string) *nats.Msg {
	h.t.Helper()
	data := fmt.Sprintf(`{"pad":%q}`, strings.Repeat("x", 1000))
	m, err := bus.Message(bus.Event{ID: id, Type: "ach.returned", Scope: "acquirers/1", OccurredAt: t0, Data: []byte(data)})
	if err != nil {
		h.t.Fatal(err)
	}
	return m
}

// waitQuiet waits until both consumers have nothing pending or unacked:
// every event is fanned out and every task settled.
func (h *harness) waitQuiet() {
	h.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		why := h.busy()
		if why == "" {
			return
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("the pipeline did not become quiet within 20s: %s", why)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// busy says what work is still in motion, or "" when none is: a message
// pending, unacknowledged or redelivered on a consumer; a retry due by the
// fake clock; a task held for its lane; a task parked for a subscription
// that is active again (about to be released). Retries due later and
// tasks parked while their subscription rests are waiting, not moving.
func (h *harness) busy() string {
	for _, c := range []struct{ stream, name string }{{bus.EventsStream, fanout.Consumer}, {task.Stream, DeliverConsumer}, {task.Stream, RetryConsumer}} {
		info, err := h.js.Consumer(h.ctx, c.stream, c.name)
		if err != nil {
			return fmt.Sprintf("consumer %s: %v", c.name, err)
		}
		ci, err := info.Info(h.ctx)
		if err != nil {
			return fmt.Sprintf("consumer %s: %v", c.name, err)
		}
		if ci.NumPending != 0 || ci.NumAckPending != 0 || ci.NumRedelivered != 0 {
			return fmt.Sprintf("consumer %s: %d pending, %d ack-pending, %d redelivered", c.name, ci.NumPending, ci.NumAckPending, ci.NumRedelivered)
		}
	}
	now := strconv.FormatInt(h.clock.Now().UnixMilli(), 10)
	if n, err := h.rdb.ZCount(h.ctx, retry.Key, "-inf", now).Result(); err != nil || n != 0 {
		return fmt.Sprintf("%d retries due (%v)", n, err)
	}
	if n, err := h.rdb.SCard(h.ctx, lane.HeldListKey).Result(); err != nil || n != 0 {
		return fmt.Sprintf("%d subscriptions with held tasks (%v)", n, err)
	}
	parked, err := h.rdb.SMembers(h.ctx, park.ListKey).Result()
	if err != nil {
		return fmt.Sprintf("parked subscriptions: %v", err)
	}
	for _, id := range parked {
		n, err := h.rdb.ZCard(h.ctx, park.KeyPrefix+id).Result()
		if err != nil {
			return fmt.Sprintf("parked tasks of %s: %v", id, err)
		}
		if n == 0 {
			continue
		}
		rec, _, err := h.store.Get(h.ctx, id)
		if err != nil || rec.Status == subscription.StatusActive {
			return fmt.Sprintf("%d tasks parked for active subscription %s (%v)", n, id, err)
		}
	}
	return ""
}

// received is one request a receiver got.
type received struct {
	header http.Header
	body   []byte
	at     time.Time // fake clock
	wall   time.Time // real clock
}

// receiver is an HTTP server recording requests per path and answering
// with the status respond returns for the n-th request (1-based) on it.
type receiver struct {
	srv     *httptest.Server
	clock   *clock.Fake
	mu      sync.Mutex
	got     map[string][]received
	respond func(path string, n int) int
	// block, when set, runs before respond and may hold the request (until
	// the client gives up: r.Context()).
	block func(r *http.Request, path string)
}

func newReceiver(t testing.TB, c *clock.Fake) *receiver {
	r := &receiver{clock: c, got: map[string][]received{}, respond: func(string, int) int { return http.StatusOK }}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		path := strings.TrimPrefix(req.URL.Path, "/")
		r.mu.Lock()
		r.got[path] = append(r.got[path], received{header: req.Header.Clone(), body: body, at: r.clock.Now(), wall: time.Now()})
		n, respond, block := len(r.got[path]), r.respond, r.block
		r.mu.Unlock()
		if block != nil {
			block(req, path)
		}
		w.WriteHeader(respond(path, n))
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) setRespond(f func(path string, n int) int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.respond = f
}

// requests returns a copy of what path received.
func (r *receiver) requests(path string) []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.got[path]...)
}

func (r *receiver) count(path string) int { return len(r.requests(path)) }
