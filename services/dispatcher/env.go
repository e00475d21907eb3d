package dispatcher

import (
	"errors"
	"fmt"
	"os"

	"github.com/hookwire/hookwire/pkg/envconf"
	"github.com/hookwire/hookwire/services/dispatcher/deliverylog"
)

// EnvVars lists every HOOKWIRE_* variable ConfigFromEnv reads (the process
// itself also reads daemon.EnvVars).
func EnvVars() []string { return envconf.Keys(readConfig) }

// ConfigFromEnv reads HOOKWIRE_* over DefaultConfig and validates the result.
func ConfigFromEnv() (Config, error) { return readConfig(envconf.New(os.LookupEnv)) }

func readConfig(r *envconf.Reader) (Config, error) {
	c := DefaultConfig()
	r.String("HOOKWIRE_GRPC_ADDR", &c.GRPCAddr)
	r.String("HOOKWIRE_NATS_URL", &c.NATSURL)
	r.String("HOOKWIRE_REDIS_URL", &c.RedisURL)
	r.Secret("HOOKWIRE_MASTER_KEY", &c.MasterKey)
	r.Secret("HOOKWIRE_MASTER_KEYS_PREVIOUS", &c.MasterKeysPrevious)
	r.Bool("HOOKWIRE_DEV", &c.Dev)
	r.String("HOOKWIRE_DATA_DIR", &c.DataDir)
	r.String("HOOKWIRE_TOKENS_FILE", &c.TokensFile)
	r.Int("HOOKWIRE_DELIVERY_WORKERS", &c.DeliveryWorkers)
	r.Int("HOOKWIRE_RETRY_WORKERS", &c.RetryWorkers)
	r.Int("HOOKWIRE_MAX_IN_FLIGHT_DEFAULT", &c.MaxInFlight)
	r.Int("HOOKWIRE_SUSPEND_AFTER", &c.SuspendAfter)
	r.String("HOOKWIRE_SMTP_ADDR", &c.SMTP.Addr)
	r.String("HOOKWIRE_SMTP_FROM", &c.SMTP.From)
	r.String("HOOKWIRE_SMTP_USERNAME", &c.SMTP.Username)
	r.Secret("HOOKWIRE_SMTP_PASSWORD", &c.SMTP.Password)
	r.String("HOOKWIRE_CONSOLE_URL", &c.Notices.ConsoleURL)
	r.Bool("HOOKWIRE_NOTIFY_RECOVERED", &c.Notices.Recovered)
	r.Duration("HOOKWIRE_NOTICE_WARN_AFTER", &c.Notices.WarnAfter)
	r.Int("HOOKWIRE_FANOUT_WORKERS", &c.FanoutWorkers)
	r.Duration("HOOKWIRE_DEDUP_TTL", &c.DedupTTL)
	r.Duration("HOOKWIRE_ACK_WAIT", &c.AckWait)
	r.Duration("HOOKWIRE_SHUTDOWN_GRACE", &c.ShutdownGrace)
	r.Float("HOOKWIRE_RETRY_JITTER", &c.RetryJitter)
	r.Duration("HOOKWIRE_RETRY_POLL_INTERVAL", &c.RetryPollInterval)
	r.Duration("HOOKWIRE_DELIVERY_TIMEOUT", &c.DeliveryTimeout)
	r.Prefixes("HOOKWIRE_ALLOW_CIDRS", &c.AllowCIDRs)
	r.Bool("HOOKWIRE_HTTPS_ONLY", &c.HTTPSOnly)
	r.Int("HOOKWIRE_STREAM_REPLICAS", &c.StreamReplicas)
	r.Duration("HOOKWIRE_DELIVERIES_DUPLICATE_WINDOW", &c.DeliveriesDuplicateWindow)
	r.Duration("HOOKWIRE_PUBLISH_ACK_TIMEOUT", &c.PublishAckTimeout)
	r.Duration("HOOKWIRE_EVENTS_DUPLICATE_WINDOW", &c.EventsDuplicateWindow)
	r.Duration("HOOKWIRE_EVENTS_MAX_AGE", &c.EventsMaxAge)
	var dlURL string // it holds the database password: a secret, or a file
	r.Secret("HOOKWIRE_DELIVERY_LOG_URL", &dlURL)
	dl, dlErr := deliverylog.ConfigFromEnv(func(k string) string { // HOOKWIRE_DELIVERY_RETENTION, _REPLICAS, _LOG_URL, _LOG_BATCH
		if k == "HOOKWIRE_DELIVERY_LOG_URL" {
			return dlURL
		}
		return r.Getenv(k)
	})
	c.DeliveryLog = dl
	if err := errors.Join(r.Err(), dlErr); err != nil {
		return Config{}, fmt.Errorf("dispatcher config: %w", err)
	}
	return c, c.Validate()
}
