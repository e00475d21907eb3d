package worker

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookwire/hookwire/pkg/subscription"
	"github.com/hookwire/hookwire/pkg/testkit"
	"github.com/hookwire/hookwire/services/dispatcher/clock"
	"github.com/hookwire/hookwire/services/dispatcher/deliverylog"
	"github.com/hookwire/hookwire/services/dispatcher/task"
)

// lockedBuffer collects log lines written from any goroutine.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// A delivery given up because its event expired is a loss an operator
// must be able to find: it gets a DISCARDED record saying why (before,
// one that had never been attempted had no record at all and was logged
// at INFO) and a WARN line.
func TestDiscardedDeliveryOfGoneEventIsRecorded(t *testing.T) {
	_, js := testkit.StartNATS(t).Connect(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	log, err := deliverylog.Open(ctx, js, deliverylog.Config{Retention: time.Hour, Replicas: 1})
	if err != nil {
		t.Fatal(err)
	}
	var logs lockedBuffer
	w := New(Deps{Log: log, Clock: clock.System{}, Logger: slog.New(slog.NewJSONHandler(&logs, nil))}, Options{})
	rec := &subscription.Record{ID: "sub-1", Scope: "acquirers/1", URL: "http://127.0.0.1:9/hook"}
	tk := task.Task{DeliveryID: deliverylog.ID("sub-1", "acquirers/1", "evt-1"), SubscriptionID: "sub-1", EventID: "evt-1", EventSeq: 7}
	gone := fmt.Errorf("%w (sequence 7; the stream holds 9 to 12)", errEventGone)
	if err := w.eventGone(ctx, rec, tk, gone); err != nil {
		t.Fatal(err)
	}
	d, err := log.Get(ctx, tk.DeliveryID)
	if err != nil {
		t.Fatalf("no record of the discarded delivery: %v", err)
	}
	if d.State != deliverylog.Discarded {
		t.Fatalf("state %s, want %s", d.State, deliverylog.Discarded)
	}
	if n := len(d.Attempts); n != 1 || !strings.Contains(d.Attempts[0].Error, errEventGone.Error()) {
		t.Fatalf("attempts %+v: want one unsent attempt naming the reason", d.Attempts)
	}
	line := logs.String()
	if !strings.Contains(line, `"level":"WARN"`) || !strings.Contains(line, tk.DeliveryID) {
		t.Fatalf("no WARN line naming the delivery: %s", line)
	}
}
