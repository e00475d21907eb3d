package notice

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookwire/hookwire/pkg/testkit"
	"github.com/hookwire/hookwire/services/dispatcher/clock"
	"github.com/hookwire/hookwire/services/dispatcher/mail"
)

// recorder is a sender that records what it was given, failing while fail is
// set. The SMTP conversation itself is tested with a real SMTP server in
// the dispatcher's tests; here the outbox's claims and schedule are.
type recorder struct {
	mu    sync.Mutex
	fail  bool
	sent  []string // Message-ID of every accepted message
	tried int
}

func (o *recorder) Send(_ context.Context, _ []string, msg []byte) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.tried++
	if o.fail {
		return errors.New("421 try later")
	}
	for _, l := range strings.Split(string(msg), "\r\n") {
		if v, ok := strings.CutPrefix(l, "Message-ID: "); ok {
			o.sent = append(o.sent, v)
		}
	}
	return nil
}

func (o *recorder) state() (sent []string, tried int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.sent), o.tried
}

func (o *recorder) setFail(f bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.fail = f
}

type noneHeld struct{}

func (noneHeld) Count(context.Context, string) (int64, error) { return 0, nil }

func suspendedNotice(sub string, rev uint64) mail.Notice {
	return mail.Notice{Kind: mail.Suspended, SubscriptionID: sub, Revision: rev, URL: "https://shop.example/hooks",
		To: []string{"ops@shop.example"}, Reason: "endpoint answered 410 Gone", At: time.Now()}
}

// runners starts n runners over one Redis and one fake clock.
func runners(t *testing.T, n int, s Sender) (*Outbox, *clock.Fake) {
	t.Helper()
	rdb := testkit.StartRedis(t).Client(t)
	c := clock.NewFake(time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC))
	box := NewOutbox(rdb, c)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() })
	for range n {
		r := NewRunner(Deps{Outbox: NewOutbox(rdb, c), Sender: s, Composer: mail.Composer{From: "hookwire@psp.example"},
			Held: noneHeld{}, Clock: c, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, time.Minute)
		wg.Go(func() { _ = r.Run(ctx) })
	}
	return box, c
}

// Four replicas, one notice recorded by each: one e-mail.
func TestOutboxOneSendAcrossReplicas(t *testing.T) {
	s := &recorder{}
	box, c := runners(t, 4, s)
	ctx := context.Background()
	for i := range 4 {
		added, err := box.Add(ctx, suspendedNotice("sub-1", 7))
		if err != nil || added != (i == 0) {
			t.Fatalf("Add #%d = %v, %v", i, added, err)
		}
	}
	testkit.Eventually(t, 10*time.Second, func() bool {
		n, _ := box.Pending(ctx)
		return n == 0
	}, "the notice to be sent")
	c.Advance(time.Hour) // past any lease
	if added, err := box.Add(ctx, suspendedNotice("sub-1", 7)); err != nil || added {
		t.Fatalf("a sent notice was recorded again (%v)", err)
	}
	sent, tried := s.state()
	if tried != 1 || !slices.Equal(sent, []string{"<hookwire.suspended=3asub-1=3a7@psp.example>"}) {
		t.Fatalf("%d attempts, sent %v", tried, sent)
	}
}

// A failing server: the attempts back off (5s, 10s, 20s...), and the
// notice goes once the server accepts.
func TestOutboxBacksOff(t *testing.T) {
	s := &recorder{fail: true}
	box, c := runners(t, 2, s)
	ctx := context.Background()
	if _, err := box.Add(ctx, suspendedNotice("sub-1", 3)); err != nil {
		t.Fatal(err)
	}
	const id = "suspended:sub-1:3"
	for i, wait := range []time.Duration{5 * time.Second, 10 * time.Second, 20 * time.Second, 40 * time.Second} {
		testkit.Eventually(t, 10*time.Second, func() bool {
			n, err := box.rdb.HGet(ctx, KeyPrefix+id, "attempts").Int()
			return err == nil && n == i+1
		}, "failed attempt %d", i+1)
		due, err := box.rdb.ZScore(ctx, QueueKey, id).Result()
		if want := c.Now().Add(wait).UnixMilli(); err != nil || int64(due) != want {
			t.Fatalf("after %d failures due at %d (%v), want %d (+%s)", i+1, int64(due), err, want, wait)
		}
		if i == 3 {
			s.setFail(false)
		}
		c.Advance(wait)
	}
	testkit.Eventually(t, 10*time.Second, func() bool { sent, _ := s.state(); return len(sent) == 1 }, "the e-mail")
	testkit.Eventually(t, 10*time.Second, func() bool { n, _ := box.Pending(ctx); return n == 0 }, "nothing pending")
	if _, tried := s.state(); tried != 5 {
		t.Fatalf("%d attempts, want 5", tried)
	}
	if backoff(100) != maxWait {
		t.Fatalf("backoff(100) = %s", backoff(100))
	}
}

// A recovery never overtakes its suspension: while the suspension cannot be
// sent, neither is the recovery.
func TestOutboxRecoveryFollowsSuspension(t *testing.T) {
	s := &recorder{fail: true}
	box, c := runners(t, 1, s)
	ctx := context.Background()
	if _, err := box.Add(ctx, suspendedNotice("sub-1", 3)); err != nil {
		t.Fatal(err)
	}
	last, ok, err := box.LastSuspension(ctx, "sub-1")
	if err != nil || !ok || last.ID() != "suspended:sub-1:3" {
		t.Fatalf("LastSuspension = %v %v %v", last.ID(), ok, err)
	}
	rec := mail.Notice{Kind: mail.Recovered, SubscriptionID: "sub-1", Revision: 4, To: []string{"ops@shop.example"},
		At: time.Now(), Follows: last.ID()}
	if _, err := box.Add(ctx, rec); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, 10*time.Second, func() bool {
		c.Advance(time.Second)
		_, n := s.state()
		return n >= 3
	}, "attempts at the suspension")
	s.setFail(false)
	testkit.Eventually(t, 10*time.Second, func() bool {
		c.Advance(10 * time.Second)
		sent, _ := s.state()
		return len(sent) == 2
	}, "both e-mails")
	sent, tried := s.state()
	want := []string{"<hookwire.suspended=3asub-1=3a3@psp.example>", "<hookwire.recovered=3asub-1=3a4@psp.example>"}
	if !slices.Equal(sent, want) {
		t.Fatalf("sent %v (%d attempts), want %v in that order", sent, tried, want)
	}
}
