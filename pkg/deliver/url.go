package deliver

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"net/url"
)

var (
	// ErrInvalidURL: the URL cannot be delivered to (syntax, scheme, userinfo).
	ErrInvalidURL = errors.New("invalid webhook URL")
	// ErrHTTPSOnly: an http:// URL under Options.HTTPSOnly.
	ErrHTTPSOnly = errors.New("only https:// webhook URLs are allowed")
	// ErrInvalidRequest: the Request cannot be sent (no secret, bad key).
	ErrInvalidRequest = errors.New("invalid webhook request")
)

// parseURL checks what can be checked without the network.
func (c *Client) parseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: does not parse", ErrInvalidURL)
	}
	return u, c.checkURL(u)
}

// checkURL checks a parsed URL as parseURL does.
func (c *Client) checkURL(u *url.URL) error {
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("%w: scheme %q, want http or https", ErrInvalidURL, u.Scheme)
	case u.Host == "" || u.Hostname() == "":
		return fmt.Errorf("%w: no host", ErrInvalidURL)
	case u.User != nil:
		return fmt.Errorf("%w: credentials in the URL are not allowed (use basic auth settings)", ErrInvalidURL)
	case c.httpsOnly && u.Scheme != "https":
		return fmt.Errorf("%w: %s", ErrHTTPSOnly, redact(u))
	}
	return nil
}

// CheckURL validates raw as Send would and resolves its host, refusing it
// if any address is forbidden. Registries call it when a URL is saved; Send
// checks again at every dial, since DNS answers change.
func (c *Client) CheckURL(ctx context.Context, raw string) error {
	u, err := c.parseURL(raw)
	if err != nil {
		return err
	}
	host := u.Hostname()
	if ip, err := netip.ParseAddr(host); err == nil {
		return c.guard.check(ip)
	}
	ips, err := c.resolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return fmt.Errorf("resolve %s: %w", host, err)
	}
	for _, ip := range ips {
		if err := c.guard.check(ip); err != nil {
			return fmt.Errorf("check %s: %w", host, err)
		}
	}
	return nil
}

// redact drops query and fragment, which may hold subscriber tokens, from
// a URL shown in errors.
func redact(u *url.URL) string {
	v := *u
	v.User, v.RawQuery, v.ForceQuery, v.Fragment, v.RawFragment = nil, "", false, "", ""
	return v.String()
}
