package publisher

import (
	"crypto/tls"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
)

// Option configures a Client.
type Option func(*options)

type options struct {
	token      string
	userID     string
	creds      credentials.TransportCredentials
	maxRetries int
	backoff    time.Duration
	maxBackoff time.Duration
	window     int
	dialOpts   []grpc.DialOption
}

// Defaults.
const (
	DefaultMaxRetries = 5
	DefaultBackoff    = 100 * time.Millisecond
	DefaultMaxBackoff = 5 * time.Second
	DefaultWindow     = 1024
)

func defaultOptions() options {
	return options{
		creds:      credentials.NewTLS(&tls.Config{MinVersion: tls.VersionTLS12}),
		maxRetries: DefaultMaxRetries,
		backoff:    DefaultBackoff,
		maxBackoff: DefaultMaxBackoff,
		window:     DefaultWindow,
	}
}

// WithToken sends "authorization: Bearer <token>" on every call.
func WithToken(token string) Option { return func(o *options) { o.token = token } }

// WithUserID sends "x-user-id" (the audit user) on every call.
func WithUserID(id string) Option { return func(o *options) { o.userID = id } }

// WithTLS uses TLS with cfg. Without WithTLS or WithInsecure the client uses
// TLS with the system roots.
func WithTLS(cfg *tls.Config) Option {
	return func(o *options) { o.creds = credentials.NewTLS(cfg) }
}

// WithInsecure uses plaintext, for a local or sidecar-secured connection.
func WithInsecure() Option { return func(o *options) { o.creds = insecure.NewCredentials() } }

// WithMaxRetries sets how many times a call (or a stream event, or a broken
// stream) is retried after Unavailable or ResourceExhausted; 0 disables
// retries. Default 5.
func WithMaxRetries(n int) Option { return func(o *options) { o.maxRetries = max(n, 0) } }

// WithBackoff sets the first retry delay and its cap; the delay doubles per
// retry and is jittered. Default 100ms, capped at 5s.
func WithBackoff(initial, maxDelay time.Duration) Option {
	return func(o *options) {
		if initial > 0 {
			o.backoff = initial
		}
		if maxDelay >= o.backoff {
			o.maxBackoff = maxDelay
		}
	}
}

// WithWindow bounds the unanswered events of one Stream: Send blocks when
// the window is full. Default 1024.
func WithWindow(n int) Option { return func(o *options) { o.window = max(n, 1) } }

// WithDialOptions adds gRPC dial options (a stats handler for tracing, …).
func WithDialOptions(opts ...grpc.DialOption) Option {
	return func(o *options) { o.dialOpts = append(o.dialOpts, opts...) }
}
