package publisher

import (
	"context"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	hookwirev1 "github.com/hookwire/hookwire/pkg/gen/hookwire/v1"
)

// Result is the outcome of one streamed event.
type Result struct {
	EventID string
	// Sequence is the event's position in the EVENTS stream.
	Sequence uint64
	// Duplicate is true when an event with this event_id was already stored.
	Duplicate bool
	// Err is nil when the event is stored. Otherwise it is a gRPC status
	// error: InvalidArgument carries the field violations as
	// errdetails.BadRequest (badrequest.FieldsOf reads them).
	Err error
}

// Pending is an event sent on a Stream and not yet known to be stored.
type Pending struct {
	done chan struct{}
	res  Result
}

// Done is closed once the result is known.
func (p *Pending) Done() <-chan struct{} { return p.done }

// Result returns the outcome; only valid after Done is closed.
func (p *Pending) Result() Result { return p.res }

// Wait blocks until the result is known or ctx ends, and returns the result
// and its Err (or ctx's error).
func (p *Pending) Wait(ctx context.Context) (Result, error) {
	select {
	case <-p.done:
		return p.res, p.res.Err
	case <-ctx.Done():
		return Result{}, ctx.Err()
	}
}

func resultOf(r *hookwirev1.PublishStreamResponse) Result {
	res := Result{EventID: r.GetEventId(), Sequence: r.GetSequence(), Duplicate: r.GetDuplicate()}
	if pe := r.GetError(); pe != nil {
		res.Err = statusOf(pe)
	}
	return res
}

// statusOf turns a stream's PublishError back into the status error the
// unary Publish would have returned.
func statusOf(pe *hookwirev1.PublishError) error {
	code := codes.Code(pe.GetCode())
	if code == codes.OK {
		code = codes.Unknown
	}
	st := status.New(code, pe.GetMessage())
	if fvs := pe.GetFieldViolations(); len(fvs) > 0 {
		br := &errdetails.BadRequest{}
		for _, fv := range fvs {
			br.FieldViolations = append(br.FieldViolations, &errdetails.BadRequest_FieldViolation{Field: fv.GetField(), Description: fv.GetDescription()})
		}
		if d, err := st.WithDetails(br); err == nil {
			st = d
		}
	}
	return st.Err()
}
