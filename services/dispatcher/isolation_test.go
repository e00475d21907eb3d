package dispatcher

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookwire/hookwire/pkg/subscription"
	"github.com/hookwire/hookwire/pkg/testkit"
)

// hangs makes the receiver hang on the paths of hanging subscriptions
// until the attempt times out (or release is closed), counting how many of
// their requests are open at once.
type hangs struct {
	release chan struct{}
	open    sync.Map // path -> *atomic.Int32
	peak    sync.Map // path -> *atomic.Int32
}

func newHangs(t testing.TB, h *harness, hanging func(path string) bool) *hangs {
	hg := &hangs{release: make(chan struct{})}
	t.Cleanup(func() { close(hg.release) }) // before the receiver closes
	h.rcv.mu.Lock()
	defer h.rcv.mu.Unlock()
	h.rcv.block = func(r *http.Request, path string) {
		if !hanging(path) {
			return
		}
		o, _ := hg.open.LoadOrStore(path, new(atomic.Int32))
		p, _ := hg.peak.LoadOrStore(path, new(atomic.Int32))
		n := o.(*atomic.Int32).Add(1)
		defer o.(*atomic.Int32).Add(-1)
		for peak := p.(*atomic.Int32); ; {
			if old := peak.Load(); n <= old || peak.CompareAndSwap(old, n) {
				break
			}
		}
		select {
		case <-hg.release:
		case <-r.Context().Done(): // the attempt timed out
		}
	}
	return hg
}

func (hg *hangs) peakOf(path string) int32 {
	p, ok := hg.peak.Load(path)
	if !ok {
		return 0
	}
	return p.(*atomic.Int32).Load()
}

// TestHangingSubscribersDoNotSlowTheOthers: 2 of 10 subscribers hang
// until the 2 s attempt timeout. With 16 workers and no cap they would take
// every worker; with a cap of 3 in flight each they hold 6, and every
// delivery to the 8 healthy subscribers completes while the hanging ones
// are still stuck on their first few (their other tasks wait in the lane
// or in Redis, holding no worker).
func TestHangingSubscribersDoNotSlowTheOthers(t *testing.T) {
	const subs, hanging, events, capacity = 10, 2, 100, 3
	h := newHarness(t, 2*time.Minute)
	h.cfg.MaxInFlight = capacity
	h.cfg.AckWait = 10 * time.Second
	hg := newHangs(t, h, func(path string) bool { return strings.HasPrefix(path, "hang-") })
	var healthy, stuck []string
	for i := range subs {
		id := fmt.Sprintf("ok-%d", i)
		if i < hanging {
			id = fmt.Sprintf("hang-%d", i)
			stuck = append(stuck, id)
		} else {
			healthy = append(healthy, id)
		}
		h.subscribe(subscription.Record{ID: id, EventTypes: []string{"*"}, Timeout: 2 * time.Second})
	}
	h.start()
	for i := range events {
		h.publish(fmt.Sprintf("evt-%d", i), "ach.returned", "acquirers/1", nil)
	}
	testkit.Eventually(t, 30*time.Second, func() bool {
		for _, id := range healthy {
			if h.rcv.count(id) < events {
				return false
			}
		}
		return true
	}, "every healthy subscriber to get all %d deliveries", events)
	for _, id := range stuck {
		if n := h.rcv.count(id); n >= events {
			t.Errorf("hanging subscriber %s got all %d requests: it was not hanging", id, n)
		}
		// A timed-out request stays open here until the server notices the
		// disconnect, which may come after the lane started the next one.
		if p := hg.peakOf(id); p > 2*capacity {
			t.Errorf("hanging subscriber %s had %d requests open at once, cap is %d", id, p, capacity)
		}
	}
	for _, id := range healthy {
		if n := h.rcv.count(id); n != events {
			t.Errorf("healthy subscriber %s got %d requests, want %d", id, n, events)
		}
	}
	st := h.last.svc.lanes.Stats()
	t.Logf("healthy done: hanging got %d and %d requests; lanes: %+v", h.rcv.count(stuck[0]), h.rcv.count(stuck[1]), st)
}
