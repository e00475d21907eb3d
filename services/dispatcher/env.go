package dispatcher

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/hookwire/hookwire/services/dispatcher/deliverylog"
)

// EnvVars lists every HOOKWIRE_* variable ConfigFromEnv reads (the process
// itself also reads daemon.EnvVars).
func EnvVars() []string {
	return []string{
		"HOOKWIRE_GRPC_ADDR", "HOOKWIRE_NATS_URL", "HOOKWIRE_REDIS_URL", "HOOKWIRE_MASTER_KEY", "HOOKWIRE_DEV",
		"HOOKWIRE_DATA_DIR", "HOOKWIRE_TOKENS_FILE", "HOOKWIRE_DELIVERY_WORKERS", "HOOKWIRE_RETRY_WORKERS",
		"HOOKWIRE_MAX_IN_FLIGHT_DEFAULT", "HOOKWIRE_SUSPEND_AFTER", "HOOKWIRE_SMTP_ADDR", "HOOKWIRE_SMTP_FROM",
		"HOOKWIRE_SMTP_USERNAME", "HOOKWIRE_SMTP_PASSWORD", "HOOKWIRE_FANOUT_WORKERS", "HOOKWIRE_DEDUP_TTL",
		"HOOKWIRE_ACK_WAIT", "HOOKWIRE_RETRY_JITTER", "HOOKWIRE_RETRY_POLL_INTERVAL", "HOOKWIRE_DELIVERY_TIMEOUT",
		"HOOKWIRE_ALLOW_CIDRS", "HOOKWIRE_HTTPS_ONLY", "HOOKWIRE_STREAM_REPLICAS",
		"HOOKWIRE_DELIVERIES_DUPLICATE_WINDOW", "HOOKWIRE_PUBLISH_ACK_TIMEOUT", "HOOKWIRE_EVENTS_DUPLICATE_WINDOW",
		"HOOKWIRE_EVENTS_MAX_AGE", "HOOKWIRE_DELIVERY_RETENTION", "HOOKWIRE_DELIVERY_REPLICAS",
	}
}

// ConfigFromEnv reads HOOKWIRE_* over DefaultConfig and validates the result.
func ConfigFromEnv() (Config, error) {
	c := DefaultConfig()
	var errs []error
	set := func(key string, parse func(string) error) {
		if v, ok := os.LookupEnv(key); ok && v != "" {
			if err := parse(v); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", key, err))
			}
		}
	}
	str := func(key string, dst *string) { set(key, func(v string) error { *dst = v; return nil }) }
	num := func(key string, dst *int) {
		set(key, func(v string) (err error) { *dst, err = strconv.Atoi(v); return err })
	}
	dur := func(key string, dst *time.Duration) {
		set(key, func(v string) (err error) { *dst, err = time.ParseDuration(v); return err })
	}
	boolean := func(key string, dst *bool) {
		set(key, func(v string) (err error) { *dst, err = strconv.ParseBool(v); return err })
	}
	str("HOOKWIRE_GRPC_ADDR", &c.GRPCAddr)
	str("HOOKWIRE_NATS_URL", &c.NATSURL)
	str("HOOKWIRE_REDIS_URL", &c.RedisURL)
	str("HOOKWIRE_MASTER_KEY", &c.MasterKey)
	boolean("HOOKWIRE_DEV", &c.Dev)
	str("HOOKWIRE_DATA_DIR", &c.DataDir)
	str("HOOKWIRE_TOKENS_FILE", &c.TokensFile)
	num("HOOKWIRE_DELIVERY_WORKERS", &c.DeliveryWorkers)
	num("HOOKWIRE_RETRY_WORKERS", &c.RetryWorkers)
	num("HOOKWIRE_MAX_IN_FLIGHT_DEFAULT", &c.MaxInFlight)
	num("HOOKWIRE_SUSPEND_AFTER", &c.SuspendAfter)
	str("HOOKWIRE_SMTP_ADDR", &c.SMTP.Addr)
	str("HOOKWIRE_SMTP_FROM", &c.SMTP.From)
	str("HOOKWIRE_SMTP_USERNAME", &c.SMTP.Username)
	str("HOOKWIRE_SMTP_PASSWORD", &c.SMTP.Password)
	num("HOOKWIRE_FANOUT_WORKERS", &c.FanoutWorkers)
	dur("HOOKWIRE_DEDUP_TTL", &c.DedupTTL)
	dur("HOOKWIRE_ACK_WAIT", &c.AckWait)
	set("HOOKWIRE_RETRY_JITTER", func(v string) (err error) { c.RetryJitter, err = strconv.ParseFloat(v, 64); return err })
	dur("HOOKWIRE_RETRY_POLL_INTERVAL", &c.RetryPollInterval)
	dur("HOOKWIRE_DELIVERY_TIMEOUT", &c.DeliveryTimeout)
	set("HOOKWIRE_ALLOW_CIDRS", func(v string) error {
		for _, s := range strings.Split(v, ",") {
			p, err := netip.ParsePrefix(strings.TrimSpace(s))
			if err != nil {
				return err
			}
			c.AllowCIDRs = append(c.AllowCIDRs, p)
		}
		return nil
	})
	boolean("HOOKWIRE_HTTPS_ONLY", &c.HTTPSOnly)
	num("HOOKWIRE_STREAM_REPLICAS", &c.StreamReplicas)
	dur("HOOKWIRE_DELIVERIES_DUPLICATE_WINDOW", &c.DeliveriesDuplicateWindow)
	dur("HOOKWIRE_PUBLISH_ACK_TIMEOUT", &c.PublishAckTimeout)
	dur("HOOKWIRE_EVENTS_DUPLICATE_WINDOW", &c.EventsDuplicateWindow)
	dur("HOOKWIRE_EVENTS_MAX_AGE", &c.EventsMaxAge)
	dl, err := deliverylog.ConfigFromEnv(os.Getenv)
	if err != nil {
		errs = append(errs, err)
	}
	c.DeliveryLog = dl
	if err := errors.Join(errs...); err != nil {
		return Config{}, fmt.Errorf("dispatcher config: %w", err)
	}
	return c, c.Validate()
}
