package console

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/hookwire/hookwire/pkg/envconf"
	"github.com/hookwire/hookwire/pkg/seal"
)

// Config is the console's configuration, read once from the environment by
// ConfigFromEnv:
//
//   - HOOKWIRE_CONSOLE_ADDR (default ":8084"): HTTP address of the console
//     (at /console/) and of /healthz, /readyz and /metrics.
//   - HOOKWIRE_REGISTRY_ADDR (default "127.0.0.1:50051"): gRPC address of
//     the registry (RegistryService).
//   - HOOKWIRE_DISPATCHER_ADDR (default "127.0.0.1:50053"): gRPC address of
//     the dispatcher (DeliveryService).
//   - HOOKWIRE_JAEGER_URL (unset: no trace links): base URL of the Jaeger UI,
//     e.g. "http://localhost:16686"; a delivery links to its event's trace
//     there, searched by the tag hookwire.event.id.
//   - HOOKWIRE_JAEGER_SERVICE (default "hookwire-dispatcher"): the service
//     the Jaeger search is run in (hookwire dev's is "hookwire-dev").
//   - HOOKWIRE_CONSOLE_SESSION_TTL (default 12h): a session ends after this
//     long without a request.
//   - HOOKWIRE_CONSOLE_SESSION_KEY, or HOOKWIRE_CONSOLE_SESSION_KEY_FILE (a
//     file holding it): 32 bytes, hex or base64, sealing the session
//     cookies (AES-256-GCM). Give every replica the same key: sessions then
//     survive restarts and span replicas. Unset: a random key per process
//     (hookwire dev does this), so a restart signs everyone out.
//   - HOOKWIRE_DEV (default false): development mode: the session cookie is
//     not marked Secure, so the console works over plain http://.
type Config struct {
	Addr           string
	RegistryAddr   string
	DispatcherAddr string
	JaegerURL      string
	JaegerService  string
	SessionTTL     time.Duration
	SessionKey     []byte
	Dev            bool
	// TokenOptional lets a visitor in without a token (hookwire dev without
	// a tokens file, where every caller is root). Not read from the
	// environment.
	TokenOptional bool
}

// BasePath is where the console is served, in its own process and in
// hookwire dev.
const BasePath = "/console/"

// DefaultConfig returns the defaults documented on Config.
func DefaultConfig() Config {
	return Config{
		Addr:           ":8084",
		RegistryAddr:   "127.0.0.1:50051",
		DispatcherAddr: "127.0.0.1:50053",
		JaegerService:  "hookwire-dispatcher",
		SessionTTL:     12 * time.Hour,
	}
}

// EnvVars lists every HOOKWIRE_* variable ConfigFromEnv reads.
func EnvVars() []string { return envconf.Keys(readConfig) }

// ConfigFromEnv reads HOOKWIRE_* over DefaultConfig and validates the result.
func ConfigFromEnv() (Config, error) { return readConfig(envconf.New(os.LookupEnv)) }

func readConfig(r *envconf.Reader) (Config, error) {
	c := DefaultConfig()
	r.String("HOOKWIRE_CONSOLE_ADDR", &c.Addr)
	r.String("HOOKWIRE_REGISTRY_ADDR", &c.RegistryAddr)
	r.String("HOOKWIRE_DISPATCHER_ADDR", &c.DispatcherAddr)
	r.String("HOOKWIRE_JAEGER_URL", &c.JaegerURL)
	r.String("HOOKWIRE_JAEGER_SERVICE", &c.JaegerService)
	r.Duration("HOOKWIRE_CONSOLE_SESSION_TTL", &c.SessionTTL)
	r.Bool("HOOKWIRE_DEV", &c.Dev)
	var key, keyFile string
	r.String("HOOKWIRE_CONSOLE_SESSION_KEY", &key)
	r.String("HOOKWIRE_CONSOLE_SESSION_KEY_FILE", &keyFile)
	if err := r.Err(); err != nil {
		return Config{}, err
	}
	var err error
	if c.SessionKey, err = readSessionKey(key, keyFile); err != nil {
		return Config{}, err
	}
	return c, c.Validate()
}

// sessionKeySize is the AES-256 key size of the session cookies.
const sessionKeySize = seal.KeySize

// readSessionKey decodes the session key given inline or in a file; the
// error never quotes the key.
func readSessionKey(inline, file string) ([]byte, error) {
	if inline != "" && file != "" {
		return nil, errors.New("set HOOKWIRE_CONSOLE_SESSION_KEY or HOOKWIRE_CONSOLE_SESSION_KEY_FILE, not both")
	}
	name := "HOOKWIRE_CONSOLE_SESSION_KEY"
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("HOOKWIRE_CONSOLE_SESSION_KEY_FILE: %w", err)
		}
		inline, name = strings.TrimSpace(string(b)), "HOOKWIRE_CONSOLE_SESSION_KEY_FILE"
	}
	if inline == "" {
		return nil, nil
	}
	k, err := seal.ParseKey(inline)
	if err != nil {
		return nil, fmt.Errorf("%s: must be %d bytes, hex or base64", name, sessionKeySize)
	}
	return k, nil
}

// Validate joins every problem of c into one error.
func (c Config) Validate() error {
	var errs []error
	for _, a := range []struct{ key, v string }{
		{"HOOKWIRE_CONSOLE_ADDR", c.Addr},
		{"HOOKWIRE_REGISTRY_ADDR", c.RegistryAddr},
		{"HOOKWIRE_DISPATCHER_ADDR", c.DispatcherAddr},
	} {
		if a.v == "" || !strings.Contains(a.v, ":") {
			errs = append(errs, fmt.Errorf("%s %q: must be host:port", a.key, a.v))
		}
	}
	if c.JaegerURL != "" {
		u, err := url.Parse(c.JaegerURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("HOOKWIRE_JAEGER_URL %q: must be an absolute http(s) URL", c.JaegerURL))
		}
	}
	if n := len(c.SessionKey); n != 0 && n != sessionKeySize {
		errs = append(errs, fmt.Errorf("HOOKWIRE_CONSOLE_SESSION_KEY: must be %d bytes", sessionKeySize))
	}
	if c.SessionTTL < time.Minute {
		errs = append(errs, errors.New("HOOKWIRE_CONSOLE_SESSION_TTL must be at least 1m"))
	}
	return errors.Join(errs...)
}
