package cli

import (
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/types/known/durationpb"

	hookwirev1 "github.com/hookwire/hookwire/pkg/gen/hookwire/v1"
)

// subFlags are the subscription fields settable on create and update.
type subFlags struct {
	url, label, scope    string
	eventTypes           []string
	basicUser, basicPass string
	filters              []string
	retry, rate          string
	emails               []string
	supportEmail         string
	metadata             []string
	encrypt              bool
	maxInFlight          int32
	deliveryTimeout      time.Duration
}

func (f *subFlags) register(c *cobra.Command, withScope bool) {
	fs := c.Flags()
	fs.StringVar(&f.url, "url", "", "endpoint URL the deliveries are POSTed to")
	fs.StringVar(&f.label, "label", "", "human-readable name")
	fs.StringArrayVar(&f.eventTypes, "event-type", nil, "event type or wildcard (repeatable): ach.returned, transaction.sale.*, *")
	if withScope {
		fs.StringVar(&f.scope, "scope", "", "scope node, e.g. acquirers/100/merchants/2000 (empty: root)")
	}
	fs.StringVar(&f.basicUser, "basic-user", "", "HTTP Basic user sent to the endpoint")
	fs.StringVar(&f.basicPass, "basic-password", "", "HTTP Basic password sent to the endpoint")
	fs.StringArrayVar(&f.filters, "filter", nil, "attribute filter key=v1,v2 (repeatable)")
	fs.StringVar(&f.retry, "retry", "", "retry delays after each failure, e.g. 5m,15m,45m (4 attempts); none: one attempt, no retry (default: at once, 5m, 15m, 45m)")
	fs.StringVar(&f.rate, "rate", "", "rate limit N/s|N/m|N/h[:burst], e.g. 10/s:20")
	fs.StringArrayVar(&f.emails, "email", nil, "notification email told on suspension (repeatable)")
	fs.StringVar(&f.supportEmail, "support-email", "", "support contact email")
	fs.StringArrayVar(&f.metadata, "metadata", nil, "metadata key=value (repeatable)")
	fs.BoolVar(&f.encrypt, "encrypt", false, "encrypt payloads with AES-256-GCM (a key is generated and shown once)")
	fs.Int32Var(&f.maxInFlight, "max-in-flight", 0, "deliveries in flight to this endpoint at once (0: default)")
	fs.DurationVar(&f.deliveryTimeout, "delivery-timeout", 0, "per-attempt HTTP timeout, e.g. 5s (default 10s); the global --timeout is the API call deadline")
}

// build returns the subscription the flags describe and the update-mask
// paths of the flags given on the command line.
func (f *subFlags) build(c *cobra.Command) (*hookwirev1.Subscription, []string, error) {
	changed := c.Flags().Changed
	s := &hookwirev1.Subscription{
		Url:                f.url,
		Label:              f.label,
		Scope:              f.scope,
		EventTypes:         f.eventTypes,
		NotificationEmails: f.emails,
		SupportEmail:       f.supportEmail,
		MaxInFlight:        f.maxInFlight,
	}
	var paths []string
	add := func(flag, path string) {
		if changed(flag) {
			paths = append(paths, path)
		}
	}
	add("url", "url")
	add("label", "label")
	add("event-type", "event_types")
	add("email", "notification_emails")
	add("support-email", "support_email")
	add("max-in-flight", "max_in_flight")
	if changed("basic-user") || changed("basic-password") {
		s.Auth = &hookwirev1.EndpointAuth{Method: &hookwirev1.EndpointAuth_Basic{
			Basic: &hookwirev1.BasicAuth{Username: f.basicUser, Password: f.basicPass},
		}}
		paths = append(paths, "auth")
	}
	var err error
	if changed("filter") {
		if s.AttributeFilters, err = parseFilters(f.filters); err != nil {
			return nil, nil, usageError{err}
		}
		paths = append(paths, "attribute_filters")
	}
	if changed("retry") {
		if s.RetryPolicy, err = parseRetry(f.retry); err != nil {
			return nil, nil, usageError{err}
		}
		paths = append(paths, "retry_policy")
	}
	if changed("rate") {
		if s.RateLimit, err = parseRate(f.rate); err != nil {
			return nil, nil, usageError{err}
		}
		paths = append(paths, "rate_limit")
	}
	if changed("metadata") {
		if s.Metadata, err = parsePairs("metadata", f.metadata); err != nil {
			return nil, nil, usageError{err}
		}
		paths = append(paths, "metadata")
	}
	if changed("encrypt") {
		s.Encryption = &hookwirev1.Encryption{Enabled: f.encrypt}
		paths = append(paths, "encryption")
	}
	if changed("delivery-timeout") {
		s.Timeout = durationpb.New(f.deliveryTimeout)
		paths = append(paths, "timeout")
	}
	return s, paths, nil
}
