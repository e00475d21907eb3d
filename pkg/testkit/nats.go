package testkit

import (
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// NATS is an embedded JetStream server on a random port with its store in a
// temporary directory.
type NATS struct {
	Server   *server.Server
	URL      string
	StoreDir string
}

// StartNATS starts a JetStream server that is shut down when the test ends.
func StartNATS(t testing.TB) *NATS {
	t.Helper()
	return StartNATSAt(t, t.TempDir())
}

// StartNATSAt starts a JetStream server that keeps its data in storeDir, so
// that a test can stop it and start another over the same data.
func StartNATSAt(t testing.TB, storeDir string) *NATS {
	t.Helper()
	opts := &server.Options{
		Host:      "127.0.0.1",
		Port:      -1,
		JetStream: true,
		StoreDir:  storeDir,
		NoLog:     true,
		NoSigs:    true,
	}
	srv, err := server.NewServer(opts)
	if err != nil {
		t.Fatalf("testkit: new nats server: %v", err)
	}
	srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		srv.Shutdown()
		t.Fatal("testkit: nats server not ready in 10s")
	}
	n := &NATS{Server: srv, URL: srv.ClientURL(), StoreDir: storeDir}
	t.Cleanup(n.Stop)
	return n
}

// Stop shuts the server down and waits for it; calling it twice is fine.
func (n *NATS) Stop() {
	n.Server.Shutdown()
	n.Server.WaitForShutdown()
}

// Connect opens a client connection closed when the test ends.
func (n *NATS) Connect(t testing.TB) (*nats.Conn, jetstream.JetStream) {
	t.Helper()
	return ConnectURL(t, n.URL)
}

// ConnectURL opens a client connection to url (a server of StartCluster,
// say) closed when the test ends.
func ConnectURL(t testing.TB, url string) (*nats.Conn, jetstream.JetStream) {
	t.Helper()
	nc, err := nats.Connect(url, nats.MaxReconnects(-1), nats.ReconnectWait(50*time.Millisecond))
	if err != nil {
		t.Fatalf("testkit: connect nats: %v", err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatalf("testkit: jetstream: %v", err)
	}
	return nc, js
}
