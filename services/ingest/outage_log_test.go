package ingest_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	hookwirev1 "github.com/hookwire/hookwire/pkg/gen/hookwire/v1"
	"github.com/hookwire/hookwire/pkg/telemetry"
)

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) count(sub string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.Count(b.buf.String(), sub)
}

// While Redis is down every publish fails (Unavailable: its event record
// cannot be reserved, so the answer could not be kept), and the log says
// so once for the cause, not once per event; the first event stored after
// Redis is back logs one recovered line. make chaos logged 230 lines in a
// 30 s outage before.
func TestRedisOutageLogsOnceNotPerEvent(t *testing.T) {
	var logs syncBuffer
	e := startEnv(t, envOpts{logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	start := time.Now()
	restart := e.redis.Outage(t)
	const n = 10
	for i := range n {
		_, err := e.client.Publish(as(t, rootToken), &hookwirev1.PublishRequest{Event: validEvent(fmt.Sprintf("evt_outage_%d", i))})
		if status.Code(err) != codes.Unavailable {
			t.Fatalf("publish %d during the outage: %v, want Unavailable", i, err)
		}
	}
	// One line per cause and 30 s (telemetry.ThrottleInterval): a loaded
	// machine may take longer than that.
	bound := func() int { return 1 + int(time.Since(start)/telemetry.ThrottleInterval) }
	cause := `"msg":"event not stored: event record unavailable (Redis)"`
	if got := logs.count(cause); got < 1 || got > bound() {
		t.Fatalf("%d lines %s for %d failed events, want 1 (at most %d):\n%s", got, cause, n, bound(), logs.buf.String())
	}
	restart()
	// The client's pool dials again on its own schedule: publish until one
	// is stored.
	stored := false
	for i := 0; !stored; i++ {
		_, err := e.client.Publish(as(t, rootToken), &hookwirev1.PublishRequest{Event: validEvent(fmt.Sprintf("evt_after_%d", i))})
		switch {
		case err == nil:
			stored = true
		case status.Code(err) != codes.Unavailable || i == 1000:
			t.Fatalf("publish %d after the outage: %v", i, err)
		default:
			time.Sleep(10 * time.Millisecond) // until the pool's next dial
		}
	}
	if got := logs.count(`"msg":"event not stored: event record unavailable (Redis): recovered"`); got != 1 {
		t.Fatalf("%d recovered lines, want 1:\n%s", got, logs.buf.String())
	}
	if got := logs.count(cause); got > bound() {
		t.Fatalf("%d lines %s in all, want at most %d:\n%s", got, cause, bound(), logs.buf.String())
	}
}
