package ingest_test

import (
	"slices"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/hookwire/hookwire/pkg/badrequest"
	hookwirev1 "github.com/hookwire/hookwire/pkg/gen/hookwire/v1"
	"github.com/hookwire/hookwire/pkg/testkit"
	"github.com/hookwire/hookwire/services/ingest"
)

const window = time.Second // the broker's duplicate window in these tests

func shortWindow(c *ingest.Config) { c.DuplicateWindow = window }

func tenantEvent(id, scope string) *hookwirev1.Event {
	ev := validEvent(id)
	ev.Scope = scope
	return ev
}

// afterWindow waits until the broker's duplicate window of a publish made
// now has passed.
func afterWindow(t *testing.T) {
	end := time.Now().Add(window + 100*time.Millisecond)
	testkit.Eventually(t, 5*time.Second, func() bool { return time.Now().After(end) }, "clock passes %v", end)
}

// TestTenantsShareEventIDs is the attack of issue 10: tenant A publishes
// order-0fdd5b at acquirers/10, tenant B the same id at acquirers/100.
// Both are stored as new events, inside and after the broker window.
func TestTenantsShareEventIDs(t *testing.T) {
	e := startEnv(t, envOpts{cfg: shortWindow})
	publish := func(token string, ev *hookwirev1.Event) *hookwirev1.PublishResponse {
		t.Helper()
		resp, err := e.client.Publish(as(t, token), &hookwirev1.PublishRequest{Event: ev})
		if err != nil {
			t.Fatalf("publish %s at %s: %v", ev.EventId, ev.Scope, err)
		}
		return resp
	}
	a := publish(acq10Token, tenantEvent("order-0fdd5b", "acquirers/10"))
	b := publish(acqToken, tenantEvent("order-0fdd5b", "acquirers/100")) // inside the window
	if a.GetDuplicate() || b.GetDuplicate() || a.GetSequence() == b.GetSequence() {
		t.Fatalf("inside the window: A %v, B %v; want two new events", a, b)
	}
	publish(acq10Token, tenantEvent("order-1a2b3c", "acquirers/10"))
	afterWindow(t)
	c := publish(acqToken, tenantEvent("order-1a2b3c", "acquirers/100"))
	if c.GetDuplicate() {
		t.Fatalf("after the window: B %v; want a new event", c)
	}
	if n := e.storedCount(t); n != 4 {
		t.Fatalf("%d events stored, want 4", n)
	}
}

// TestRepeatsAnsweredForTheDedupHorizon: an identical repeat is a
// duplicate with the original sequence, inside and after the broker
// window, and stores nothing; a repeat with other content is
// ALREADY_EXISTS naming what differs.
func TestRepeatsAnsweredForTheDedupHorizon(t *testing.T) {
	e := startEnv(t, envOpts{cfg: shortWindow})
	first, err := e.client.Publish(as(t, rootToken), &hookwirev1.PublishRequest{Event: validEvent("evt-horizon")})
	if err != nil || first.GetDuplicate() {
		t.Fatalf("first publish %v, %v", first, err)
	}
	for _, when := range []string{"inside the window", "after the window"} {
		if when == "after the window" {
			afterWindow(t)
		}
		same := validEvent("evt-horizon")
		same.Payload = &hookwirev1.Event_DataJson{DataJson: []byte("{ \"amount\" : 1250,\n \"currency\": \"EUR\" }")} // whitespace only
		again, err := e.client.Publish(as(t, rootToken), &hookwirev1.PublishRequest{Event: same})
		if err != nil || !again.GetDuplicate() || again.GetSequence() != first.GetSequence() {
			t.Fatalf("%s: identical repeat %v, %v; want duplicate at sequence %d", when, again, err, first.GetSequence())
		}
		stream := publishAll(t, as(t, rootToken), e.client, []*hookwirev1.Event{validEvent("evt-horizon")})
		if r := stream[0]; r.GetError() != nil || !r.GetDuplicate() || r.GetSequence() != first.GetSequence() {
			t.Fatalf("%s: identical repeat on a stream %v", when, r)
		}
		for _, tc := range []struct {
			name   string
			edit   func(ev *hookwirev1.Event)
			fields []string
		}{
			{"data", func(ev *hookwirev1.Event) { ev.Payload = &hookwirev1.Event_DataJson{DataJson: []byte(`{"amount":1}`)} }, []string{"event.data"}},
			{"attributes and data", func(ev *hookwirev1.Event) {
				ev.Attributes["payment_method"] = "ACH"
				ev.Payload = nil
			}, []string{"event.attributes", "event.data"}},
			{"occurred_at left out", func(ev *hookwirev1.Event) { ev.OccurredAt = nil }, []string{"event.occurred_at"}},
			{"occurred_at", func(ev *hookwirev1.Event) {
				ev.OccurredAt = timestamppb.New(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
			}, []string{"event.occurred_at"}},
		} {
			ev := validEvent("evt-horizon")
			tc.edit(ev)
			_, err := e.client.Publish(as(t, rootToken), &hookwirev1.PublishRequest{Event: ev})
			if status.Code(err) != codes.AlreadyExists {
				t.Fatalf("%s: %s differs: %v, want ALREADY_EXISTS", when, tc.name, err)
			}
			if got := badrequest.FieldsOf(err); !slices.Equal(got, tc.fields) {
				t.Fatalf("%s: %s differs: fields %q, want %q", when, tc.name, got, tc.fields)
			}
			r := publishAll(t, as(t, rootToken), e.client, []*hookwirev1.Event{ev})[0]
			if r.GetError().GetCode() != int32(codes.AlreadyExists) || len(r.GetError().GetFieldViolations()) != len(tc.fields) {
				t.Fatalf("%s: %s differs on a stream: %v", when, tc.name, r)
			}
		}
	}
	if n := e.storedCount(t); n != 1 {
		t.Fatalf("%d events stored, want 1", n)
	}
}
