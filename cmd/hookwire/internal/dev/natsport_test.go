package dev

import (
	"context"
	"net"
	"strconv"
	"strings"
	"testing"
)

// TestNATSPortIsPinned: Options.NATSPort (hookwire dev --nats-port) is the
// embedded server's port, so tools can be pointed at it.
func TestNATSPortIsPinned(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st, err := Start(ctx, Options{GRPCAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:0", NATSPort: port, DataDir: t.TempDir(), Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- st.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	if want := ":" + strconv.Itoa(port); !strings.HasSuffix(st.NATSURL(), want) {
		t.Fatalf("NATS URL %s, want port %d", st.NATSURL(), port)
	}
}
