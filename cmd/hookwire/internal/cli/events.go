package cli

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/spf13/cobra"

	hookwirev1 "github.com/hookwire/hookwire/pkg/gen/hookwire/v1"
)

func (a *app) eventsCommand() *cobra.Command {
	return group("events", "Publish events", []string{"event"}, a.eventsPublishCommand())
}

func (a *app) eventsPublishCommand() *cobra.Command {
	var ev hookwirev1.Event
	var attrs []string
	var data, dataFile string
	c := &cobra.Command{
		Use:   "publish --type TYPE [--data JSON | --data-file FILE | --data -]",
		Short: "Publish one event (delivered to every matching subscription)",
		Args:  exactArgs(0, "no arguments"),
	}
	fs := c.Flags()
	fs.StringVar(&ev.EventType, "type", "", "event type, e.g. transaction.sale.success (required)")
	fs.StringVar(&ev.EventId, "id", "", "event id, the dedup key (default: random evt_...)")
	fs.StringVar(&ev.Scope, "scope", "", "scope node of the event (empty: root)")
	fs.StringArrayVar(&attrs, "attr", nil, "attribute key=value used by filters (repeatable)")
	fs.StringVar(&data, "data", "", `JSON object body, or "-" to read it from stdin (default {})`)
	fs.StringVar(&dataFile, "data-file", "", "read the JSON object body from FILE")
	c.RunE = func(c *cobra.Command, _ []string) error {
		if ev.EventType == "" {
			return usagef("--type is required")
		}
		body, err := eventBody(data, dataFile, c.InOrStdin())
		if err != nil {
			return err
		}
		ev.Payload = &hookwirev1.Event_DataJson{DataJson: body}
		if ev.Attributes, err = parsePairs("attr", attrs); err != nil {
			return usageError{err}
		}
		if ev.EventId == "" {
			ev.EventId = newEventID()
		}
		pc, err := a.publisher(c.Context())
		if err != nil {
			return err
		}
		defer pc.Close()
		ctx, cancel := a.callCtx(c.Context())
		defer cancel()
		resp, err := pc.Publish(ctx, &ev)
		if err != nil {
			return err // the publisher's error names the event already
		}
		return a.render(resp, func(w io.Writer) {
			row(w, "EVENT ID", "DUPLICATE", "SEQUENCE")
			row(w, resp.GetEventId(), strconv.FormatBool(resp.GetDuplicate()), strconv.FormatUint(resp.GetSequence(), 10))
		})
	}
	return c
}

// eventBody reads the event data from --data, --data-file or stdin and
// checks that it is a JSON object.
func eventBody(data, file string, stdin io.Reader) ([]byte, error) {
	var body []byte
	switch {
	case data != "" && file != "":
		return nil, usagef("give --data or --data-file, not both")
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, usagef("--data-file: %v", err)
		}
		body = b
	case data == "-":
		b, err := io.ReadAll(stdin)
		if err != nil {
			return nil, fmt.Errorf("read event data from stdin: %w", err)
		}
		body = b
	case data != "":
		body = []byte(data)
	default:
		return []byte("{}"), nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(body, &obj); err != nil {
		return nil, usagef("event data must be a JSON object: %v", err)
	}
	return body, nil
}

func newEventID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return "evt_" + hex.EncodeToString(b[:])
}
