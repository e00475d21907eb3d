package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// runNATSD is the `natsd` subcommand: a JetStream server with file storage
// (default sync policy) in its own process, so its CPU and memory are
// measured apart from the services'.
func runNATSD(args []string) error {
	fs := flag.NewFlagSet("natsd", flag.ExitOnError)
	port := fs.Int("port", 4222, "client port")
	dir := fs.String("dir", "", "JetStream store directory")
	mon := fs.Int("http", 0, "monitoring port (/varz)")
	prof := fs.Int("prof", 0, "pprof port (/debug/pprof; 0: none)")
	name := fs.String("name", "", "server name (a cluster member's must be unique)")
	clusterPort := fs.Int("cluster-port", 0, "route port; with -routes, the server joins cluster \"hookwire-chaos\"")
	routes := fs.String("routes", "", "comma-separated nats-route:// URLs of every cluster member")
	_ = fs.Parse(args)
	if *dir == "" {
		return fmt.Errorf("natsd: -dir is required")
	}
	opts := &server.Options{
		ServerName: *name, Host: "127.0.0.1", Port: *port, JetStream: true, StoreDir: *dir, NoSigs: true,
		HTTPHost: "127.0.0.1", HTTPPort: *mon, ProfPort: *prof,
	}
	if *clusterPort > 0 {
		opts.Cluster = server.ClusterOpts{Name: "hookwire-chaos", Host: "127.0.0.1", Port: *clusterPort}
		opts.Routes = server.RoutesFromStr(*routes)
	}
	srv, err := server.NewServer(opts)
	if err != nil {
		return fmt.Errorf("natsd: %w", err)
	}
	srv.ConfigureLogger()
	srv.Start()
	if !srv.ReadyForConnections(20 * time.Second) {
		srv.Shutdown()
		return fmt.Errorf("natsd: not ready in 20s")
	}
	fmt.Fprintln(os.Stderr, "natsd ready", srv.ClientURL())
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	<-sig
	srv.Shutdown()
	srv.WaitForShutdown()
	return nil
}
