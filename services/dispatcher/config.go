package dispatcher

import (
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/hookwire/hookwire/pkg/seal"
	"github.com/hookwire/hookwire/services/dispatcher/deliverylog"
	"github.com/hookwire/hookwire/services/dispatcher/mail"
	"github.com/hookwire/hookwire/services/dispatcher/notice"
)

// Config is the dispatcher's configuration, read once from the environment
// by ConfigFromEnv:
//
//   - HOOKWIRE_GRPC_ADDR (default ":50053"): gRPC listen address (used by main).
//   - HOOKWIRE_NATS_URL (default "nats://127.0.0.1:4222"): NATS server (used by main).
//   - HOOKWIRE_REDIS_URL (default "redis://127.0.0.1:6379"): Redis for dedup,
//     the retry schedule and parked tasks (used by main).
//   - HOOKWIRE_MASTER_KEY: the registry's master key (64 hex characters or
//     base64 of 32 bytes), to open signing secrets, passwords and payload
//     keys. Required unless HOOKWIRE_DEV=true.
//   - HOOKWIRE_MASTER_KEYS_PREVIOUS: comma-separated master keys that also
//     open them (the registry's; README, Rotating the master key).
//   - HOOKWIRE_DEV (default false): no tokens file needed, loopback
//     endpoints reachable, and without a master key the registry's dev key
//     file HOOKWIRE_DATA_DIR/master.key is used. Never in production.
//   - HOOKWIRE_DATA_DIR: directory of dev-mode state (the dev master key).
//   - HOOKWIRE_TOKENS_FILE: bearer tokens file; required unless HOOKWIRE_DEV=true.
//   - HOOKWIRE_DELIVERY_WORKERS (default 256): first attempts in flight at once.
//   - HOOKWIRE_RETRY_WORKERS (default 64): retries, replays and released
//     tasks in flight at once — a share of their own, so a flood of retries
//     never delays first attempts (package lane).
//   - HOOKWIRE_MAX_IN_FLIGHT_DEFAULT (default 10): deliveries in flight at
//     once to one subscription (per dispatcher replica) when it sets no
//     max_in_flight; the others wait without holding a worker.
//   - HOOKWIRE_SUSPEND_AFTER (default 5; 0 never): deliveries in a row that
//     end FAILED before the subscription is SUSPENDED; a delivered one
//     resets the count.
//   - HOOKWIRE_SMTP_ADDR (host:port): SMTP server for suspension e-mails;
//     empty: no e-mail is sent (each suspension logs that it was skipped).
//     STARTTLS is used when the server offers it.
//   - HOOKWIRE_SMTP_FROM (default "hookwire@localhost"): sender address.
//   - HOOKWIRE_SMTP_USERNAME, HOOKWIRE_SMTP_PASSWORD: AUTH PLAIN (only over
//     TLS or to localhost), when set.
//   - HOOKWIRE_CONSOLE_URL: the web console's base URL (e.g.
//     https://hookwire.example/console); notice e-mails link to the
//     subscription's page under it. Empty: no links.
//   - HOOKWIRE_NOTIFY_RECOVERED (default true): also e-mail when a
//     suspended subscription is resumed.
//   - HOOKWIRE_NOTICE_WARN_AFTER (default 15m): a notice e-mail still unsent
//     this long after it was recorded is logged at WARN (package notice).
//   - HOOKWIRE_FANOUT_WORKERS (default 16): events fanned out at once.
//   - HOOKWIRE_DEDUP_TTL (default 72h): how long an event_id is remembered
//     to drop repeats published after the broker's duplicate window.
//   - HOOKWIRE_ACK_WAIT (default 10s; at least 1s): how long JetStream
//     waits for a dispatcher that took a message before giving it to
//     another, so how long a crashed replica's messages wait. A live
//     dispatcher keeps every message it owns alive every third of it,
//     whatever the message waits for (its attempt in flight included), so
//     it need not exceed any timeout (a subscription may set up to 60s).
//   - HOOKWIRE_SHUTDOWN_GRACE (default 25s): on SIGTERM, how long attempts
//     in flight may take to finish and be recorded; the rest is handed
//     back to JetStream (and may be sent again by another replica).
//   - HOOKWIRE_RETRY_JITTER (default 0.1): up to this fraction of a retry
//     delay is added at random, so retries of one outage spread out.
//   - HOOKWIRE_RETRY_POLL_INTERVAL (default 100ms): how often due retries
//     are moved back to the delivery queue.
//   - HOOKWIRE_DELIVERY_TIMEOUT (default 10s): timeout of an attempt when
//     the subscription sets none.
//   - HOOKWIRE_ALLOW_CIDRS: comma-separated prefixes deliveries may reach
//     although the SSRF guard forbids them (e.g. "10.1.0.0/16"); dev mode
//     adds 127.0.0.0/8 and ::1/128.
//   - HOOKWIRE_HTTPS_ONLY (default false): refuse http:// endpoints.
//   - HOOKWIRE_STREAM_REPLICAS (default 1; 3 on a cluster): replicas of the
//     DELIVERIES stream, and of EVENTS when the dispatcher creates it.
//   - HOOKWIRE_DELIVERIES_DUPLICATE_WINDOW (default 2m): DELIVERIES dedup window.
//   - HOOKWIRE_PUBLISH_ACK_TIMEOUT (default 10s): how long enqueueing
//     delivery tasks (fan-out, retry and parked-task release, Redeliver,
//     Replay) waits for JetStream's acknowledgement before it fails and the
//     work is tried again.
//   - HOOKWIRE_EVENTS_DUPLICATE_WINDOW (2m), HOOKWIRE_EVENTS_MAX_AGE (720h):
//     used only to create EVENTS if ingest has not (same as ingest's).
//   - HOOKWIRE_DELIVERY_LOG_URL (postgres://…): the delivery log on
//     PostgreSQL; empty keeps it in the JetStream KV bucket.
//     HOOKWIRE_DELIVERY_LOG_BATCH, HOOKWIRE_DELIVERY_RETENTION,
//     HOOKWIRE_DELIVERY_REPLICAS: its settings (package deliverylog).
type Config struct {
	GRPCAddr          string
	NATSURL           string
	RedisURL          string
	MasterKey         string
	Dev               bool
	DataDir           string
	TokensFile        string
	DeliveryWorkers   int
	RetryWorkers      int
	MaxInFlight       int // HOOKWIRE_MAX_IN_FLIGHT_DEFAULT
	SuspendAfter      int
	SMTP              mail.Config
	Notices           notice.Config
	FanoutWorkers     int
	DedupTTL          time.Duration
	AckWait           time.Duration
	RetryJitter       float64
	RetryPollInterval time.Duration
	DeliveryTimeout   time.Duration
	AllowCIDRs        []netip.Prefix
	HTTPSOnly         bool
	StreamReplicas    int
	ShutdownGrace     time.Duration

	MasterKeysPrevious string // HOOKWIRE_MASTER_KEYS_PREVIOUS

	DeliveriesDuplicateWindow time.Duration
	PublishAckTimeout         time.Duration
	EventsDuplicateWindow     time.Duration
	EventsMaxAge              time.Duration
	DeliveryLog               deliverylog.Config
}

// DefaultConfig returns the defaults documented on Config.
func DefaultConfig() Config {
	return Config{
		GRPCAddr:                  ":50053",
		NATSURL:                   "nats://127.0.0.1:4222",
		RedisURL:                  "redis://127.0.0.1:6379",
		DeliveryWorkers:           256,
		RetryWorkers:              64,
		MaxInFlight:               10,
		SuspendAfter:              5,
		SMTP:                      mail.Config{From: "hookwire@localhost"},
		Notices:                   notice.DefaultConfig(),
		FanoutWorkers:             16,
		DedupTTL:                  72 * time.Hour,
		AckWait:                   10 * time.Second,
		ShutdownGrace:             25 * time.Second,
		RetryJitter:               0.1,
		RetryPollInterval:         100 * time.Millisecond,
		DeliveryTimeout:           10 * time.Second,
		StreamReplicas:            1,
		DeliveriesDuplicateWindow: 2 * time.Minute,
		PublishAckTimeout:         10 * time.Second,
		EventsDuplicateWindow:     2 * time.Minute,
		EventsMaxAge:              30 * 24 * time.Hour,
		DeliveryLog:               deliverylog.Config{Retention: deliverylog.DefaultRetention, Replicas: 1},
	}
}

// Validate reports every problem of c at once.
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if c.MasterKey == "" && !c.Dev {
		bad("HOOKWIRE_MASTER_KEY is required (set HOOKWIRE_DEV=true for a development key)")
	}
	if c.MasterKey != "" {
		if _, err := seal.ParseKey(c.MasterKey); err != nil {
			bad("HOOKWIRE_MASTER_KEY: %w", err)
		}
	}
	if _, err := seal.ParseKeyList(c.MasterKeysPrevious); err != nil {
		bad("HOOKWIRE_MASTER_KEYS_PREVIOUS: %w", err)
	}
	if c.TokensFile == "" && !c.Dev {
		bad("HOOKWIRE_TOKENS_FILE is required (set HOOKWIRE_DEV=true to run without tokens)")
	}
	if c.DeliveryWorkers < 1 || c.DeliveryWorkers > 100_000 {
		bad("HOOKWIRE_DELIVERY_WORKERS %d: must be 1 to 100000", c.DeliveryWorkers)
	}
	if c.RetryWorkers < 1 || c.RetryWorkers > 100_000 {
		bad("HOOKWIRE_RETRY_WORKERS %d: must be 1 to 100000", c.RetryWorkers)
	}
	if c.MaxInFlight < 1 || c.MaxInFlight > 10_000 {
		bad("HOOKWIRE_MAX_IN_FLIGHT_DEFAULT %d: must be 1 to 10000", c.MaxInFlight)
	}
	if c.SuspendAfter < 0 {
		bad("HOOKWIRE_SUSPEND_AFTER %d: must not be negative (0 never suspends)", c.SuspendAfter)
	}
	if err := c.SMTP.Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := c.Notices.Validate(); err != nil {
		errs = append(errs, err)
	}
	if c.FanoutWorkers < 1 || c.FanoutWorkers > 10_000 {
		bad("HOOKWIRE_FANOUT_WORKERS %d: must be 1 to 10000", c.FanoutWorkers)
	}
	if c.DedupTTL < time.Minute {
		bad("HOOKWIRE_DEDUP_TTL %s: must be at least 1m", c.DedupTTL)
	}
	if c.DeliveryTimeout <= 0 {
		bad("HOOKWIRE_DELIVERY_TIMEOUT %s: must be positive", c.DeliveryTimeout)
	}
	if c.AckWait < time.Second {
		bad("HOOKWIRE_ACK_WAIT %s: must be at least 1s (messages are kept alive every third of it)", c.AckWait)
	}
	if c.ShutdownGrace <= 0 || c.ShutdownGrace > 10*time.Minute {
		bad("HOOKWIRE_SHUTDOWN_GRACE %s: must be positive and at most 10m", c.ShutdownGrace)
	}
	if c.RetryJitter < 0 || c.RetryJitter > 1 {
		bad("HOOKWIRE_RETRY_JITTER %g: must be 0 to 1", c.RetryJitter)
	}
	if c.RetryPollInterval <= 0 {
		bad("HOOKWIRE_RETRY_POLL_INTERVAL %s: must be positive", c.RetryPollInterval)
	}
	if c.StreamReplicas < 1 || c.StreamReplicas > 5 {
		bad("HOOKWIRE_STREAM_REPLICAS %d: must be 1 to 5", c.StreamReplicas)
	}
	if c.DeliveriesDuplicateWindow <= 0 {
		bad("HOOKWIRE_DELIVERIES_DUPLICATE_WINDOW %s: must be positive", c.DeliveriesDuplicateWindow)
	}
	if c.PublishAckTimeout <= 0 {
		bad("HOOKWIRE_PUBLISH_ACK_TIMEOUT %s: must be positive", c.PublishAckTimeout)
	}
	if c.EventsDuplicateWindow <= 0 || c.EventsMaxAge < c.EventsDuplicateWindow {
		bad("HOOKWIRE_EVENTS_DUPLICATE_WINDOW %s / HOOKWIRE_EVENTS_MAX_AGE %s: window must be positive and max age at least the window",
			c.EventsDuplicateWindow, c.EventsMaxAge)
	}
	if err := c.DeliveryLog.Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("dispatcher config: %w", err)
	}
	return nil
}
