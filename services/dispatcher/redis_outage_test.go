package dispatcher

import (
	"net/http"
	"testing"
	"time"

	"github.com/hookwire/hookwire/pkg/subscription"
	"github.com/hookwire/hookwire/pkg/telemetry"
	"github.com/hookwire/hookwire/pkg/testkit"
	"github.com/hookwire/hookwire/services/dispatcher/retry"
)

// While Redis is down the dispatcher's loops keep trying but each cause is
// logged once per interval, and once more as "recovered" when Redis is
// back; the retry waiting in Redis is then released and delivered.
func TestRedisOutageLogsOncePerCauseAndRecovers(t *testing.T) {
	h := newHarness(t, time.Minute)
	var logs lockedBuffer
	h.logs, h.logJSON = &logs, true
	h.cfg.RetryPollInterval = 10 * time.Millisecond // many failures per second while Redis is down
	h.subscribe(subscription.Record{ID: "s", EventTypes: []string{"*"}, RetryDelays: []time.Duration{time.Second}})
	h.rcv.setRespond(func(_ string, n int) int {
		if n == 1 {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	})
	h.start()
	h.publish("evt-1", "ach.returned", "", nil)
	testkit.Eventually(t, 10*time.Second, func() bool {
		n, err := h.rdb.ZCard(h.ctx, retry.Key).Result()
		return err == nil && n == 1
	}, "the retry to wait in Redis")

	began := time.Now()
	restart := h.redis.Outage(t)
	testkit.Eventually(t, 10*time.Second, func() bool { return len(logLines(t, &logs, "release due retries")) > 0 },
		"the retry poller to report Redis down")
	restart()
	testkit.Eventually(t, 10*time.Second, func() bool { return len(logLines(t, &logs, "release due retries: recovered")) > 0 },
		"the retry poller to report it recovered")
	elapsed := time.Since(began)

	testkit.Eventually(t, 20*time.Second, func() bool {
		h.clock.Advance(time.Second)
		return h.rcv.count("s") == 2
	}, "the retry to be delivered after the outage")
	h.waitQuiet()

	rec := logLines(t, &logs, "release due retries: recovered")
	if len(rec) != 1 || rec[0]["level"] != "INFO" || rec[0]["failures"].(float64) < 1 {
		t.Fatalf("recovered lines %v, want one INFO with the failures counted", rec)
	}
	// Each cause: a line when it starts failing, then one per interval.
	allowed := 1 + int(elapsed/telemetry.ThrottleInterval)
	perCause := map[string]int{}
	for _, l := range logLines(t, &logs, "") {
		if l["level"] == "ERROR" || l["level"] == "WARN" {
			perCause[l["msg"].(string)]++
		}
	}
	for cause, n := range perCause {
		if n > allowed {
			t.Errorf("%q logged %d times in a %s outage, want at most %d", cause, n, elapsed.Round(time.Millisecond), allowed)
		}
	}
	if n := h.rcv.count("s"); n != 2 {
		t.Fatalf("receiver got %d requests, want 2 (the failed attempt and its retry)", n)
	}
}
