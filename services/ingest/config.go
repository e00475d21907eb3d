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
	// RedisURL is the Redis holding the event records ingest answers
	// repeats from, the dispatcher's (HOOKWIRE_REDIS_URL, default
	// "redis://127.0.0.1:6379").
	RedisURL string
	// DedupTTL is how long an event, (scope, event_id), is remembered: a
	// repeat within it is answered duplicate (same content) or
	// ALREADY_EXISTS (different content) (HOOKWIRE_DEDUP_TTL, default 72h;
	// keep it equal to the dispatcher's).
	DedupTTL time.Duration
	// MaxDataDepth bounds how deeply an event's data nests (the data object
	// itself is depth 1; HOOKWIRE_MAX_DATA_DEPTH, default 64, at most 999):
	// the delivered envelope is one level deeper, and must decode with
	// every receiver's standard JSON parser (Jackson's default limit is
	// 1000, Python's recursion limit about 1000, Go's 10000).
	MaxDataDepth int
	// Dev lets callers in without a token (HOOKWIRE_DEV=true). Never in production.
	Dev bool
	// TokensFile is the JSON file of token hashes (HOOKWIRE_TOKENS_FILE);
	// required unless Dev.
	TokensFile string
	// StreamReplicas is the replica count of the EVENTS stream and of the
	// catalog bucket (HOOKWIRE_STREAM_REPLICAS, default 1; 3 in a cluster).
	StreamReplicas int
	// DuplicateWindow is how long JetStream remembers an event's
	// Nats-Msg-Id, so that a publish retried after a lost ack stores nothing
	// twice (HOOKWIRE_EVENTS_DUPLICATE_WINDOW, default 2m). Repeats are
	// answered from the Redis event record for the longer DedupTTL.
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
	// AckTimeout bounds how long one publish tries to get its JetStream ack,
	// retrying across a stream leader election (no responders, timeouts),
	// before it is answered Unavailable (HOOKWIRE_PUBLISH_ACK_TIMEOUT,
	// default 10s), on the unary and the streaming path.
	AckTimeout time.Duration
}

// Defaults.
const (
	DefaultGRPCAddr     = ":50052"
	DefaultNATSURL      = "nats://127.0.0.1:4222"
	DefaultRedisURL     = "redis://127.0.0.1:6379"
	DefaultDedupTTL     = 72 * time.Hour
	DefaultMaxDataDepth = 64
	// MaxDataDepthLimit is the most HOOKWIRE_MAX_DATA_DEPTH may be: the
	// envelope adds one level, and Jackson refuses more than 1000.
	MaxDataDepthLimit      = 999
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
		RedisURL:        DefaultRedisURL,
		DedupTTL:        DefaultDedupTTL,
		MaxDataDepth:    DefaultMaxDataDepth,
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
	r.String("HOOKWIRE_REDIS_URL", &c.RedisURL)
	r.Duration("HOOKWIRE_DEDUP_TTL", &c.DedupTTL)
	r.Int("HOOKWIRE_MAX_DATA_DEPTH", &c.MaxDataDepth)
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
	if c.RedisURL == "" {
		errs = append(errs, errors.New("HOOKWIRE_REDIS_URL is empty"))
	}
	if c.DedupTTL < c.DuplicateWindow || c.DedupTTL < time.Minute {
		errs = append(errs, fmt.Errorf("HOOKWIRE_DEDUP_TTL %s: must be at least 1m and the duplicate window", c.DedupTTL))
	}
	if c.MaxDataDepth < 1 || c.MaxDataDepth > MaxDataDepthLimit {
		errs = append(errs, fmt.Errorf("HOOKWIRE_MAX_DATA_DEPTH %d: must be 1 to %d", c.MaxDataDepth, MaxDataDepthLimit))
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
