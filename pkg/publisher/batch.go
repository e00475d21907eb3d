package publisher

import (
	"context"
	"errors"
	"fmt"

	hookwirev1 "github.com/hookwire/hookwire/pkg/gen/hookwire/v1"
)

// PublishBatch publishes events over one Stream and returns one Result per
// event, in the order given. A rejected event only sets its Result.Err; the
// returned error is non-nil when the batch could not be completed (ctx
// ended, the stream failed for good), and then the Results of the events
// it did not get to carry that error.
func (c *Client) PublishBatch(ctx context.Context, events []*hookwirev1.Event) ([]Result, error) {
	s := c.NewStream(ctx)
	pending := make([]*Pending, len(events))
	var sendErr error
	for i, ev := range events {
		p, err := s.Send(ctx, ev)
		if err != nil {
			sendErr = fmt.Errorf("publish batch: event %d: %w", i, err)
			break
		}
		pending[i] = p
	}
	closeErr := s.Close(ctx)
	out := make([]Result, len(events))
	for i, p := range pending {
		switch {
		case p == nil:
			out[i] = Result{EventID: events[i].GetEventId(), Err: errors.Join(sendErr, closeErr)}
		default:
			out[i] = p.Result()
		}
	}
	if sendErr != nil || closeErr != nil {
		return out, errors.Join(sendErr, closeErr)
	}
	return out, nil
}
