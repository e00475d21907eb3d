package testkit

import (
	"fmt"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// StartCluster starts n JetStream servers clustered over loopback routes, so
// tests can use replicated (R>1) streams and buckets, which report some
// errors differently from single-replica ones. It returns the client URLs.
func StartCluster(t testing.TB, n int) []string {
	t.Helper()
	ports := make([]int, n)
	for i := range ports {
		p, err := freePort()
		if err != nil {
			t.Fatalf("testkit: free port: %v", err)
		}
		ports[i] = p
	}
	var routes []string
	for _, p := range ports {
		routes = append(routes, "nats-route://"+net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
	}
	urls := make([]string, n)
	servers := make([]*server.Server, n)
	for i := range servers {
		opts := &server.Options{
			ServerName: fmt.Sprintf("hookwire-test-%d", i),
			Host:       "127.0.0.1",
			Port:       -1,
			JetStream:  true,
			StoreDir:   t.TempDir(),
			NoLog:      true,
			NoSigs:     true,
			Cluster: server.ClusterOpts{
				Name: "hookwire-test",
				Host: "127.0.0.1",
				Port: ports[i],
			},
			Routes: server.RoutesFromStr(joinRoutes(routes)),
		}
		srv, err := server.NewServer(opts)
		if err != nil {
			t.Fatalf("testkit: new cluster server: %v", err)
		}
		srv.Start()
		t.Cleanup(func() { srv.Shutdown(); srv.WaitForShutdown() })
		servers[i] = srv
	}
	for i, srv := range servers {
		if !srv.ReadyForConnections(10 * time.Second) {
			t.Fatalf("testkit: cluster server %d not ready", i)
		}
		urls[i] = srv.ClientURL()
	}
	Eventually(t, 20*time.Second, func() bool {
		for _, srv := range servers {
			if !srv.JetStreamIsClustered() || srv.JetStreamIsLeader() && len(srv.JetStreamClusterPeers()) < n {
				return false
			}
		}
		for _, srv := range servers {
			if srv.JetStreamIsLeader() {
				return true
			}
		}
		return false
	}, "jetstream cluster of %d has no meta leader", n)
	return urls
}

func joinRoutes(routes []string) string {
	out := ""
	for i, r := range routes {
		if i > 0 {
			out += ","
		}
		out += r
	}
	return out
}
