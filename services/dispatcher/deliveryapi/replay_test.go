package deliveryapi_test

import (
	"slices"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/hookwire/hookwire/pkg/bus"
	hookwirev1 "github.com/hookwire/hookwire/pkg/gen/hookwire/v1"
	"github.com/hookwire/hookwire/pkg/testkit"
	"github.com/hookwire/hookwire/services/dispatcher/deliverylog"
	"github.com/hookwire/hookwire/services/dispatcher/task"
)

func TestReplay(t *testing.T) {
	e := startEnv(t)
	const sub = "subA"
	e.subscribe(t, sub, "acquirers/100", []string{"transaction.sale.*", "transaction.sale.success"},
		map[string][]string{"payment_method": {"CARD"}})
	e.subscribe(t, "subOther", "acquirers/100", []string{"*"}, nil)
	card := map[string]string{"payment_method": "CARD"}
	ev := func(id, typ, scope string, attrs map[string]string) bus.Event {
		return bus.Event{ID: id, Type: typ, Scope: scope, OccurredAt: time.Now(), Attributes: attrs}
	}
	after := func(ts time.Time) { // the next event gets a later broker time
		testkit.Eventually(t, time.Second, func() bool { return time.Now().After(ts) }, "clock passes %v", ts)
	}

	_, t0 := e.publish(t, ev("before", saleType, "acquirers/100", card))
	after(t0)
	seqs, scopes := map[string]uint64{}, map[string]string{}
	var tEnd time.Time
	for _, x := range []bus.Event{
		ev("new", saleType, "acquirers/100", card),                                                // matches, never delivered
		ev("delivered", saleType, "acquirers/100", card),                                          // matches, delivered
		ev("failed", "transaction.sale.refund", "acquirers/100", card),                            // matches (wildcard), failed
		ev("below", saleType, "acquirers/100/merchants/7", card),                                  // matches (scope below)
		ev("other-type", "ach.returned", "acquirers/100", card),                                   // type does not match
		ev("other-scope", saleType, "acquirers/200", card),                                        // scope does not match
		ev("other-filter", saleType, "acquirers/100", map[string]string{"payment_method": "ACH"}), // filter fails
		ev("no-attrs", saleType, "acquirers/100", nil),                                            // filter fails
	} {
		seqs[x.ID], tEnd = e.publish(t, x)
		scopes[x.ID] = x.Scope
	}
	after(tEnd)
	e.publish(t, ev("after", saleType, "acquirers/100", card))
	e.record(t, sub, "delivered", "acquirers/100", seqs["delivered"], deliverylog.Delivered)
	e.record(t, sub, "failed", "acquirers/100", seqs["failed"], deliverylog.Failed)

	window := &hookwirev1.ReplayRequest{SubscriptionId: sub,
		StartTime: timestamppb.New(t0.Add(time.Nanosecond)), EndTime: timestamppb.New(tEnd)}
	for _, tc := range []struct {
		name             string
		includeDelivered bool
		want             []string
	}{
		{"skips delivered", false, []string{"new", "failed", "below"}},
		{"include delivered", true, []string{"new", "delivered", "failed", "below"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := len(e.tasks(t))
			window.IncludeDelivered = tc.includeDelivered
			resp, err := e.client.Replay(as(acq100Token), window)
			if err != nil {
				t.Fatal(err)
			}
			if resp.GetEventsMatched() != 4 || resp.GetDeliveriesQueued() != int64(len(tc.want)) {
				t.Errorf("matched %d queued %d, want 4 and %d", resp.GetEventsMatched(), resp.GetDeliveriesQueued(), len(tc.want))
			}
			tasks := e.tasks(t)[before:]
			var got []string
			for _, tk := range tasks {
				got = append(got, tk.EventID)
				if tk.DeliveryID != deliverylog.ID(sub, scopes[tk.EventID], tk.EventID) || tk.SubscriptionID != sub || tk.EventSeq != seqs[tk.EventID] ||
					tk.Trigger != task.Replay || tk.Step != 0 || tk.Run == "" || tk.Run != tasks[0].Run {
					t.Errorf("task %+v", tk)
				}
			}
			slices.Sort(got)
			want := slices.Sorted(slices.Values(tc.want))
			if !slices.Equal(got, want) {
				t.Fatalf("queued %v, want %v", got, want)
			}
		})
	}
}

func TestReplayEmptyWindow(t *testing.T) {
	e := startEnv(t)
	e.subscribe(t, "subA", "acquirers/100", []string{"*"}, nil)
	resp, err := e.client.Replay(as(rootToken), &hookwirev1.ReplayRequest{SubscriptionId: "subA",
		StartTime: timestamppb.New(time.Now().Add(-time.Hour))})
	if err != nil {
		t.Fatal(err)
	}
	if resp.GetEventsMatched() != 0 || resp.GetDeliveriesQueued() != 0 || len(e.tasks(t)) != 0 {
		t.Fatalf("empty stream: %v", resp)
	}
}

// TestReplayOperationalRule: Replay follows fan-out's rule for Hookwire's
// own events: a bare "*" subscription never gets hookwire.* events, one
// naming "hookwire.*" does.
func TestReplayOperationalRule(t *testing.T) {
	e := startEnv(t)
	e.subscribe(t, "star", "acquirers/100", []string{"*"}, nil)
	e.subscribe(t, "ops", "acquirers/100", []string{"hookwire.*"}, nil)
	start := time.Now()
	testkit.Eventually(t, time.Second, func() bool { return time.Now().After(start) }, "clock passes %v", start)
	e.publish(t, bus.Event{ID: "sale", Type: saleType, Scope: "acquirers/100", OccurredAt: time.Now()})
	_, tEnd := e.publish(t, bus.Event{ID: "suspended", Type: "hookwire.subscription.suspended", Scope: "acquirers/100", OccurredAt: time.Now()})
	for _, tc := range []struct {
		sub  string
		want []string
	}{
		{"star", []string{"sale"}},
		{"ops", []string{"suspended"}},
	} {
		before := len(e.tasks(t))
		resp, err := e.client.Replay(as(acq100Token), &hookwirev1.ReplayRequest{SubscriptionId: tc.sub,
			StartTime: timestamppb.New(start), EndTime: timestamppb.New(tEnd.Add(time.Millisecond))})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, tk := range e.tasks(t)[before:] {
			got = append(got, tk.EventID)
		}
		if !slices.Equal(got, tc.want) || resp.GetEventsMatched() != int64(len(tc.want)) {
			t.Errorf("replay %s: queued %v (matched %d), want %v", tc.sub, got, resp.GetEventsMatched(), tc.want)
		}
	}
}
