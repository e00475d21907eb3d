package ingest

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/hookwire/hookwire/pkg/eventrecord"
)

// errNoRecord wraps every failure to read or write an event's record: the
// publish is refused (Unavailable), since it could not be answered
// truthfully later.
var errNoRecord = errors.New("event record unavailable")

// answer is what a publish is answered.
type answer struct {
	duplicate bool
	seq       uint64
}

func (a answer) outcome() string {
	if a.duplicate {
		return outcomeDuplicate
	}
	return outcomeAccepted
}

// reserve looks the event up in its record (writing its content there if
// it is new; see pkg/eventrecord for the protocol and its crash points). It
// returns the answer when the event is stored already (known is true), an
// ALREADY_EXISTS status when the record holds other content, or nothing:
// the event is to be published.
func (s *Service) reserve(ctx context.Context, a admitted) (ans answer, known bool, err error) {
	rec, err := eventrecord.Reserve(ctx, s.rdb, a.key, a.content, s.cfg.DedupTTL)
	if err != nil {
		return answer{}, false, fmt.Errorf("publish event %s: %w: %w", a.ev.ID, errNoRecord, err)
	}
	if rec.Content != a.content {
		return answer{}, false, conflict(a, rec)
	}
	if rec.Seq != 0 {
		return answer{duplicate: true, seq: rec.Seq}, true, nil
	}
	return answer{}, false, nil
}

// settle records the sequence JetStream stored the event at and answers
// with the one recorded first. If the record cannot be written the
// dispatcher's fan-out records the sequence instead, so the ack is answered
// as it is.
func (s *Service) settle(ctx context.Context, a admitted, dupAck bool, seq uint64) answer {
	got, err := eventrecord.Claimed(eventrecord.Claim(ctx, s.rdb, a.key, seq, s.cfg.DedupTTL))
	if err != nil {
		s.log.WarnContext(ctx, "event stored, its record not updated (the fan-out will)", "event_id", a.ev.ID, "sequence", seq, "error", err)
		return answer{duplicate: dupAck, seq: seq}
	}
	return answer{duplicate: dupAck || got != seq, seq: got}
}

// conflict is the ALREADY_EXISTS answer to a repeat of an event_id at the
// same scope whose content differs from the first publish's, naming the
// fields that differ (a BadRequest detail, so a stream's PublishError lists
// them too, and an ErrorInfo).
func conflict(a admitted, rec eventrecord.Record) error {
	fields := []string{"event.event_id"}
	desc := "already used by an event Hookwire published itself"
	if rec.Content != "" {
		fields = differingFields(a.content, rec.Content)
		desc = "differs from the event first published with this event_id at this scope"
	}
	st := status.New(codes.AlreadyExists, fmt.Sprintf("event %s at scope %q was published before with a different %s",
		a.ev.ID, a.ev.Scope, strings.Join(fields, ", ")))
	br := &errdetails.BadRequest{}
	for _, f := range fields {
		br.FieldViolations = append(br.FieldViolations, &errdetails.BadRequest_FieldViolation{Field: f, Description: desc})
	}
	info := &errdetails.ErrorInfo{Reason: "EVENT_ID_CONFLICT", Domain: "hookwire.v1",
		Metadata: map[string]string{"fields": strings.Join(fields, ",")}}
	if d, err := st.WithDetails(info, br); err == nil {
		st = d
	}
	return st.Err()
}
