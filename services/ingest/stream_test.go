package ingest_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	"github.com/hookwire/hookwire/pkg/bus"
	hookwirev1 "github.com/hookwire/hookwire/pkg/gen/hookwire/v1"
)

// publishAll sends events on one PublishStream (numbered from 1), closes the
// send side, and returns every response received until the server ends the
// stream.
func publishAll(t testing.TB, ctx context.Context, c hookwirev1.IngestServiceClient, events []*hookwirev1.Event) []*hookwirev1.PublishStreamResponse {
	t.Helper()
	st, err := c.PublishStream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sendErr := make(chan error, 1)
	go func() {
		for i, ev := range events {
			if err := st.Send(&hookwirev1.PublishStreamRequest{ClientSequence: uint64(i + 1), Event: ev}); err != nil {
				sendErr <- err
				return
			}
		}
		sendErr <- st.CloseSend()
	}()
	var out []*hookwirev1.PublishStreamResponse
	for {
		resp, err := st.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("recv after %d responses: %v", len(out), err)
		}
		out = append(out, resp)
	}
	if err := <-sendErr; err != nil {
		t.Fatal(err)
	}
	return out
}

func TestPublishStreamMixed(t *testing.T) {
	e := startEnv(t, envOpts{})
	const n = 1000
	type want struct {
		code  int32
		field string
	}
	wants := make([]want, n+1)
	events := make([]*hookwirev1.Event, n)
	valid := 0
	for i := range events {
		ev := validEvent(fmt.Sprintf("evt-mixed-%04d", i))
		w := want{}
		switch i % 5 {
		case 1:
			ev.EventId = "bad id"
			w = want{int32(codes.InvalidArgument), "event.event_id"}
		case 2:
			ev.Scope = "acquirers/200"
			w = want{code: int32(codes.PermissionDenied)}
		case 3:
			ev.EventType = "ach.returned"
			w = want{int32(codes.InvalidArgument), "event.event_type"}
		default:
			valid++
		}
		events[i], wants[i+1] = ev, w
	}
	resps := publishAll(t, as(t, acqToken), e.client, events)
	if len(resps) != n {
		t.Fatalf("%d responses, want %d", len(resps), n)
	}
	seen := make([]bool, n+1)
	for _, r := range resps {
		seq := r.GetClientSequence()
		if seq == 0 || seq > n || seen[seq] {
			t.Fatalf("unexpected or repeated client_sequence %d", seq)
		}
		seen[seq] = true
		w := wants[seq]
		if r.GetError().GetCode() != w.code {
			t.Fatalf("seq %d: error %v, want code %d", seq, r.GetError(), w.code)
		}
		if w.field != "" && !slices.ContainsFunc(r.GetError().GetFieldViolations(), func(fv *hookwirev1.FieldViolation) bool { return fv.GetField() == w.field }) {
			t.Fatalf("seq %d: violations %v, want %s", seq, r.GetError().GetFieldViolations(), w.field)
		}
		if w.code == 0 && r.GetSequence() == 0 {
			t.Fatalf("seq %d: OK without a stream sequence", seq)
		}
	}
	if got := e.storedCount(t); got != uint64(valid) {
		t.Fatalf("%d stored, want %d", got, valid)
	}
}

func TestPublishStreamAnswersPendingAfterCloseSend(t *testing.T) {
	e := startEnv(t, envOpts{})
	ctx := as(t, rootToken)
	st, err := e.client.PublishStream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	const n = 300
	for i := range n {
		if err := st.Send(&hookwirev1.PublishStreamRequest{ClientSequence: uint64(i + 1), Event: validEvent(fmt.Sprintf("evt-close-%d", i))}); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.CloseSend(); err != nil {
		t.Fatal(err)
	}
	stream, err := e.js.Stream(context.Background(), bus.EventsStream)
	if err != nil {
		t.Fatal(err)
	}
	got := 0
	for {
		r, err := st.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got++
		if r.GetError() != nil || r.GetSequence() == 0 {
			t.Fatalf("response %v", r)
		}
		// OK means stored: the message is in EVENTS at the acked sequence.
		msg, err := stream.GetMsg(context.Background(), r.GetSequence())
		if err != nil || msg.Header.Get(bus.HeaderEventID) != r.GetEventId() {
			t.Fatalf("seq %d: stored %v, %v", r.GetSequence(), msg, err)
		}
	}
	if got != n {
		t.Fatalf("%d answers after CloseSend, want %d", got, n)
	}
}

func TestPublishStreamDuplicate(t *testing.T) {
	e := startEnv(t, envOpts{})
	resps := publishAll(t, as(t, rootToken), e.client, []*hookwirev1.Event{validEvent("evt-twice"), validEvent("evt-twice")})
	dups := 0
	for _, r := range resps {
		if r.GetError() != nil {
			t.Fatal(r.GetError())
		}
		if r.GetDuplicate() {
			dups++
		}
	}
	if len(resps) != 2 || dups != 1 || e.storedCount(t) != 1 {
		t.Fatalf("responses %v, stored %d", resps, e.storedCount(t))
	}
}

func TestPublishStreamUnavailableUntilCatalogLoaded(t *testing.T) {
	e := startEnv(t, envOpts{noRun: true})
	resps := publishAll(t, as(t, rootToken), e.client, []*hookwirev1.Event{validEvent("a"), validEvent("b")})
	for _, r := range resps {
		if r.GetError().GetCode() != int32(codes.Unavailable) {
			t.Fatalf("response %v, want Unavailable", r)
		}
	}
	if len(resps) != 2 {
		t.Fatalf("%d responses", len(resps))
	}
}

// BenchmarkPublishStream measures events/s accepted through gRPC and
// stored in embedded JetStream (file storage), ~1 KiB of data each.
func BenchmarkPublishStream(b *testing.B) {
	e := startEnv(b, envOpts{})
	data := fmt.Appendf(nil, `{"amount":1250,"currency":"EUR","note":"%s"}`, strings.Repeat("x", 960))
	events := make([]*hookwirev1.Event, b.N)
	for i := range events {
		ev := validEvent(fmt.Sprintf("bench-%d-%d", time.Now().UnixNano(), i))
		ev.Payload = &hookwirev1.Event_DataJson{DataJson: data}
		events[i] = ev
	}
	b.ResetTimer()
	start := time.Now()
	resps := publishAll(b, as(b, rootToken), e.client, events)
	elapsed := time.Since(start)
	b.StopTimer()
	for _, r := range resps {
		if r.GetError() != nil {
			b.Fatal(r.GetError())
		}
	}
	if len(resps) != b.N {
		b.Fatalf("%d responses for %d events", len(resps), b.N)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "events/s")
}
