package testkit

import (
	"testing"
	"time"
)

// Eventually polls cond every 10 ms until it holds or the timeout passes,
// then fails the test with msg. Tests wait on conditions, never on sleeps.
func Eventually(t testing.TB, timeout time.Duration, cond func() bool, msg string, args ...any) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within %s: "+msg, append([]any{timeout}, args...)...)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Progressing waits for bulk work that may be slow on a loaded machine but
// must not stop: it polls progress every 10 ms until it reports done, and
// fails only when the count has not grown for stall (the work is stuck,
// not slow), or after the hard limit of 20 × stall. A fixed deadline over
// thousands of deliveries under -race on two busy cores fails by timing;
// a stall does not.
func Progressing(t testing.TB, stall time.Duration, progress func() (n int, done bool), msg string, args ...any) {
	t.Helper()
	start := time.Now()
	last, lastAt := -1, start
	for {
		n, done := progress()
		if done {
			return
		}
		now := time.Now()
		if n != last {
			last, lastAt = n, now
		}
		if now.Sub(lastAt) > stall || now.Sub(start) > 20*stall {
			t.Fatalf("no progress for %s (at %d, after %s): "+msg,
				append([]any{now.Sub(lastAt).Round(time.Millisecond), n, now.Sub(start).Round(time.Second)}, args...)...)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
