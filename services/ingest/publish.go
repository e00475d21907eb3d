package ingest

import (
	"context"

	"github.com/nats-io/nats.go"

	"github.com/hookwire/hookwire/pkg/auth"
	"github.com/hookwire/hookwire/pkg/badrequest"
	"github.com/hookwire/hookwire/pkg/bus"
	hookwirev1 "github.com/hookwire/hookwire/pkg/gen/hookwire/v1"
)

// Publish validates one event and answers once JetStream has stored it.
func (s *Service) Publish(ctx context.Context, req *hookwirev1.PublishRequest) (*hookwirev1.PublishResponse, error) {
	m, err := s.admit(ctx, req.GetEvent())
	if err != nil {
		return nil, toStatus(err)
	}
	id := req.GetEvent().GetEventId()
	ack, err := s.js.PublishMsg(ctx, m)
	if err != nil {
		s.log.WarnContext(ctx, "event not stored", "event_id", id, "error", err)
		return nil, toStatus(storeErr(id, err))
	}
	return &hookwirev1.PublishResponse{EventId: id, Duplicate: ack.Duplicate, Sequence: ack.Sequence}, nil
}

// admit validates ev, checks the caller may publish at its scope, and lays
// it out as the EVENTS message (Nats-Msg-Id = event_id).
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
	return bus.Message(be)
}
