package cli

import (
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/structpb"

	hookwirev1 "github.com/hookwire/hookwire/pkg/gen/hookwire/v1"
)

// subTestCommand is `subscriptions test`: one signed test event to a saved
// subscription or to a URL, and what the endpoint answered.
func (a *app) subTestCommand() *cobra.Command {
	var url, user, pass, secret, eventType, data string
	var timeout time.Duration
	c := &cobra.Command{
		Use:   "test (ID | --url URL)",
		Short: "Send a signed test event and show the endpoint's answer (nothing is stored)",
	}
	fs := c.Flags()
	fs.StringVar(&url, "url", "", "endpoint URL (instead of a saved subscription ID)")
	fs.StringVar(&user, "basic-user", "", "HTTP Basic user (with --url)")
	fs.StringVar(&pass, "basic-password", "", "HTTP Basic password (with --url)")
	fs.StringVar(&secret, "signing-secret", "", "whsec_... to sign with (with --url; default a throwaway secret)")
	fs.DurationVar(&timeout, "delivery-timeout", 0, "HTTP timeout (with --url)")
	fs.StringVar(&eventType, "event-type", "", "type of the test event (default hookwire.test)")
	fs.StringVar(&data, "data", "", `JSON object body of the test event (default {"test": true})`)
	c.RunE = func(c *cobra.Command, args []string) error {
		req := &hookwirev1.TestEndpointRequest{EventType: eventType}
		switch {
		case len(args) == 1 && url == "":
			req.Target = &hookwirev1.TestEndpointRequest_SubscriptionId{SubscriptionId: args[0]}
		case len(args) == 0 && url != "":
			t := &hookwirev1.TestTarget{Url: url, SigningSecret: secret}
			if user != "" || pass != "" {
				t.Auth = &hookwirev1.EndpointAuth{Method: &hookwirev1.EndpointAuth_Basic{Basic: &hookwirev1.BasicAuth{Username: user, Password: pass}}}
			}
			if timeout > 0 {
				t.Timeout = durationpb.New(timeout)
			}
			req.Target = &hookwirev1.TestEndpointRequest_Endpoint{Endpoint: t}
		default:
			return usagef("give a subscription ID or --url, not both")
		}
		if data != "" {
			var m map[string]any
			if err := json.Unmarshal([]byte(data), &m); err != nil {
				return usagef("--data: want a JSON object: %v", err)
			}
			s, err := structpb.NewStruct(m)
			if err != nil {
				return usagef("--data: %v", err)
			}
			req.Data = s
		}
		rc, err := a.registry()
		if err != nil {
			return err
		}
		ctx, cancel := a.callCtx(c.Context())
		defer cancel()
		resp, err := rc.TestEndpoint(ctx, req)
		if err != nil {
			return fail("test endpoint", err)
		}
		err = a.render(resp, func(w io.Writer) {
			row(w, "SUCCESS", strconv.FormatBool(resp.GetSuccess()))
			row(w, "HTTP STATUS", httpStatus(resp.GetHttpStatus()))
			row(w, "LATENCY", fmtDuration(resp.GetLatency()))
			row(w, "WEBHOOK ID", orDash(resp.GetWebhookId()))
			row(w, "ERROR", orDash(resp.GetError()))
			row(w, "RESPONSE", orDash(oneLine(resp.GetResponseExcerpt())))
			if resp.GetSigningSecret() != "" {
				row(w, "SIGNING SECRET", resp.GetSigningSecret())
			}
		})
		if err == nil && !resp.GetSuccess() {
			// Scripts (and CI checks of an endpoint) read the exit code.
			err = errors.New("the endpoint test failed: " + testFailure(resp))
		}
		return err
	}
	return c
}

// testFailure says in a few words why an endpoint test did not succeed.
func testFailure(resp *hookwirev1.TestEndpointResponse) string {
	if e := resp.GetError(); e != "" {
		return e
	}
	return "HTTP " + httpStatus(resp.GetHttpStatus())
}
