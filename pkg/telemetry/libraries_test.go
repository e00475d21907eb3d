package telemetry

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	"google.golang.org/grpc/grpclog"
)

// syncBuffer is a bytes.Buffer safe for the libraries' goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// lines decodes every line written as JSON; a line that is not JSON fails.
func (s *syncBuffer) lines(t *testing.T) []map[string]any {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(s.b.String()), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("not a JSON line: %q", l)
		}
		out = append(out, m)
	}
	return out
}

func TestLibraryLogsAreJSON(t *testing.T) {
	var buf syncBuffer
	RouteLibraryLogs(NewLogger(&buf, slog.LevelInfo, "test"))
	t.Cleanup(func() { RouteLibraryLogs(slog.New(slog.DiscardHandler)) })

	otel.Handle(errors.New("exporter: connection refused"))
	grpclog.Component("core").Warningf("transport failed: %s", "EOF")
	grpclog.Component("core").Infof("subchannel picks a new address") // debug: not at info
	rl := redisLogger{throttle: NewThrottle(NewLogger(&buf, slog.LevelInfo, "test").With("component", "go-redis"), time.Hour)}
	for range 10 { // a flood while Redis is down: one line
		rl.Printf(context.Background(), "redis: connection pool: %s\n", "timeout")
	}

	got := map[string]string{}
	for _, l := range buf.lines(t) {
		c, _ := l["component"].(string)
		got[c] += l["msg"].(string) + "|" + l["level"].(string) + ";"
	}
	want := map[string]string{
		"opentelemetry": "opentelemetry error|WARN;",
		"grpc":          "[core] transport failed: EOF|WARN;",
		"go-redis":      "redis: connection pool: %s|ERROR;",
	}
	for c, w := range want {
		if got[c] != w {
			t.Errorf("component %s: got %q, want %q (all: %v)", c, got[c], w, got)
		}
	}
	if len(got) != len(want) {
		t.Errorf("unexpected components or info chatter at info level: %v", got)
	}
}

func TestThrottleOneLinePerIntervalAndRecovered(t *testing.T) {
	var buf syncBuffer
	th := NewThrottle(NewLogger(&buf, slog.LevelInfo, "test"), 10*time.Second)
	now := time.Unix(1_700_000_000, 0)
	th.now = func() time.Time { return now }
	ctx := context.Background()
	down := errors.New("dial tcp: connection refused")

	th.OK(ctx, "release due retries") // nothing failing: silent
	for i := 0; i < 100; i++ {        // 10 s of failures, 10 a second
		th.Fail(ctx, "release due retries", down)
		now = now.Add(100 * time.Millisecond)
	}
	th.Fail(ctx, "release due retries", down) // 10 s after the first line
	th.Fail(ctx, "other cause", down)
	now = now.Add(time.Second)
	th.OK(ctx, "release due retries")
	th.OK(ctx, "release due retries")

	lines := buf.lines(t)
	var msgs []string
	for _, l := range lines {
		msgs = append(msgs, l["level"].(string)+" "+l["msg"].(string))
	}
	want := []string{
		"ERROR release due retries",
		"ERROR release due retries",
		"ERROR other cause",
		"INFO release due retries: recovered",
	}
	if strings.Join(msgs, "\n") != strings.Join(want, "\n") {
		t.Fatalf("lines:\n%s\nwant:\n%s", strings.Join(msgs, "\n"), strings.Join(want, "\n"))
	}
	if r := lines[1]["repeated"]; r != float64(99) {
		t.Errorf("second line repeated = %v, want 99 suppressed failures", r)
	}
	if f := lines[3]["failures"]; f != float64(101) {
		t.Errorf("recovered line failures = %v, want 101", f)
	}
}
