package ingest

import (
	"context"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookwire/hookwire/pkg/auth"
	"github.com/hookwire/hookwire/pkg/badrequest"
	"github.com/hookwire/hookwire/pkg/bus"
	hookwirev1 "github.com/hookwire/hookwire/pkg/gen/hookwire/v1"
	"github.com/hookwire/hookwire/pkg/telemetry"
)

// Publish validates one event and answers once JetStream has stored it.
// The stored message carries the trace context of the "ingest.publish"
// span in its headers (lowercase traceparent), so deliveries join the
// producer's trace.
func (s *Service) Publish(ctx context.Context, req *hookwirev1.PublishRequest) (*hookwirev1.PublishResponse, error) {
	ev := req.GetEvent()
	p := s.obs.start(ctx, ev)
	m, err := s.admit(p.ctx, ev)
	if err != nil {
		p.end(outcomeOf(err), err)
		return nil, toStatus(err)
	}
	id := ev.GetEventId()
	ack, err := s.js.PublishMsg(p.ctx, m)
	if err != nil {
		err = storeErr(id, err)
		s.log.WarnContext(p.ctx, "event not stored", "event_id", id, "error", err)
		p.end(outcomeFailed, err)
		return nil, toStatus(err)
	}
	p.end(ackOutcome(ack), nil)
	return &hookwirev1.PublishResponse{EventId: id, Duplicate: ack.Duplicate, Sequence: ack.Sequence}, nil
}

func ackOutcome(ack *jetstream.PubAck) string {
	if ack.Duplicate {
		return outcomeDuplicate
	}
	return outcomeAccepted
}

// admit validates ev, checks the caller may publish at its scope, and lays
// it out as the EVENTS message (Nats-Msg-Id = event_id) carrying the trace
// context of ctx.
func (s *Service) admit(ctx context.Context, ev *hookwirev1.Event) (*nats.Msg, error) {
	if !s.types.isReady() {
		return nil, errCatalogNotReady
	}
	var v badrequest.Violations
	be := s.check.check(ev, s.now(), &v)
	if err := v.Err(); err != nil {
		return nil, err
	}
	if err := auth.CheckScope(ctx, be.Scope); err != nil {
		return nil, err
	}
	m, err := bus.Message(be)
	if err != nil {
		return nil, err
	}
	telemetry.Inject(ctx, m)
	return m, nil
}
