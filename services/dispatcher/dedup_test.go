package dispatcher

import (
	"testing"
	"time"

	"github.com/hookwire/hookwire/pkg/subscription"
	"github.com/hookwire/hookwire/pkg/testkit"
)

func TestEventIDPublishedTwiceIsDeliveredOnce(t *testing.T) {
	tests := []struct {
		name      string
		dupWindow time.Duration // of EVENTS
		stored    uint64        // messages EVENTS holds after the repeat
	}{
		{"inside the broker window", 2 * time.Minute, 1},
		{"outside the broker window", 100 * time.Millisecond, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, tt.dupWindow)
			h.subscribe(subscription.Record{ID: "once", EventTypes: []string{"*"}})
			h.start()
			h.publish("evt-dup", "ach.returned", "acquirers/1", nil)
			waitCount(t, h, "once", 1)
			if tt.stored == 1 {
				if ack := h.publish("evt-dup", "ach.returned", "acquirers/1", nil); !ack.Duplicate {
					t.Fatalf("second publish inside the window stored a new message (seq %d)", ack.Sequence)
				}
			} else {
				// Repeat until the broker forgets the id: exactly one
				// repeat is then stored, in a new message.
				testkit.Eventually(t, 10*time.Second, func() bool {
					return !h.publish("evt-dup", "ach.returned", "acquirers/1", nil).Duplicate
				}, "the broker's duplicate window to pass")
			}
			h.waitQuiet()
			info, err := h.events.Info(h.ctx)
			if err != nil {
				t.Fatal(err)
			}
			if info.State.Msgs != tt.stored {
				t.Fatalf("EVENTS holds %d messages, want %d", info.State.Msgs, tt.stored)
			}
			if n := h.rcv.count("once"); n != 1 {
				t.Fatalf("subscriber received %d requests, want 1", n)
			}
		})
	}
}
