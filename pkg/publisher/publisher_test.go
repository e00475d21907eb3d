package publisher_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/hookwire/hookwire/pkg/badrequest"
	hookwirev1 "github.com/hookwire/hookwire/pkg/gen/hookwire/v1"
	"github.com/hookwire/hookwire/pkg/publisher"
	"github.com/hookwire/hookwire/pkg/testkit"
)

func dial(t *testing.T, addr string, opts ...publisher.Option) *publisher.Client {
	t.Helper()
	opts = append([]publisher.Option{publisher.WithInsecure(), publisher.WithBackoff(time.Millisecond, 5*time.Millisecond)}, opts...)
	c, err := publisher.Dial(context.Background(), addr, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func event(id string) *hookwirev1.Event {
	return &hookwirev1.Event{EventId: id, EventType: "transaction.sale.success", Payload: &hookwirev1.Event_DataJson{DataJson: []byte(`{}`)}}
}

func TestPublishRetries(t *testing.T) {
	tests := []struct {
		id           string
		fails, max   int
		wantCode     codes.Code
		wantAttempts int
	}{
		{"flaky-1", 2, 3, codes.OK, 3},
		{"busy-1", 2, 3, codes.OK, 3},
		{"flaky-2", 10, 2, codes.Unavailable, 3},
		{"flaky-3", 1, 0, codes.Unavailable, 1},
		{"bad-1", 0, 5, codes.InvalidArgument, 1},
		{"plain-1", 0, 5, codes.OK, 1},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			srv := &ingest{fails: tt.fails}
			c := dial(t, startIngest(t, srv), publisher.WithMaxRetries(tt.max))
			resp, err := c.Publish(testCtx(t), event(tt.id))
			if status.Code(err) != tt.wantCode {
				t.Fatalf("code %v (%v), want %v", status.Code(err), err, tt.wantCode)
			}
			if err == nil && resp.GetEventId() != tt.id {
				t.Fatalf("response %v", resp)
			}
			if got := srv.attemptsOf(tt.id); got != tt.wantAttempts {
				t.Fatalf("%d attempts, want %d", got, tt.wantAttempts)
			}
		})
	}
}

func TestPublishKeepsFieldViolations(t *testing.T) {
	c := dial(t, startIngest(t, &ingest{}))
	_, err := c.Publish(testCtx(t), event("bad-2"))
	if !slices.Equal(badrequest.FieldsOf(err), []string{"event.event_id"}) {
		t.Fatalf("fields of %v", err)
	}
}

func TestPublishStopsWhenContextEnds(t *testing.T) {
	srv := &ingest{}
	c := dial(t, startIngest(t, srv), publisher.WithBackoff(time.Hour, time.Hour), publisher.WithMaxRetries(100))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { _, err := c.Publish(ctx, event("down-1")); done <- err }()
	testkit.Eventually(t, 5*time.Second, func() bool { return srv.attemptsOf("down-1") > 0 }, "no first attempt")
	cancel()
	err := <-done
	// Cancelled in the backoff: ctx's error joined with the last Unavailable;
	// cancelled during an attempt: that attempt's Canceled status.
	backoff := errors.Is(err, context.Canceled) && status.Code(err) == codes.Unavailable
	if !backoff && status.Code(err) != codes.Canceled {
		t.Fatalf("%v: want the cancellation", err)
	}
}

func TestPublishSendsMetadata(t *testing.T) {
	srv := &ingest{}
	c := dial(t, startIngest(t, srv), publisher.WithToken("tok-1"), publisher.WithUserID("alice"))
	if _, err := c.Publish(testCtx(t), event("plain-md")); err != nil {
		t.Fatal(err)
	}
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if got := srv.md.Get("authorization"); !slices.Equal(got, []string{"Bearer tok-1"}) {
		t.Errorf("authorization %q", got)
	}
	if got := srv.md.Get("x-user-id"); !slices.Equal(got, []string{"alice"}) {
		t.Errorf("x-user-id %q", got)
	}
}

func TestStreamResults(t *testing.T) {
	tests := []struct {
		name string
		srv  *ingest
		opts []publisher.Option
	}{
		{"plain", &ingest{}, nil},
		{"events retried after Unavailable", &ingest{fails: 2}, []publisher.Option{publisher.WithMaxRetries(3)}},
		{"broken streams reopened", &ingest{breakAfter: 50, breakStreams: 2}, []publisher.Option{publisher.WithMaxRetries(3)}},
		{"small window", &ingest{fails: 1}, []publisher.Option{publisher.WithWindow(3)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := dial(t, startIngest(t, tt.srv), tt.opts...)
			ctx := testCtx(t)
			s := c.NewStream(ctx)
			var pending []*publisher.Pending
			want := map[string]codes.Code{}
			stored := 0
			for i := range 300 {
				id := fmt.Sprintf("plain-%d", i)
				switch i % 3 {
				case 1:
					id = fmt.Sprintf("flaky-%d", i)
				case 2:
					id = fmt.Sprintf("bad-%d", i)
					want[id] = codes.InvalidArgument
				}
				if want[id] == codes.OK {
					stored++
				}
				p, err := s.Send(ctx, event(id))
				if err != nil {
					t.Fatal(err)
				}
				pending = append(pending, p)
			}
			if err := s.Close(ctx); err != nil {
				t.Fatal(err)
			}
			for _, p := range pending {
				select {
				case <-p.Done():
				default:
					t.Fatal("Close returned with an unanswered event")
				}
				r := p.Result()
				if status.Code(r.Err) != want[r.EventID] {
					t.Fatalf("%s: %v, want %v", r.EventID, r.Err, want[r.EventID])
				}
				if r.Err == nil && r.Sequence == 0 {
					t.Fatalf("%s: stored without a sequence", r.EventID)
				}
				if want[r.EventID] == codes.InvalidArgument && !slices.Equal(badrequest.FieldsOf(r.Err), []string{"event.event_id"}) {
					t.Fatalf("%s: fields of %v", r.EventID, r.Err)
				}
			}
			if got := tt.srv.storedCount(); got != stored {
				t.Fatalf("server stored %d, want %d", got, stored)
			}
		})
	}
}

func TestStreamGivesUpOnUnavailableEvent(t *testing.T) {
	srv := &ingest{}
	c := dial(t, startIngest(t, srv), publisher.WithMaxRetries(2))
	ctx := testCtx(t)
	s := c.NewStream(ctx)
	p, err := s.Send(ctx, event("down-s"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Wait(ctx); status.Code(err) != codes.Unavailable {
		t.Fatalf("%v, want Unavailable", err)
	}
	if n := srv.attemptsOf("down-s"); n != 3 {
		t.Fatalf("%d attempts, want 3", n)
	}
	if err := s.Close(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestStreamFinalErrorFailsEverything(t *testing.T) {
	c := dial(t, startIngest(t, &ingest{denyStreams: true}))
	ctx := testCtx(t)
	s := c.NewStream(ctx)
	var pending []*publisher.Pending
	for i := range 10 {
		p, err := s.Send(ctx, event(fmt.Sprintf("plain-%d", i)))
		if err != nil {
			break // the stream may already have failed
		}
		pending = append(pending, p)
	}
	for _, p := range pending {
		if _, err := p.Wait(ctx); status.Code(err) != codes.PermissionDenied {
			t.Fatalf("%v, want PermissionDenied", err)
		}
	}
	if err := s.Close(ctx); status.Code(err) != codes.PermissionDenied {
		t.Fatalf("close: %v", err)
	}
	if _, err := s.Send(ctx, event("plain-after")); status.Code(err) != codes.PermissionDenied {
		t.Fatalf("send after failure: %v", err)
	}
}

func TestPublishBatch(t *testing.T) {
	srv := &ingest{fails: 1}
	c := dial(t, startIngest(t, srv))
	events := []*hookwirev1.Event{event("plain-a"), event("flaky-b"), event("bad-c"), event("plain-a")}
	res, err := c.PublishBatch(testCtx(t), events)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 4 || res[0].Err != nil || res[1].Err != nil || status.Code(res[2].Err) != codes.InvalidArgument {
		t.Fatalf("results %+v", res)
	}
	if res[0].Duplicate == res[3].Duplicate || res[0].Sequence != res[3].Sequence {
		t.Fatalf("repeated event_id: %+v and %+v, want one duplicate of the other", res[0], res[3])
	}
}
