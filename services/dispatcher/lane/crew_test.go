package lane

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/hookwire/hookwire/pkg/testkit"
)

func TestCrewReusesIdleGoroutines(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	c := newCrew(time.Hour)
	const n = 100
	ran := 0
	for range n {
		done := make(chan struct{})
		c.run(ctx, func() { ran++; close(done) })
		<-done
		time.Sleep(time.Millisecond) // let the goroutine get back to waiting
	}
	if ran != n {
		t.Fatalf("ran %d of %d", ran, n)
	}
	if got := c.started.Load(); got > n/2 {
		t.Fatalf("%d goroutines started for %d sequential runs: idle ones were not reused", got, n)
	}
}

func TestCrewRunsConcurrentWorkAndStops(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	c := newCrew(time.Hour)
	const n = 50
	var wg sync.WaitGroup
	release := make(chan struct{})
	wg.Add(n)
	for range n {
		c.run(ctx, func() { wg.Done(); <-release }) // all n must run at once
	}
	wg.Wait()
	if got := c.started.Load(); got != n {
		t.Fatalf("%d goroutines for %d blocked runs, want %d", got, n, n)
	}
	close(release)
	cancel()
	testkit.Eventually(t, 5*time.Second, func() bool { return c.live.Load() == 0 }, "crew goroutines still alive after the lanes stopped")
}

// Hands time out while work keeps arriving: run may take a hand in the
// instant it gives up, and nothing may be lost then.
func TestCrewLosesNothingWhileHandsTimeOut(t *testing.T) {
	c := newCrew(50 * time.Microsecond)
	const senders, each = 4, 500
	var ran sync.WaitGroup
	ran.Add(senders * each)
	for range senders {
		go func() {
			for i := range each {
				c.run(t.Context(), ran.Done)
				if i%50 == 0 {
					time.Sleep(100 * time.Microsecond)
				}
			}
		}()
	}
	done := make(chan struct{})
	go func() { ran.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("some work never ran")
	}
}

func TestCrewIdleGoroutinesExit(t *testing.T) {
	c := newCrew(10 * time.Millisecond)
	done := make(chan struct{})
	c.run(t.Context(), func() { close(done) })
	<-done
	testkit.Eventually(t, 5*time.Second, func() bool { return c.live.Load() == 0 }, "idle crew goroutine did not exit")
}
