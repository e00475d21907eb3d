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
