package cli

import (
	"context"
	"io"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	hookwirev1 "github.com/hookwire/hookwire/pkg/gen/hookwire/v1"
)

func (a *app) subUpdateCommand() *cobra.Command {
	var f subFlags
	var addTypes, removeTypes []string
	var revision uint64
	c := &cobra.Command{
		Use:   "update ID [flags]",
		Short: "Change a subscription; only the flags given are changed",
		Args:  exactArgs(1, "a subscription ID"),
	}
	f.register(c, false)
	fs := c.Flags()
	fs.StringArrayVar(&addTypes, "add-event-type", nil, "add an event type (repeatable)")
	fs.StringArrayVar(&removeTypes, "remove-event-type", nil, "remove an event type (repeatable)")
	fs.Uint64Var(&revision, "revision", 0, "fail with ABORTED unless this is the stored revision")
	c.RunE = func(c *cobra.Command, args []string) error {
		sub, paths, err := f.build(c)
		if err != nil {
			return err
		}
		if len(paths) == 0 && len(addTypes) == 0 && len(removeTypes) == 0 {
			return usagef("nothing to update: give at least one field flag (see --help)")
		}
		sub.Id, sub.Revision = args[0], revision
		rc, err := a.registry()
		if err != nil {
			return err
		}
		ctx, cancel := a.callCtx(c.Context())
		defer cancel()
		resp, err := rc.UpdateSubscription(ctx, &hookwirev1.UpdateSubscriptionRequest{
			Subscription:     sub,
			UpdateMask:       &fieldmaskpb.FieldMask{Paths: paths},
			AddEventTypes:    addTypes,
			RemoveEventTypes: removeTypes,
		})
		if err != nil {
			return fail("update subscription "+args[0], err)
		}
		return a.render(resp, func(w io.Writer) {
			subscriptionDetail(w, resp.GetSubscription())
			if len(resp.GetEncryptionKey()) > 0 {
				row(w)
				row(w, "ENCRYPTION KEY", hexKey(resp.GetEncryptionKey()))
				row(w, "Store the encryption key now: it is shown only once.")
			}
		})
	}
	return c
}

func (a *app) subRotateCommand() *cobra.Command {
	var overlap time.Duration
	var secret string
	c := &cobra.Command{
		Use:   "rotate-secret ID",
		Short: "Issue a new signing secret; the old one keeps signing during --overlap",
		Args:  exactArgs(1, "a subscription ID"),
	}
	c.Flags().DurationVar(&overlap, "overlap", 24*time.Hour, "how long the previous secret keeps signing (0s ends it now)")
	c.Flags().StringVar(&secret, "signing-secret", "", "use this whsec_... secret instead of a generated one")
	c.RunE = func(c *cobra.Command, args []string) error {
		rc, err := a.registry()
		if err != nil {
			return err
		}
		req := &hookwirev1.RotateSecretRequest{Id: args[0], SigningSecret: secret}
		if c.Flags().Changed("overlap") {
			req.PreviousSecretTtl = durationpb.New(overlap)
		}
		ctx, cancel := a.callCtx(c.Context())
		defer cancel()
		resp, err := rc.RotateSecret(ctx, req)
		if err != nil {
			return fail("rotate secret of "+args[0], err)
		}
		return a.render(resp, func(w io.Writer) {
			row(w, "SUBSCRIPTION", args[0])
			row(w, "SIGNING SECRET", resp.GetSigningSecret())
			row(w, "PREVIOUS SECRET EXPIRES", fmtTime(resp.GetPreviousSecretExpireTime()))
			row(w)
			row(w, "Store the signing secret now: it is shown only once.")
		})
	}
	return c
}

func (a *app) subPauseCommand() *cobra.Command {
	var reason string
	c := &cobra.Command{
		Use:   "pause ID",
		Short: "Pause deliveries to a subscription (they are held, not dropped)",
		Args:  exactArgs(1, "a subscription ID"),
	}
	c.Flags().StringVar(&reason, "reason", "", "why, shown as status_reason")
	c.RunE = func(c *cobra.Command, args []string) error {
		return call(a, c, a.registry, "pause subscription "+args[0],
			func(ctx context.Context, rc hookwirev1.RegistryServiceClient) (*hookwirev1.PauseSubscriptionResponse, error) {
				return rc.PauseSubscription(ctx, &hookwirev1.PauseSubscriptionRequest{Id: args[0], Reason: reason})
			},
			func(w io.Writer, resp *hookwirev1.PauseSubscriptionResponse) {
				subscriptionDetail(w, resp.GetSubscription())
			})
	}
	return c
}

func (a *app) subResumeCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "resume ID",
		Short: "Re-activate a paused or suspended subscription",
		Args:  exactArgs(1, "a subscription ID"),
		RunE: func(c *cobra.Command, args []string) error {
			return call(a, c, a.registry, "resume subscription "+args[0],
				func(ctx context.Context, rc hookwirev1.RegistryServiceClient) (*hookwirev1.ResumeSubscriptionResponse, error) {
					return rc.ResumeSubscription(ctx, &hookwirev1.ResumeSubscriptionRequest{Id: args[0]})
				},
				func(w io.Writer, resp *hookwirev1.ResumeSubscriptionResponse) {
					subscriptionDetail(w, resp.GetSubscription())
				})
		},
	}
}
