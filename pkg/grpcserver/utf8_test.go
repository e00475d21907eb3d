package grpcserver

import (
	"bytes"
	"context"
	"errors"
	"io"
	"slices"
	"sync/atomic"
	"testing"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/hookwire/hookwire/pkg/auth"
	hookwirev1 "github.com/hookwire/hookwire/pkg/gen/hookwire/v1"
)

// echoIngest is a test IngestService that counts the requests reaching it.
type echoIngest struct {
	hookwirev1.UnimplementedIngestServiceServer
	calls atomic.Int64
}

func (e *echoIngest) Publish(_ context.Context, req *hookwirev1.PublishRequest) (*hookwirev1.PublishResponse, error) {
	e.calls.Add(1)
	return &hookwirev1.PublishResponse{EventId: req.GetEvent().GetEventId()}, nil
}

func (e *echoIngest) PublishStream(st grpc.BidiStreamingServer[hookwirev1.PublishStreamRequest, hookwirev1.PublishStreamResponse]) error {
	for {
		req, err := st.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		e.calls.Add(1)
		if err := st.Send(&hookwirev1.PublishStreamResponse{ClientSequence: req.GetClientSequence(), EventId: req.GetEvent().GetEventId()}); err != nil {
			return err
		}
	}
}

// rawCodec sends requests as given bytes, so a test can put bytes on the
// wire that the Go protobuf marshaller refuses to write.
type rawCodec struct{}

func (rawCodec) Marshal(v any) (mem.BufferSlice, error) {
	return mem.BufferSlice{mem.SliceBuffer(*v.(*[]byte))}, nil
}
func (rawCodec) Unmarshal(data mem.BufferSlice, v any) error {
	return proto.Unmarshal(data.Materialize(), v.(proto.Message))
}
func (rawCodec) Name() string { return "proto" }

// withBadBytes marshals m and replaces the marker "XY" (which must occur in
// a string field of m) by the two bytes 0xff 0xfe, invalid in UTF-8.
func withBadBytes(t *testing.T, m proto.Message) []byte {
	t.Helper()
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte("XY")) {
		t.Fatal("no XY marker in the message")
	}
	return bytes.ReplaceAll(b, []byte("XY"), []byte{0xff, 0xfe})
}

func startIngest(t *testing.T) (*Server, *echoIngest, *grpc.ClientConn) {
	t.Helper()
	rules := auth.Rules{
		"/hookwire.v1.IngestService/Publish":       auth.Publish,
		"/hookwire.v1.IngestService/PublishStream": auth.Publish,
	}
	srv, err := New("127.0.0.1:0", Interceptors(auth.Dev(), rules)...)
	if err != nil {
		t.Fatal(err)
	}
	svc := &echoIngest{}
	hookwirev1.RegisterIngestServiceServer(srv.GRPC, svc)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	conn, err := grpc.NewClient(srv.Addr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn.Close()
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
	return srv, svc, conn
}

// violations returns the BadRequest field paths of err, which must be
// INVALID_ARGUMENT.
func violations(t *testing.T, err error) []string {
	t.Helper()
	st := status.Convert(err)
	if st.Code() != codes.InvalidArgument {
		t.Fatalf("status %v, want InvalidArgument", err)
	}
	var fields []string
	for _, d := range st.Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			for _, fv := range br.GetFieldViolations() {
				fields = append(fields, fv.GetField())
			}
		}
	}
	return fields
}

func leftover(s *Server) int {
	n := 0
	s.codec.bad.Range(func(any, any) bool { n++; return true })
	return n
}

func TestInvalidUTF8Unary(t *testing.T) {
	srv, svc, conn := startIngest(t)
	ctx := context.Background()
	publish := func(raw []byte) (*hookwirev1.PublishResponse, error) {
		var resp hookwirev1.PublishResponse
		err := conn.Invoke(ctx, "/hookwire.v1.IngestService/Publish", &raw, &resp, grpc.ForceCodecV2(rawCodec{}))
		return &resp, err
	}
	ev := func(attrs map[string]string) *hookwirev1.PublishRequest {
		return &hookwirev1.PublishRequest{Event: &hookwirev1.Event{EventId: "e1", EventType: "transaction.sale.success", Attributes: attrs}}
	}

	valid, _ := proto.Marshal(ev(map[string]string{"payment_method": "CARD"}))
	if resp, err := publish(valid); err != nil || resp.GetEventId() != "e1" {
		t.Fatalf("valid request: %v, %v", resp, err)
	}

	tests := []struct {
		name string
		raw  []byte
		want []string
	}{
		{"attribute value", withBadBytes(t, ev(map[string]string{"payment_method": "CAXY"})), []string{"event.attributes[payment_method]"}},
		{"attribute key", withBadBytes(t, ev(map[string]string{"kXY": "CARD"})), []string{"event.attributes[k\uFFFD]"}},
		{"event id and type", withBadBytes(t, &hookwirev1.PublishRequest{Event: &hookwirev1.Event{EventId: "idXY", EventType: "tXY"}}),
			[]string{"event.event_id", "event.event_type"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := publish(tt.raw)
			if got := violations(t, err); !slices.Equal(got, tt.want) {
				t.Fatalf("violations %q, want %q (%v)", got, tt.want, err)
			}
		})
	}
	// Malformed wire data that is not a UTF-8 problem keeps grpc-go's answer.
	if _, err := publish(valid[:len(valid)-1]); status.Code(err) != codes.Internal {
		t.Fatalf("truncated request: %v, want Internal", err)
	}
	if n := svc.calls.Load(); n != 1 {
		t.Fatalf("handler ran %d times, want 1 (the valid request only)", n)
	}
	if n := leftover(srv); n != 0 {
		t.Fatalf("%d rejected messages left in the codec", n)
	}
}

func TestInvalidUTF8Stream(t *testing.T) {
	srv, svc, conn := startIngest(t)
	st, err := conn.NewStream(context.Background(), &grpc.StreamDesc{ServerStreams: true, ClientStreams: true},
		"/hookwire.v1.IngestService/PublishStream", grpc.ForceCodecV2(rawCodec{}))
	if err != nil {
		t.Fatal(err)
	}
	good, _ := proto.Marshal(&hookwirev1.PublishStreamRequest{ClientSequence: 1, Event: &hookwirev1.Event{EventId: "e1", Scope: "acquirers/1"}})
	bad := withBadBytes(t, &hookwirev1.PublishStreamRequest{ClientSequence: 2, Event: &hookwirev1.Event{EventId: "e2", Scope: "acquirers/XY"}})
	if err := st.SendMsg(&good); err != nil {
		t.Fatal(err)
	}
	var resp hookwirev1.PublishStreamResponse
	if err := st.RecvMsg(&resp); err != nil || resp.GetClientSequence() != 1 {
		t.Fatalf("first answer %v, %v", &resp, err)
	}
	if err := st.SendMsg(&bad); err != nil {
		t.Fatal(err)
	}
	err = st.RecvMsg(&resp)
	if got := violations(t, err); !slices.Equal(got, []string{"event.scope"}) {
		t.Fatalf("violations %q, want [event.scope] (%v)", got, err)
	}
	if n := svc.calls.Load(); n != 1 {
		t.Fatalf("handler saw %d events, want 1", n)
	}
	if n := leftover(srv); n != 0 {
		t.Fatalf("%d rejected messages left in the codec", n)
	}
}

// TestSanitizeUTF8Paths: list indexes, maps of messages and nesting are
// named as the request's field paths, and the rewritten bytes decode to the
// same message with U+FFFD in place of the bad bytes.
func TestSanitizeUTF8Paths(t *testing.T) {
	req := &hookwirev1.CreateSubscriptionRequest{Subscription: &hookwirev1.Subscription{
		Label:      "shopXY",
		EventTypes: []string{"a.b", "a.XY", "c"},
		AttributeFilters: map[string]*hookwirev1.AttributeValues{
			"payment_method": {Values: []string{"CARD", "BLXY"}},
		},
		Metadata: map[string]string{"team": "ok"},
	}}
	fixed, fields, ok := sanitizeUTF8(withBadBytes(t, req), req.ProtoReflect().Descriptor())
	want := []string{"subscription.label", "subscription.event_types[1]", "subscription.attribute_filters[payment_method].values[1]"}
	if !ok || !slices.Equal(fields, want) {
		t.Fatalf("sanitizeUTF8 = %q, %v; want %q", fields, ok, want)
	}
	var got hookwirev1.CreateSubscriptionRequest
	if err := proto.Unmarshal(fixed, &got); err != nil {
		t.Fatalf("rewritten bytes do not decode: %v", err)
	}
	sub := got.GetSubscription()
	if sub.GetLabel() != "shop\uFFFD" || sub.GetEventTypes()[1] != "a.\uFFFD" ||
		sub.GetAttributeFilters()["payment_method"].GetValues()[1] != "BL\uFFFD" || sub.GetMetadata()["team"] != "ok" {
		t.Fatalf("rewritten message %v", sub)
	}
	if _, _, ok := sanitizeUTF8([]byte{0x0a, 0x05, 0x01}, req.ProtoReflect().Descriptor()); ok {
		t.Fatal("truncated bytes accepted")
	}
}
