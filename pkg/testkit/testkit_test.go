package testkit

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

func TestNATSAndRedis(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	n := StartNATS(t)
	_, js := n.Connect(t)
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "T", Subjects: []string{"t.>"}}); err != nil {
		t.Fatalf("create stream: %v", err)
	}
	ack, err := js.Publish(ctx, "t.x", []byte("hello"))
	if err != nil || ack.Sequence != 1 {
		t.Fatalf("publish: ack=%v err=%v", ack, err)
	}

	r := StartRedis(t)
	c := r.Client(t)
	if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatalf("redis set: %v", err)
	}
	if got := c.Get(ctx, "k").Val(); got != "v" {
		t.Fatalf("redis get = %q", got)
	}
}

func TestProgressingFailsOnlyOnAStall(t *testing.T) {
	n := 0
	Progressing(t, 200*time.Millisecond, func() (int, bool) { n++; return n, n >= 50 }, "counting")

	ft := &fakeT{TB: t}
	func() {
		defer func() { recover() }() // Fatalf stops the goroutine via panic below
		Progressing(ft, 50*time.Millisecond, func() (int, bool) { return 7, false }, "stuck")
	}()
	if !ft.failed {
		t.Fatal("Progressing did not fail on a count that never moves")
	}
}

// fakeT records Fatalf instead of ending the test.
type fakeT struct {
	testing.TB
	failed bool
}

func (f *fakeT) Helper() {}
func (f *fakeT) Fatalf(string, ...any) {
	f.failed = true
	panic("fatal")
}
