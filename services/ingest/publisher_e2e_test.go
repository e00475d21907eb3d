package ingest_test

import (
	"fmt"
	"slices"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/hookwire/hookwire/pkg/badrequest"
	hookwirev1 "github.com/hookwire/hookwire/pkg/gen/hookwire/v1"
	"github.com/hookwire/hookwire/pkg/publisher"
)

// TestPublisherEndToEnd drives the real ingest service with pkg/publisher.
func TestPublisherEndToEnd(t *testing.T) {
	e := startEnv(t, envOpts{})
	ctx := as(t, "")
	c, err := publisher.Dial(ctx, e.addr, publisher.WithInsecure(), publisher.WithToken(acqToken), publisher.WithUserID("e2e"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })

	if _, err := c.Publish(ctx, validEvent("e2e-one")); err != nil {
		t.Fatal(err)
	}
	bad := validEvent("e2e-bad")
	bad.Scope = "acquirers//1"
	if _, err := c.Publish(ctx, bad); !slices.Equal(badrequest.FieldsOf(err), []string{"event.scope"}) {
		t.Fatalf("invalid event: %v", err)
	}
	other := validEvent("e2e-other")
	other.Scope = "acquirers/200"
	if _, err := c.Publish(ctx, other); status.Code(err) != codes.PermissionDenied {
		t.Fatalf("out of scope: %v", err)
	}

	s := c.NewStream(ctx)
	var pending []*publisher.Pending
	for i := range 500 {
		ev := validEvent(fmt.Sprintf("e2e-stream-%d", i))
		if i%10 == 0 {
			ev.EventId = "bad id"
		}
		p, err := s.Send(ctx, ev)
		if err != nil {
			t.Fatal(err)
		}
		pending = append(pending, p)
	}
	if err := s.Close(ctx); err != nil {
		t.Fatal(err)
	}
	for i, p := range pending {
		r := p.Result()
		if i%10 == 0 {
			if !slices.Equal(badrequest.FieldsOf(r.Err), []string{"event.event_id"}) {
				t.Fatalf("event %d: %v", i, r.Err)
			}
			continue
		}
		if r.Err != nil || r.Sequence == 0 || r.Duplicate {
			t.Fatalf("event %d: %+v", i, r)
		}
	}

	res, err := c.PublishBatch(ctx, []*hookwirev1.Event{validEvent("e2e-one"), validEvent("e2e-batch")})
	if err != nil {
		t.Fatal(err)
	}
	if !res[0].Duplicate || res[1].Duplicate || res[1].Err != nil {
		t.Fatalf("batch %+v", res)
	}
	if got, want := e.storedCount(t), uint64(1+450+1); got != want {
		t.Fatalf("%d stored, want %d", got, want)
	}
}
