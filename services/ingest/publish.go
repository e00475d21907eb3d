package ingest

import (
	"context"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/hookwire/hookwire/pkg/auth"
	"github.com/hookwire/hookwire/pkg/badrequest"
	"github.com/hookwire/hookwire/pkg/bus"
	"github.com/hookwire/hookwire/pkg/eventrecord"
	hookwirev1 "github.com/hookwire/hookwire/pkg/gen/hookwire/v1"
	"github.com/hookwire/hookwire/pkg/telemetry"
)

// Publish validates one event and answers once JetStream has stored it.
// A repeat of an event (same scope and event_id) within the dedup horizon
// is answered from its record: the same content is a duplicate with the
// original sequence; other content is ALREADY_EXISTS naming the fields that
// differ. The stored message carries the trace context of the
// "ingest.publish" span in its headers (lowercase traceparent), so
// deliveries join the producer's trace.
func (s *Service) Publish(ctx context.Context, req *hookwirev1.PublishRequest) (*hookwirev1.PublishResponse, error) {
	ev := req.GetEvent()
	p := s.obs.start(ctx, ev)
	a, err := s.admit(p.ctx, ev)
	if err != nil {
		p.end(outcomeOf(err), err)
		return nil, toStatus(err)
	}
	ans, known, err := s.reserve(p.ctx, a)
	if err == nil && !known {
		ans, err = s.publish(p.ctx, a, p.start)
	}
	if err != nil {
		s.logFailure(p.ctx, a, err)
		p.end(outcomeOf(err), err)
		return nil, toStatus(err)
	}
	p.end(ans.outcome(), nil)
	return &hookwirev1.PublishResponse{EventId: a.ev.ID, Duplicate: ans.duplicate, Sequence: ans.seq}, nil
}

// publish stores a reserved event and records its sequence.
func (s *Service) publish(ctx context.Context, a admitted, start time.Time) (answer, error) {
	ack, err := s.store(ctx, a.msg, start)
	if err != nil {
		return answer{}, storeErr(a.ev.ID, err)
	}
	return s.settle(ctx, a, ack.Duplicate, ack.Sequence), nil
}

// admitted is a valid event the caller may publish, laid out as its
// EVENTS message, with its record's key and content.
type admitted struct {
	ev      bus.Event
	msg     *nats.Msg
	key     string
	content string
}

// admit validates ev, checks the caller may publish at its scope, and lays
// it out as the EVENTS message (Nats-Msg-Id = bus.MsgID(scope, event_id))
// carrying the trace context of ctx.
func (s *Service) admit(ctx context.Context, ev *hookwirev1.Event) (admitted, error) {
	if !s.types.isReady() {
		return admitted{}, errCatalogNotReady
	}
	var v badrequest.Violations
	be, content := s.check.check(ev, s.now(), &v)
	if err := v.Err(); err != nil {
		return admitted{}, err
	}
	if err := auth.CheckScope(ctx, be.Scope); err != nil {
		return admitted{}, err
	}
	m, err := bus.Message(be)
	if err != nil {
		return admitted{}, err
	}
	telemetry.Inject(ctx, m)
	return admitted{ev: be, msg: m, key: eventrecord.Key(be.Scope, be.ID), content: content}, nil
}

// logFailure logs an event that was valid but not stored (observer.failed:
// once per cause and interval).
func (s *Service) logFailure(ctx context.Context, a admitted, err error) {
	if outcomeOf(err) == outcomeFailed {
		s.obs.failed(ctx, a.ev.ID, a.ev.Scope, err)
	}
}
