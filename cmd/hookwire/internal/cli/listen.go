package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	neturl "net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	hookwirev1 "github.com/hookwire/hookwire/pkg/gen/hookwire/v1"
)

type listenOptions struct {
	port       int
	eventTypes []string
	scope      string
	forward    string
}

func (a *app) listenCommand() *cobra.Command {
	var o listenOptions
	c := &cobra.Command{
		Use:   "listen [--port 3000] [--event-type T] [--forward URL]",
		Short: "Receive deliveries locally through a temporary subscription (removed on exit)",
		Long: "listen starts a receiver on 127.0.0.1:PORT, subscribes it to the given event types,\n" +
			"prints each delivery with its signature check, optionally forwards it to --forward,\n" +
			"and deletes the subscription when interrupted (Ctrl-C).",
		Args: exactArgs(0, "no arguments"),
	}
	fs := c.Flags()
	fs.IntVar(&o.port, "port", 3000, "local port of the receiver (0 picks a free one)")
	fs.StringArrayVar(&o.eventTypes, "event-type", []string{"*"}, "event type or wildcard to receive (repeatable)")
	fs.StringVar(&o.scope, "scope", "", "scope of the temporary subscription")
	fs.StringVar(&o.forward, "forward", "", "also POST each delivery (same headers and body) to this URL")
	c.RunE = func(c *cobra.Command, _ []string) error { return a.listen(c.Context(), o) }
	return c
}

// listen runs until ctx ends; the subscription it creates is deleted on
// the way out even though ctx is then cancelled.
func (a *app) listen(ctx context.Context, o listenOptions) error {
	if o.port < 0 || o.port > 65535 {
		return usagef("--port %d: want 0-65535", o.port)
	}
	if o.forward != "" {
		if u, err := neturl.Parse(o.forward); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return usagef("--forward %q: want an absolute http(s) URL", o.forward)
		}
	}
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(o.port)))
	if err != nil {
		return fmt.Errorf("listen on port %d: %w", o.port, err)
	}
	defer ln.Close()
	rc, err := a.registry()
	if err != nil {
		return err
	}
	host, _ := os.Hostname()
	url := "http://" + ln.Addr().String() + "/"
	cctx, cancel := a.callCtx(ctx)
	created, err := rc.CreateSubscription(cctx, &hookwirev1.CreateSubscriptionRequest{Subscription: &hookwirev1.Subscription{
		Label:      "hookwire listen " + host,
		Url:        url,
		EventTypes: o.eventTypes,
		Scope:      o.scope,
	}})
	cancel()
	if err != nil {
		return fail("create listen subscription", err)
	}
	id := created.GetSubscription().GetId()
	defer a.deleteListenSubscription(id)

	r := &receiver{secret: created.GetSigningSecret(), forward: o.forward, out: a.stdout, now: time.Now}
	a.printf("Ready! Receiving %s at %s through subscription %s\n", strings.Join(o.eventTypes, ", "), url, id)
	a.printf("Signing secret for this session: %s\n", r.secret)
	if o.forward != "" {
		a.printf("Forwarding every delivery to %s\n", o.forward)
	}
	a.printf("Press Ctrl-C to stop (the subscription is deleted).\n")

	srv := &http.Server{Handler: r, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve receiver: %w", err)
	case <-ctx.Done():
	}
	sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer scancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("stop receiver: %w", err)
	}
	return nil
}

func (a *app) deleteListenSubscription(id string) {
	ctx, cancel := a.callCtx(context.Background())
	defer cancel()
	rc, _ := a.registry()
	if _, err := rc.DeleteSubscription(ctx, &hookwirev1.DeleteSubscriptionRequest{Id: id}); err != nil {
		a.printf("Could not delete subscription %s: %v (delete it with `hookwire subscriptions delete %s`)\n", id, err, id)
		return
	}
	a.printf("Deleted subscription %s\n", id)
}

// printf writes a status line to stdout.
func (a *app) printf(format string, args ...any) {
	fmt.Fprintf(a.stdout, format, args...)
}
