package notice

import (
	"errors"
	"fmt"
	"net/url"
	"time"
)

// Config is what the notices say and when an unsent one is reported.
type Config struct {
	// ConsoleURL is the web console's base URL; the e-mails link to the
	// subscription's page under it. Empty: no links.
	ConsoleURL string
	// Recovered sends an e-mail when a suspended subscription is resumed.
	Recovered bool
	// WarnAfter is how long a notice may stay unsent before it is logged
	// at WARN.
	WarnAfter time.Duration
}

// DefaultConfig is the documented default.
func DefaultConfig() Config { return Config{Recovered: true, WarnAfter: 15 * time.Minute} }

// Validate reports what is wrong with c.
func (c Config) Validate() error {
	var errs []error
	if c.ConsoleURL != "" {
		u, err := url.Parse(c.ConsoleURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil || u.RawQuery != "" {
			errs = append(errs, fmt.Errorf("HOOKWIRE_CONSOLE_URL %q: must be an http(s) URL without credentials or query", c.ConsoleURL))
		}
	}
	if c.WarnAfter <= 0 {
		errs = append(errs, fmt.Errorf("HOOKWIRE_NOTICE_WARN_AFTER %s: must be positive", c.WarnAfter))
	}
	return errors.Join(errs...)
}
