package publisher_test

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/hookwire/hookwire/pkg/badrequest"
	hookwirev1 "github.com/hookwire/hookwire/pkg/gen/hookwire/v1"
)

// ingest is a small IngestService for testing the client's behaviour. The
// event_id says how an event is treated:
//
//	"flaky-…"   Unavailable for the first `fails` attempts, then stored
//	"busy-…"    ResourceExhausted for the first `fails` attempts, then stored
//	"down-…"    always Unavailable
//	"bad-…"     InvalidArgument on event.event_id
//	anything else is stored; a repeat answers duplicate=true.
type ingest struct {
	hookwirev1.UnimplementedIngestServiceServer
	fails int
	// breakAfter > 0 aborts the first breakStreams streams with Unavailable
	// after reading that many events, without answering them.
	breakAfter, breakStreams int
	// denyStreams answers every stream with PermissionDenied.
	denyStreams bool

	mu       sync.Mutex
	attempts map[string]int
	stored   map[string]uint64
	md       metadata.MD
	streams  int
}

func startIngest(t *testing.T, srv *ingest) string {
	t.Helper()
	srv.attempts, srv.stored = map[string]int{}, map[string]uint64{}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	g := grpc.NewServer()
	hookwirev1.RegisterIngestServiceServer(g, srv)
	go func() { _ = g.Serve(lis) }()
	t.Cleanup(g.Stop)
	return lis.Addr().String()
}

func (s *ingest) attemptsOf(id string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.attempts[id]
}

func (s *ingest) storedCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.stored)
}

// store applies the event_id rules and returns the answer for ev.
func (s *ingest) store(ctx context.Context, ev *hookwirev1.Event) (*hookwirev1.PublishResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if md, ok := metadata.FromIncomingContext(ctx); ok {
		s.md = md
	}
	id := ev.GetEventId()
	s.attempts[id]++
	n := s.attempts[id]
	switch {
	case strings.HasPrefix(id, "bad-"):
		return nil, badrequest.Field("event.event_id", "bad on purpose")
	case strings.HasPrefix(id, "down-"):
		return nil, status.Error(codes.Unavailable, "down on purpose")
	case strings.HasPrefix(id, "flaky-") && n <= s.fails:
		return nil, status.Error(codes.Unavailable, "flaky on purpose")
	case strings.HasPrefix(id, "busy-") && n <= s.fails:
		return nil, status.Error(codes.ResourceExhausted, "busy on purpose")
	}
	if seq, dup := s.stored[id]; dup {
		return &hookwirev1.PublishResponse{EventId: id, Duplicate: true, Sequence: seq}, nil
	}
	seq := uint64(len(s.stored) + 1)
	s.stored[id] = seq
	return &hookwirev1.PublishResponse{EventId: id, Sequence: seq}, nil
}

func (s *ingest) Publish(ctx context.Context, req *hookwirev1.PublishRequest) (*hookwirev1.PublishResponse, error) {
	return s.store(ctx, req.GetEvent())
}

func (s *ingest) PublishStream(st grpc.BidiStreamingServer[hookwirev1.PublishStreamRequest, hookwirev1.PublishStreamResponse]) error {
	s.mu.Lock()
	s.streams++
	nth := s.streams
	s.mu.Unlock()
	if s.denyStreams {
		return status.Error(codes.PermissionDenied, "denied on purpose")
	}
	for read := 1; ; read++ {
		req, err := st.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if s.breakAfter > 0 && nth <= s.breakStreams && read > s.breakAfter {
			return status.Error(codes.Unavailable, "stream broken on purpose")
		}
		resp := &hookwirev1.PublishStreamResponse{ClientSequence: req.GetClientSequence(), EventId: req.GetEvent().GetEventId()}
		if r, err := s.store(st.Context(), req.GetEvent()); err != nil {
			st := status.Convert(err)
			resp.Error = &hookwirev1.PublishError{Code: int32(st.Code()), Message: st.Message()}
			for _, f := range badrequest.FieldsOf(err) {
				resp.Error.FieldViolations = append(resp.Error.FieldViolations, &hookwirev1.FieldViolation{Field: f})
			}
		} else {
			resp.Duplicate, resp.Sequence = r.GetDuplicate(), r.GetSequence()
		}
		if err := st.Send(resp); err != nil {
			return err
		}
	}
}
