package deliver

import (
	"crypto/tls"
	"net"
	"net/http"
	"net/netip"
	"time"
)

// Version goes into the default User-Agent.
const Version = "0.1.0"

// DefaultUserAgent is sent when Options.UserAgent is empty.
const DefaultUserAgent = "Hookwire/" + Version

// Options configure a Client.
type Options struct {
	// UserAgent defaults to DefaultUserAgent.
	UserAgent string
	// AllowCIDRs are reachable even if the SSRF guard forbids them (dev
	// stacks allowing loopback, on-prem subscribers on private networks).
	AllowCIDRs []netip.Prefix
	// HTTPSOnly refuses http:// URLs.
	HTTPSOnly bool
	// MaxConnsPerHost caps connections to one host; 0 means no cap.
	MaxConnsPerHost int
	// MaxIdleConnsPerHost is the keep-alive pool per host; 0 means 256.
	MaxIdleConnsPerHost int
	// TLSConfig overrides the TLS client configuration (e.g. RootCAs in tests).
	TLSConfig *tls.Config
	// Resolver resolves host names; nil means net.DefaultResolver.
	Resolver *net.Resolver
	// Now is the clock for webhook-timestamp; nil means time.Now.
	Now func() time.Time
}

// Client sends webhook attempts. It is safe for concurrent use and keeps
// connections alive between attempts; share one per process.
type Client struct {
	// transport is used directly, not through http.Client: redirects are
	// never followed (a 3xx is the answer), and nothing else of Client is
	// wanted on this hot path.
	transport *http.Transport
	guard     guard
	resolver  *net.Resolver
	userAgent string
	httpsOnly bool
	now       func() time.Time
}

// NewClient builds a Client whose every connection passes the SSRF guard.
func NewClient(opts Options) *Client {
	g := guard{allow: append([]netip.Prefix(nil), opts.AllowCIDRs...)}
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second, Control: g.control}
	resolver := opts.Resolver
	if resolver == nil {
		resolver = net.DefaultResolver
	}
	idle := opts.MaxIdleConnsPerHost
	if idle <= 0 {
		idle = 256
	}
	tlsConf := opts.TLSConfig
	if tlsConf == nil {
		tlsConf = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	tr := &http.Transport{
		Proxy:                 nil, // a proxy would dial for us and bypass the guard
		DialContext:           g.dialContext(dialer, resolver),
		TLSClientConfig:       tlsConf,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          0, // no global cap; per host below
		MaxIdleConnsPerHost:   idle,
		MaxConnsPerHost:       opts.MaxConnsPerHost,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: 0,
		DisableCompression:    true, // excerpts are the raw bytes; no decompression bombs
	}
	c := &Client{
		transport: tr,
		guard:     g,
		resolver:  resolver,
		userAgent: opts.UserAgent,
		httpsOnly: opts.HTTPSOnly,
		now:       opts.Now,
	}
	if c.userAgent == "" {
		c.userAgent = DefaultUserAgent
	}
	if c.now == nil {
		c.now = time.Now
	}
	return c
}

// CloseIdleConnections closes kept-alive connections (on shutdown).
func (c *Client) CloseIdleConnections() { c.transport.CloseIdleConnections() }
