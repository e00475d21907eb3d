package ingest

import (
	"context"
	"errors"
	"fmt"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	hookwirev1 "github.com/hookwire/hookwire/pkg/gen/hookwire/v1"
)

var (
	// errCatalogNotReady is returned until the event-type catalog is loaded.
	errCatalogNotReady = errors.New("event-type catalog not loaded yet")
	// errNoAck wraps every failure to get an event stored in JetStream.
	errNoAck = errors.New("event not stored")
)

// toStatus maps every error of this service to its gRPC status, in one
// place. Errors that already are statuses (badrequest, auth) pass through.
func toStatus(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := status.FromError(err); ok {
		return err
	}
	switch {
	case errors.Is(err, context.Canceled):
		return status.Error(codes.Canceled, err.Error())
	case errors.Is(err, context.DeadlineExceeded):
		return status.Error(codes.DeadlineExceeded, err.Error())
	case errors.Is(err, errCatalogNotReady), errors.Is(err, errNoAck), errors.Is(err, errNoRecord):
		return status.Error(codes.Unavailable, err.Error())
	default:
		return status.Error(codes.Internal, err.Error())
	}
}

// toPublishError is toStatus for one event of a stream: the same code and
// message, with the field violations of an InvalidArgument.
func toPublishError(err error) *hookwirev1.PublishError {
	st := status.Convert(toStatus(err))
	pe := &hookwirev1.PublishError{Code: int32(st.Code()), Message: st.Message()}
	for _, d := range st.Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			for _, fv := range br.GetFieldViolations() {
				pe.FieldViolations = append(pe.FieldViolations, &hookwirev1.FieldViolation{Field: fv.GetField(), Description: fv.GetDescription()})
			}
		}
	}
	return pe
}

func storeErr(id string, err error) error {
	return fmt.Errorf("publish event %s: %w: %w", id, errNoAck, err)
}
