package telemetry

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// ThrottleInterval is how often a Throttle repeats a cause that keeps
// failing: the services' loops use it.
const ThrottleInterval = 30 * time.Second

// Throttle logs a repeating failure once per cause and interval instead of
// once per occurrence, and says when the cause has recovered. A loop that
// fails ten times a second while Redis is down writes one line when it
// starts failing, one line per interval with how many times it failed, and
// one "recovered" line when it works again.
type Throttle struct {
	log      *slog.Logger
	interval time.Duration
	now      func() time.Time

	mu      sync.Mutex
	causes  map[string]*failing
	failing atomic.Int32 // len(causes): OK's fast path when nothing fails
}

// failing is one cause's state while it keeps failing.
type failing struct {
	since, logged time.Time
	suppressed    int // failures since the last line
	total         int
}

// NewThrottle returns a Throttle writing to log at most once per interval
// and cause.
func NewThrottle(log *slog.Logger, interval time.Duration) *Throttle {
	return &Throttle{log: log, interval: interval, now: time.Now, causes: map[string]*failing{}}
}

// Fail records one failure of cause (a short constant, e.g. "release due
// retries"). The first failure is logged at ERROR with err and args; later
// ones within the interval are counted, and the next line says how many.
func (t *Throttle) Fail(ctx context.Context, cause string, err error, args ...any) {
	now := t.now()
	t.mu.Lock()
	f, ok := t.causes[cause]
	if !ok {
		f = &failing{since: now}
		t.causes[cause] = f
		t.failing.Add(1)
	}
	f.total++
	if ok && now.Sub(f.logged) < t.interval {
		f.suppressed++
		t.mu.Unlock()
		return
	}
	repeated, since := f.suppressed, f.since
	f.logged, f.suppressed = now, 0
	t.mu.Unlock()
	attrs := append([]any{"error", err}, args...)
	if ok {
		attrs = append(attrs, "failing_for", now.Sub(since).Round(time.Second).String(), "repeated", repeated)
	}
	t.log.ErrorContext(ctx, cause, attrs...)
}

// OK records that cause works (again). After failures it logs one INFO
// "<cause>: recovered" line with how long and how often it failed; when
// nothing was failing it does nothing, so call it on every success.
func (t *Throttle) OK(ctx context.Context, cause string) {
	if t.failing.Load() == 0 {
		return
	}
	t.mu.Lock()
	f, ok := t.causes[cause]
	if ok {
		delete(t.causes, cause)
		t.failing.Add(-1)
	}
	t.mu.Unlock()
	if !ok {
		return
	}
	t.log.InfoContext(ctx, cause+": recovered",
		"failed_for", t.now().Sub(f.since).Round(time.Millisecond).String(), "failures", f.total)
}
