package ingest

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/hookwire/hookwire/pkg/envconf"
)

// Config is the ingest service's configuration, read once from HOOKWIRE_*
// environment variables by ConfigFromEnv.
type Config struct {
	// GRPCAddr is where the gRPC server listens (HOOKWIRE_GRPC_ADDR, default ":50052").
	GRPCAddr string
	// NATSURL is the NATS server to connect to (HOOKWIRE_NATS_URL,
	// default "nats://127.0.0.1:4222").
	NATSURL string
	// Dev lets callers in without a token (HOOKWIRE_DEV=true). Never in production.
	Dev bool
	// TokensFile is the JSON file of token hashes (HOOKWIRE_TOKENS_FILE);
	// required unless Dev.
	TokensFile string
	// StreamReplicas is the replica count of the EVENTS stream and of the
	// catalog bucket (HOOKWIRE_STREAM_REPLICAS, default 1; 3 in a cluster).
	StreamReplicas int
	// DuplicateWindow is how long JetStream remembers an event_id to answer
	// a repeat with duplicate=true (HOOKWIRE_EVENTS_DUPLICATE_WINDOW, default 2m).
	// Repeats after the window are caught by the dispatcher's Redis dedup.
	DuplicateWindow time.Duration
	// EventsMaxAge is how long EVENTS keeps an event, which bounds how far
	// back Replay reaches (HOOKWIRE_EVENTS_MAX_AGE, default 720h = 30 days).
	EventsMaxAge time.Duration
	// MaxEventBytes bounds an event's compacted JSON data
	// (HOOKWIRE_MAX_EVENT_BYTES, default 262144 = 256 KiB).
	MaxEventBytes int
	// MaxPendingAcks bounds the JetStream acks PublishStream waits for at
	// once, across all streams of this process; a stream that hits it stops
	// reading until acks arrive (HOOKWIRE_PUBLISH_MAX_PENDING, default 4096).
	MaxPendingAcks int
	// AckTimeout is how long one publish waits for its JetStream ack before it
	// is answered Unavailable (HOOKWIRE_PUBLISH_ACK_TIMEOUT, default 10s).
	AckTimeout time.Duration
}

// Defaults.
const (
	DefaultGRPCAddr        = ":50052"
	DefaultNATSURL         = "nats://127.0.0.1:4222"
	DefaultDuplicateWindow = 2 * time.Minute
	DefaultEventsMaxAge    = 30 * 24 * time.Hour
	DefaultMaxEventBytes   = 256 << 10
	DefaultMaxPendingAcks  = 4096
	DefaultAckTimeout      = 10 * time.Second
)

// DefaultConfig returns the configuration with every default filled in.
func DefaultConfig() Config {
	return Config{
		GRPCAddr:        DefaultGRPCAddr,
		NATSURL:         DefaultNATSURL,
		StreamReplicas:  1,
		DuplicateWindow: DefaultDuplicateWindow,
		EventsMaxAge:    DefaultEventsMaxAge,
		MaxEventBytes:   DefaultMaxEventBytes,
		MaxPendingAcks:  DefaultMaxPendingAcks,
		AckTimeout:      DefaultAckTimeout,
	}
}

// EnvVars lists every HOOKWIRE_* variable ConfigFromEnv reads (the process
// itself also reads daemon.EnvVars).
func EnvVars() []string { return envconf.Keys(readConfig) }

// ConfigFromEnv reads the environment over the defaults and validates.
func ConfigFromEnv() (Config, error) { return readConfig(envconf.New(os.LookupEnv)) }

func readConfig(r *envconf.Reader) (Config, error) {
	c := DefaultConfig()
	r.String("HOOKWIRE_GRPC_ADDR", &c.GRPCAddr)
	r.String("HOOKWIRE_NATS_URL", &c.NATSURL)
	r.String("HOOKWIRE_TOKENS_FILE", &c.TokensFile)
	r.Bool("HOOKWIRE_DEV", &c.Dev)
	r.Int("HOOKWIRE_STREAM_REPLICAS", &c.StreamReplicas)
	r.Duration("HOOKWIRE_EVENTS_DUPLICATE_WINDOW", &c.DuplicateWindow)
	r.Duration("HOOKWIRE_EVENTS_MAX_AGE", &c.EventsMaxAge)
	r.Int("HOOKWIRE_MAX_EVENT_BYTES", &c.MaxEventBytes)
	r.Int("HOOKWIRE_PUBLISH_MAX_PENDING", &c.MaxPendingAcks)
	r.Duration("HOOKWIRE_PUBLISH_ACK_TIMEOUT", &c.AckTimeout)
	if err := r.Err(); err != nil {
		return Config{}, fmt.Errorf("ingest config: %w", err)
	}
	return c, c.Validate()
}

// Validate reports every problem of c at once.
func (c Config) Validate() error {
	var errs []error
	if c.GRPCAddr == "" {
		errs = append(errs, errors.New("HOOKWIRE_GRPC_ADDR is empty"))
	}
	if c.NATSURL == "" {
		errs = append(errs, errors.New("HOOKWIRE_NATS_URL is empty"))
	}
	if !c.Dev && c.TokensFile == "" {
		errs = append(errs, errors.New("HOOKWIRE_TOKENS_FILE is required unless HOOKWIRE_DEV=true"))
	}
	if c.StreamReplicas < 1 || c.StreamReplicas > 5 {
		errs = append(errs, fmt.Errorf("HOOKWIRE_STREAM_REPLICAS %d: must be 1 to 5", c.StreamReplicas))
	}
	if c.DuplicateWindow <= 0 {
		errs = append(errs, fmt.Errorf("HOOKWIRE_EVENTS_DUPLICATE_WINDOW %s: must be positive", c.DuplicateWindow))
	}
	if c.EventsMaxAge <= 0 || c.EventsMaxAge < c.DuplicateWindow {
		errs = append(errs, fmt.Errorf("HOOKWIRE_EVENTS_MAX_AGE %s: must be positive and at least the duplicate window", c.EventsMaxAge))
	}
	if c.MaxEventBytes < 2 || c.MaxEventBytes > 4<<20 {
		errs = append(errs, fmt.Errorf("HOOKWIRE_MAX_EVENT_BYTES %d: must be 2 to 4 MiB", c.MaxEventBytes))
	}
	if c.MaxPendingAcks < 1 {
		errs = append(errs, fmt.Errorf("HOOKWIRE_PUBLISH_MAX_PENDING %d: must be at least 1", c.MaxPendingAcks))
	}
	if c.AckTimeout <= 0 {
		errs = append(errs, fmt.Errorf("HOOKWIRE_PUBLISH_ACK_TIMEOUT %s: must be positive", c.AckTimeout))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("ingest config: %w", err)
	}
	return nil
}
