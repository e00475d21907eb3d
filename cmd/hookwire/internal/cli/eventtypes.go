package cli

import (
	"io"
	"strconv"

	"github.com/spf13/cobra"

	hookwirev1 "github.com/hookwire/hookwire/pkg/gen/hookwire/v1"
)

func (a *app) eventTypesCommand() *cobra.Command {
	return group("event-types", "List and create catalogued event types", []string{"event-type", "types"},
		a.eventTypesListCommand(), a.eventTypesCreateCommand())
}

func (a *app) eventTypesListCommand() *cobra.Command {
	var prefix string
	c := &cobra.Command{
		Use:   "list",
		Short: "List event types (every page)",
		Args:  exactArgs(0, "no arguments"),
	}
	c.Flags().StringVar(&prefix, "prefix", "", "only names starting with this, e.g. transaction.")
	c.RunE = func(c *cobra.Command, _ []string) error {
		rc, err := a.registry()
		if err != nil {
			return err
		}
		out := &hookwirev1.ListEventTypesResponse{}
		req := &hookwirev1.ListEventTypesRequest{Prefix: prefix}
		for {
			ctx, cancel := a.callCtx(c.Context())
			resp, err := rc.ListEventTypes(ctx, req)
			cancel()
			if err != nil {
				return fail("list event types", err)
			}
			out.EventTypes = append(out.EventTypes, resp.GetEventTypes()...)
			if resp.GetNextPageToken() == "" || resp.GetNextPageToken() == req.PageToken {
				break
			}
			req.PageToken = resp.GetNextPageToken()
		}
		return a.render(out, func(w io.Writer) { eventTypeTable(w, out.GetEventTypes()) })
	}
	return c
}

func (a *app) eventTypesCreateCommand() *cobra.Command {
	var description string
	c := &cobra.Command{
		Use:   "create NAME",
		Short: "Add an event type to the catalog",
		Args:  exactArgs(1, "an event type NAME"),
	}
	c.Flags().StringVar(&description, "description", "", "what the event means")
	c.RunE = func(c *cobra.Command, args []string) error {
		rc, err := a.registry()
		if err != nil {
			return err
		}
		ctx, cancel := a.callCtx(c.Context())
		defer cancel()
		resp, err := rc.CreateEventType(ctx, &hookwirev1.CreateEventTypeRequest{
			EventType: &hookwirev1.EventType{Name: args[0], Description: description},
		})
		if err != nil {
			return fail("create event type "+args[0], err)
		}
		return a.render(resp, func(w io.Writer) {
			eventTypeTable(w, []*hookwirev1.EventType{resp.GetEventType()})
		})
	}
	return c
}

func eventTypeTable(w io.Writer, types []*hookwirev1.EventType) {
	row(w, "NAME", "DEPRECATED", "CREATED", "DESCRIPTION")
	for _, t := range types {
		row(w, t.GetName(), strconv.FormatBool(t.GetDeprecated()), fmtTime(t.GetCreateTime()), orDash(t.GetDescription()))
	}
}
