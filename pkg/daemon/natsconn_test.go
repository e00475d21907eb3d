package daemon

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookwire/hookwire/pkg/testkit"
)

// syncBuffer is a log sink the test reads while the daemon writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// A service started before NATS waits for it instead of exiting, and is
// built once NATS answers.
func TestStartWaitsForNATS(t *testing.T) {
	t.Setenv(EnvHTTPAddr, "127.0.0.1:0")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close() // nothing listens on port until the test starts NATS there
	built := make(chan struct{})
	p := Program{Name: "test", Configure: func() (Process, error) {
		return Process{GRPCAddr: "127.0.0.1:0", NATSURL: "nats://" + l.Addr().String(), Dev: true,
			Build: func(_ context.Context, d Deps) (Service, error) {
				if !d.NATS.IsConnected() {
					t.Error("service built before NATS was connected")
				}
				close(built)
				return &fakeService{ready: make(chan struct{})}, nil
			}}, nil
	}}
	var logs syncBuffer
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	started := make(chan error, 1)
	var d *Daemon
	go func() {
		var err error
		d, err = Start(ctx, p, slog.New(slog.NewTextHandler(&logs, nil)))
		started <- err
	}()
	testkit.Eventually(t, 10*time.Second, func() bool { return strings.Contains(logs.String(), "waiting for nats") },
		"Start did not say it waits for NATS; log:\n%s", logs.String())
	select {
	case <-built:
		t.Fatal("service built without NATS")
	default:
	}
	natsAt(t, port)
	select {
	case err := <-started:
		if err != nil {
			t.Fatalf("Start: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("Start still waiting 30s after NATS came up; log:\n%s", logs.String())
	}
	t.Cleanup(d.close)
	if !strings.Contains(logs.String(), "nats connected") {
		t.Errorf("no 'nats connected' line; log:\n%s", logs.String())
	}
}
