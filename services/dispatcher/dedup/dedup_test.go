package dedup

import (
	"context"
	"testing"
	"time"

	"github.com/hookwire/hookwire/pkg/testkit"
)

func TestFirst(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	f := New(testkit.StartRedis(t).Client(t), time.Hour)
	steps := []struct {
		name  string
		id    string
		seq   uint64
		first bool
	}{
		{"new event", "e1", 10, true},
		{"same message redelivered", "e1", 10, true},
		{"repeat in a later message", "e1", 11, false},
		{"another event", "e2", 11, true},
	}
	for _, s := range steps {
		got, err := f.First(ctx, s.id, s.seq)
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if got != s.first {
			t.Fatalf("%s: First(%s, %d) = %v, want %v", s.name, s.id, s.seq, got, s.first)
		}
	}
}
