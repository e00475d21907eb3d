package ingest

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Bounds of one publish attempt and of the pause between attempts.
const (
	maxAttemptTimeout = 2 * time.Second
	firstRetryWait    = 50 * time.Millisecond
	maxRetryWait      = time.Second
)

// store publishes m until JetStream acknowledges it, retrying what a stream
// leader election looks like from a client (no responders, no answer in
// time, a 503 from the JetStream API) until AckTimeout has passed since
// start. A retry carries the same Nats-Msg-Id, so a publish that was
// stored but whose ack was lost is not stored twice. It fails fast on
// anything else, and on the caller's own cancellation or deadline.
func (s *Service) store(ctx context.Context, m *nats.Msg, start time.Time) (*jetstream.PubAck, error) {
	actx, cancel := context.WithDeadline(ctx, start.Add(s.cfg.AckTimeout))
	defer cancel()
	attempt := min(s.cfg.AckTimeout/4, maxAttemptTimeout)
	wait := firstRetryWait
	for {
		pctx, pcancel := context.WithTimeout(actx, attempt)
		ack, err := s.js.PublishMsg(pctx, m, jetstream.WithRetryAttempts(0))
		pcancel()
		switch {
		case err == nil:
			return ack, nil
		case ctx.Err() != nil:
			return nil, ctx.Err()
		case !retryable(err):
			return nil, err
		}
		select {
		case <-actx.Done():
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, fmt.Errorf("no JetStream ack within %s (last: %v)", s.cfg.AckTimeout, err)
		case <-time.After(wait):
		}
		wait = min(2*wait, maxRetryWait)
	}
}

// retryable reports whether a publish failure is one a stream leader
// election causes.
func retryable(err error) bool {
	var apiErr *jetstream.APIError
	switch {
	case errors.Is(err, jetstream.ErrNoStreamResponse), errors.Is(err, nats.ErrNoResponders),
		errors.Is(err, nats.ErrTimeout), errors.Is(err, context.DeadlineExceeded),
		errors.Is(err, jetstream.ErrAsyncPublishTimeout):
		return true
	case errors.As(err, &apiErr):
		return apiErr.Code == 503
	}
	return false
}
