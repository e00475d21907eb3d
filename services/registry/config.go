package registry

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"time"

	"github.com/hookwire/hookwire/pkg/envconf"
	"github.com/hookwire/hookwire/pkg/seal"
)

// Config is the registry's configuration, read once from the environment by
// ConfigFromEnv:
//
//   - HOOKWIRE_GRPC_ADDR (default ":50051"): gRPC listen address (used by main).
//   - HOOKWIRE_NATS_URL (default "nats://127.0.0.1:4222"): NATS server (used by main).
//   - HOOKWIRE_MASTER_KEY: 32-byte key, 64 hex characters or base64, that seals
//     signing secrets, basic-auth passwords and encryption keys at rest.
//     Required unless HOOKWIRE_DEV=true.
//   - HOOKWIRE_MASTER_KEYS_PREVIOUS: comma-separated master keys that only
//     open values, never seal: the keys being retired during a rotation, or
//     the next key before it becomes HOOKWIRE_MASTER_KEY (README, Rotating
//     the master key).
//   - HOOKWIRE_DEV (default false): development mode: no tokens file needed
//     (every caller is root), http URLs allowed, loopback endpoints allowed for
//     TestEndpoint, the reference event catalog loaded, and without a master
//     key one is kept in HOOKWIRE_DATA_DIR/master.key (or, with no data dir,
//     an ephemeral one is generated). Never use in production.
//   - HOOKWIRE_TOKENS_FILE: bearer tokens file (see package auth); required
//     unless HOOKWIRE_DEV=true (used by main).
//   - HOOKWIRE_ALLOW_HTTP (default false): accept http:// subscription URLs.
//   - HOOKWIRE_MAX_SUBSCRIPTIONS_PER_SCOPE (default 1000): subscriptions at one
//     exact scope; creating one more fails with RESOURCE_EXHAUSTED.
//   - HOOKWIRE_SECRET_OVERLAP (default 24h): how long a rotated-out signing
//     secret keeps signing, unless RotateSecret's previous_secret_ttl says.
//   - HOOKWIRE_CATALOG_FILE: JSON event-type catalog (array of {name,
//     description}) whose missing types are created at startup.
//   - HOOKWIRE_KV_REPLICAS (default 1): replicas of the KV buckets (3 on a cluster).
//   - HOOKWIRE_ALLOW_CIDRS: comma-separated prefixes TestEndpoint may reach
//     although private (e.g. "10.1.0.0/16"); dev mode adds 127.0.0.0/8, ::1/128.
//   - HOOKWIRE_HTTPS_ONLY (default false): TestEndpoint refuses http:// URLs.
//   - HOOKWIRE_DATA_DIR: directory for dev-mode state (the dev master key).
type Config struct {
	GRPCAddr                 string
	NATSURL                  string
	MasterKey                string
	MasterKeysPrevious       string
	Dev                      bool
	TokensFile               string
	AllowHTTP                bool
	MaxSubscriptionsPerScope int
	SecretOverlap            time.Duration
	CatalogFile              string
	KVReplicas               int
	AllowCIDRs               []netip.Prefix
	HTTPSOnly                bool
	DataDir                  string
}

// DefaultConfig returns the defaults documented on Config.
func DefaultConfig() Config {
	return Config{
		GRPCAddr:                 ":50051",
		NATSURL:                  "nats://127.0.0.1:4222",
		MaxSubscriptionsPerScope: 1000,
		SecretOverlap:            24 * time.Hour,
		KVReplicas:               1,
	}
}

// EnvVars lists every HOOKWIRE_* variable ConfigFromEnv reads (the process
// itself also reads daemon.EnvVars).
func EnvVars() []string { return envconf.Keys(readConfig) }

// ConfigFromEnv reads HOOKWIRE_* over DefaultConfig and validates the result.
func ConfigFromEnv() (Config, error) { return readConfig(envconf.New(os.LookupEnv)) }

func readConfig(r *envconf.Reader) (Config, error) {
	c := DefaultConfig()
	r.String("HOOKWIRE_GRPC_ADDR", &c.GRPCAddr)
	r.String("HOOKWIRE_NATS_URL", &c.NATSURL)
	r.Secret("HOOKWIRE_MASTER_KEY", &c.MasterKey)
	r.Secret("HOOKWIRE_MASTER_KEYS_PREVIOUS", &c.MasterKeysPrevious)
	r.Bool("HOOKWIRE_DEV", &c.Dev)
	r.String("HOOKWIRE_TOKENS_FILE", &c.TokensFile)
	r.Bool("HOOKWIRE_ALLOW_HTTP", &c.AllowHTTP)
	r.Int("HOOKWIRE_MAX_SUBSCRIPTIONS_PER_SCOPE", &c.MaxSubscriptionsPerScope)
	r.Duration("HOOKWIRE_SECRET_OVERLAP", &c.SecretOverlap)
	r.String("HOOKWIRE_CATALOG_FILE", &c.CatalogFile)
	r.Int("HOOKWIRE_KV_REPLICAS", &c.KVReplicas)
	r.Prefixes("HOOKWIRE_ALLOW_CIDRS", &c.AllowCIDRs)
	r.Bool("HOOKWIRE_HTTPS_ONLY", &c.HTTPSOnly)
	r.String("HOOKWIRE_DATA_DIR", &c.DataDir)
	if err := r.Err(); err != nil {
		return Config{}, err
	}
	return c, c.Validate()
}

// Validate joins every problem of c into one error.
func (c Config) Validate() error {
	var errs []error
	if c.MasterKey == "" && !c.Dev {
		errs = append(errs, errors.New("HOOKWIRE_MASTER_KEY is required (set HOOKWIRE_DEV=true for a development key)"))
	}
	if c.MasterKey != "" {
		if _, err := seal.ParseKey(c.MasterKey); err != nil {
			errs = append(errs, fmt.Errorf("HOOKWIRE_MASTER_KEY: %w", err))
		}
	}
	if _, err := seal.ParseKeyList(c.MasterKeysPrevious); err != nil {
		errs = append(errs, fmt.Errorf("HOOKWIRE_MASTER_KEYS_PREVIOUS: %w", err))
	}
	if c.TokensFile == "" && !c.Dev {
		errs = append(errs, errors.New("HOOKWIRE_TOKENS_FILE is required (set HOOKWIRE_DEV=true to run without tokens)"))
	}
	if c.MaxSubscriptionsPerScope < 1 {
		errs = append(errs, errors.New("HOOKWIRE_MAX_SUBSCRIPTIONS_PER_SCOPE must be at least 1"))
	}
	if c.SecretOverlap < 0 {
		errs = append(errs, errors.New("HOOKWIRE_SECRET_OVERLAP must not be negative"))
	}
	if c.KVReplicas < 1 || c.KVReplicas > 5 {
		errs = append(errs, errors.New("HOOKWIRE_KV_REPLICAS must be 1..5"))
	}
	return errors.Join(errs...)
}
