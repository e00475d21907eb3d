package dev

import (
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
)

// Options configure a dev stack. Addresses may use port 0; the Stack
// reports what was bound.
type Options struct {
	GRPCAddr string // default 127.0.0.1:50051
	HTTPAddr string // default 127.0.0.1:8081
	DataDir  string // default ./.hookwire: NATS store, master key, embedded Redis snapshot
	// NATSPort pins the embedded NATS server's loopback port (0: a free
	// one), e.g. to point `nats` CLI tools or a second process at it.
	NATSPort int
	// RedisURL points at a real Redis; empty runs an embedded miniredis.
	RedisURL string
	// TokensFile enables token auth; empty lets every caller in (auth.Dev).
	TokensFile string
	// MasterKey (hex or base64 of 32 bytes) seals secrets at rest; empty
	// uses DataDir/master.key, created on first run.
	MasterKey string
	// MasterKeysPrevious (comma-separated, like MasterKey) only open:
	// HOOKWIRE_MASTER_KEYS_PREVIOUS during a rotation.
	MasterKeysPrevious string
	// DeliveryLogURL (HOOKWIRE_DELIVERY_LOG_URL or the file
	// HOOKWIRE_DELIVERY_LOG_URL_FILE names) puts the delivery log on
	// PostgreSQL, its migrations run at start as in the dispatcher; empty:
	// the embedded store (JetStream KV in the NATS store). It may hold a
	// password: never logged or printed.
	DeliveryLogURL string
	// JaegerURL (HOOKWIRE_JAEGER_URL, --jaeger-url) is the Jaeger UI's base
	// URL: the console's delivery pages link to their event's trace there.
	// Empty: no trace links.
	JaegerURL string
	// Metrics, when set, is served at /metrics on the HTTP port.
	Metrics http.Handler
	Logger  *slog.Logger
}

func (o Options) withDefaults() Options {
	if o.GRPCAddr == "" {
		o.GRPCAddr = "127.0.0.1:50051"
	}
	if o.HTTPAddr == "" {
		o.HTTPAddr = "127.0.0.1:8081"
	}
	if o.DataDir == "" {
		o.DataDir = ".hookwire"
	}
	if abs, err := filepath.Abs(o.DataDir); err == nil {
		o.DataDir = abs
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	return o
}
