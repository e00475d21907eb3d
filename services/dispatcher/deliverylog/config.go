package deliverylog

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Bucket is the JetStream KV bucket of delivery records.
const Bucket = "hookwire_deliveries"

// DefaultRetention is how long a delivery record is kept after its last write.
const DefaultRetention = 30 * 24 * time.Hour

// Config configures the delivery log.
type Config struct {
	// Retention is the bucket TTL: a record expires this long after its
	// last write (HOOKWIRE_DELIVERY_RETENTION, default 30 days).
	Retention time.Duration
	// Replicas is 1 on a single server, 3 in a cluster (the KV bucket).
	Replicas int
	// URL selects the PostgreSQL store (HOOKWIRE_DELIVERY_LOG_URL,
	// postgres://user:password@host:5432/db?sslmode=…); empty: the
	// JetStream KV bucket. It may hold a password: never logged.
	URL string
	// WriteBatch is the most attempts the PostgreSQL store records in one
	// transaction (HOOKWIRE_DELIVERY_LOG_BATCH; 0: DefaultWriteBatch, 256).
	WriteBatch int
}

// ConfigFromEnv reads HOOKWIRE_DELIVERY_RETENTION (a Go duration such as
// "720h"), HOOKWIRE_DELIVERY_REPLICAS, HOOKWIRE_DELIVERY_LOG_URL and
// HOOKWIRE_DELIVERY_LOG_BATCH through getenv (os.Getenv).
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	cfg := Config{Retention: DefaultRetention, Replicas: 1, URL: getenv("HOOKWIRE_DELIVERY_LOG_URL")}
	var errs []error
	if v := getenv("HOOKWIRE_DELIVERY_RETENTION"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("HOOKWIRE_DELIVERY_RETENTION: %w", err))
		}
		cfg.Retention = d
	}
	if v := getenv("HOOKWIRE_DELIVERY_REPLICAS"); v != "" {
		if _, err := fmt.Sscan(v, &cfg.Replicas); err != nil {
			errs = append(errs, fmt.Errorf("HOOKWIRE_DELIVERY_REPLICAS: %q is not a number", v))
		}
	}
	if v := getenv("HOOKWIRE_DELIVERY_LOG_BATCH"); v != "" {
		if _, err := fmt.Sscan(v, &cfg.WriteBatch); err != nil {
			errs = append(errs, fmt.Errorf("HOOKWIRE_DELIVERY_LOG_BATCH: %q is not a number", v))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return Config{}, err
	}
	return cfg, cfg.Validate()
}

// Validate reports every problem of cfg at once.
func (c Config) Validate() error {
	var errs []error
	if c.Retention < time.Minute {
		errs = append(errs, fmt.Errorf("delivery retention %s: must be at least 1m", c.Retention))
	}
	if c.Replicas < 1 || c.Replicas > 5 {
		errs = append(errs, fmt.Errorf("delivery replicas %d: must be 1 to 5", c.Replicas))
	}
	if c.URL != "" && !strings.HasPrefix(c.URL, "postgres://") && !strings.HasPrefix(c.URL, "postgresql://") {
		errs = append(errs, errors.New("HOOKWIRE_DELIVERY_LOG_URL: must be a postgres:// or postgresql:// URL"))
	}
	if c.WriteBatch < 0 || c.WriteBatch > 10000 {
		errs = append(errs, fmt.Errorf("delivery log write batch %d: must be 1 to 10000 (0: %d)", c.WriteBatch, DefaultWriteBatch))
	}
	return errors.Join(errs...)
}

// BucketConfig is the bucket's configuration: one revision per key (an
// attempt rewrites the whole record), file storage, TTL = retention.
func (c Config) BucketConfig() jetstream.KeyValueConfig {
	return jetstream.KeyValueConfig{
		Bucket:      Bucket,
		Description: "Hookwire delivery log (one record per event x subscription)",
		History:     1,
		TTL:         c.Retention,
		Storage:     jetstream.FileStorage,
		Replicas:    max(c.Replicas, 1),
	}
}
