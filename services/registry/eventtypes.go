package registry

import (
	"context"
	"slices"
	"strings"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/hookwire/hookwire/pkg/auth"
	"github.com/hookwire/hookwire/pkg/badrequest"
	"github.com/hookwire/hookwire/pkg/catalog"
	"github.com/hookwire/hookwire/pkg/eventtype"
	hookwirev1 "github.com/hookwire/hookwire/pkg/gen/hookwire/v1"
)

// MaxDescriptionLen bounds an event type's description.
const MaxDescriptionLen = 1024

// CreateEventType implements RegistryService. The catalog is global, so
// only a token at the root scope may add to it.
func (s *Service) CreateEventType(ctx context.Context, req *hookwirev1.CreateEventTypeRequest) (*hookwirev1.CreateEventTypeResponse, error) {
	et := req.GetEventType()
	var v badrequest.Violations
	switch {
	case et == nil:
		v.Add("event_type", "required")
	case et.GetName() == "":
		v.Add("event_type.name", "required")
	default:
		v.Check("event_type.name", eventtype.ValidateName(et.GetName()))
	}
	if len(et.GetDescription()) > MaxDescriptionLen {
		v.Add("event_type.description", "at most %d characters", MaxDescriptionLen)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if err := auth.CheckScope(ctx, ""); err != nil {
		return nil, err
	}
	stored := catalog.EventType{Name: et.GetName(), Description: et.GetDescription(), Deprecated: et.GetDeprecated(), CreatedAt: s.now()}
	if err := s.catalog.Create(ctx, stored); err != nil {
		return nil, s.grpcError("create event type", err)
	}
	return &hookwirev1.CreateEventTypeResponse{EventType: eventTypeProto(stored)}, nil
}

// ListEventTypes implements RegistryService, in name order.
func (s *Service) ListEventTypes(ctx context.Context, req *hookwirev1.ListEventTypesRequest) (*hookwirev1.ListEventTypesResponse, error) {
	var v badrequest.Violations
	size := pageSize(&v, "page_size", req.GetPageSize())
	after := decodeToken(&v, "page_token", req.GetPageToken(), "")
	if err := v.Err(); err != nil {
		return nil, err
	}
	all, err := s.catalog.List(ctx)
	if err != nil {
		return nil, s.grpcError("list event types", err)
	}
	slices.SortFunc(all, func(a, b catalog.EventType) int { return strings.Compare(a.Name, b.Name) })
	resp := &hookwirev1.ListEventTypesResponse{}
	for _, et := range all {
		if et.Name <= after || !strings.HasPrefix(et.Name, req.GetPrefix()) {
			continue
		}
		if len(resp.EventTypes) == size {
			resp.NextPageToken = encodeToken(resp.EventTypes[size-1].GetName())
			break
		}
		resp.EventTypes = append(resp.EventTypes, eventTypeProto(et))
	}
	return resp, nil
}

func eventTypeProto(et catalog.EventType) *hookwirev1.EventType {
	return &hookwirev1.EventType{
		Name:        et.Name,
		Description: et.Description,
		CreateTime:  timestamppb.New(et.CreatedAt),
		Deprecated:  et.Deprecated,
	}
}
