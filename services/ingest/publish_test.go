package ingest_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/hookwire/hookwire/pkg/badrequest"
	"github.com/hookwire/hookwire/pkg/bus"
	"github.com/hookwire/hookwire/pkg/catalog"
	hookwirev1 "github.com/hookwire/hookwire/pkg/gen/hookwire/v1"
	"github.com/hookwire/hookwire/pkg/testkit"
)

func TestPublishStoresEvent(t *testing.T) {
	e := startEnv(t, envOpts{})
	data, err := structpb.NewStruct(map[string]any{"amount": 1250, "ok": true})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		payload  func(ev *hookwirev1.Event)
		wantData string
	}{
		{"data_json compacted", func(*hookwirev1.Event) {}, `{"amount":1250,"currency":"EUR"}`},
		{"struct", func(ev *hookwirev1.Event) { ev.Payload = &hookwirev1.Event_Data{Data: data} }, `{"amount":1250,"ok":true}`},
		{"no data is an empty object", func(ev *hookwirev1.Event) { ev.Payload = nil }, `{}`},
	}
	s, err := e.js.Stream(context.Background(), bus.EventsStream)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := validEvent("evt-" + strings.ReplaceAll(tt.name, " ", "-"))
			tt.payload(ev)
			resp, err := e.client.Publish(as(t, rootToken), &hookwirev1.PublishRequest{Event: ev})
			if err != nil {
				t.Fatal(err)
			}
			if resp.GetEventId() != ev.EventId || resp.GetDuplicate() || resp.GetSequence() == 0 {
				t.Fatalf("response %v", resp)
			}
			msg, err := s.GetMsg(context.Background(), resp.GetSequence())
			if err != nil {
				t.Fatal(err)
			}
			if msg.Subject != bus.EventsSubjectPrefix+saleType {
				t.Errorf("subject %q", msg.Subject)
			}
			meta, err := bus.ReadMeta(msg.Header)
			if err != nil {
				t.Fatal(err)
			}
			if meta.ID != ev.EventId || meta.Type != saleType || meta.Scope != ev.Scope || meta.Attributes["payment_method"] != "CARD" {
				t.Errorf("headers %v", msg.Header)
			}
			want := `{"id":"` + ev.EventId + `","type":"transaction.sale.success","scope":"acquirers/100/merchants/2000",` +
				`"occurred_at":"2026-11-23T10:00:00Z","data":` + tt.wantData + `}`
			if string(msg.Data) != want {
				t.Errorf("body\n got %s\nwant %s", msg.Data, want)
			}
		})
	}
}

func TestPublishDefaultsOccurredAtToNow(t *testing.T) {
	e := startEnv(t, envOpts{})
	ev := validEvent("evt-now")
	ev.OccurredAt = nil
	before := time.Now().Add(-time.Second)
	resp, err := e.client.Publish(as(t, rootToken), &hookwirev1.PublishRequest{Event: ev})
	if err != nil {
		t.Fatal(err)
	}
	s, _ := e.js.Stream(context.Background(), bus.EventsStream)
	msg, err := s.GetMsg(context.Background(), resp.GetSequence())
	if err != nil {
		t.Fatal(err)
	}
	i := strings.Index(string(msg.Data), `"occurred_at":"`)
	got, err := time.Parse(time.RFC3339Nano, string(msg.Data[i+15:i+15+strings.IndexByte(string(msg.Data[i+15:]), '"')]))
	if err != nil || got.Before(before) || got.After(time.Now().Add(time.Second)) {
		t.Fatalf("occurred_at %v (%v), want about now", got, err)
	}
}

func TestPublishValidation(t *testing.T) {
	e := startEnv(t, envOpts{})
	tests := []struct {
		name  string
		edit  func(ev *hookwirev1.Event)
		field string
	}{
		{"missing event_id", func(ev *hookwirev1.Event) { ev.EventId = "" }, "event.event_id"},
		{"long event_id", func(ev *hookwirev1.Event) { ev.EventId = strings.Repeat("a", 129) }, "event.event_id"},
		{"event_id with space", func(ev *hookwirev1.Event) { ev.EventId = "a b" }, "event.event_id"},
		{"event_id not ascii", func(ev *hookwirev1.Event) { ev.EventId = "évt" }, "event.event_id"},
		{"missing type", func(ev *hookwirev1.Event) { ev.EventType = "" }, "event.event_type"},
		{"bad type name", func(ev *hookwirev1.Event) { ev.EventType = "Transaction.Sale" }, "event.event_type"},
		{"unknown type", func(ev *hookwirev1.Event) { ev.EventType = "ach.returned" }, "event.event_type"},
		{"reserved type", func(ev *hookwirev1.Event) { ev.EventType = "hookwire.subscription.suspended" }, "event.event_type"},
		{"bad scope", func(ev *hookwirev1.Event) { ev.Scope = "acquirers//100" }, "event.scope"},
		{"scope with slash", func(ev *hookwirev1.Event) { ev.Scope = "/acquirers/100" }, "event.scope"},
		{"too many attributes", func(ev *hookwirev1.Event) {
			for i := range 33 {
				ev.Attributes[strings.Repeat("k", i+1)] = "v"
			}
		}, "event.attributes"},
		{"bad attribute key", func(ev *hookwirev1.Event) { ev.Attributes["Payment-Method"] = "x" }, "event.attributes[Payment-Method]"},
		{"long attribute key", func(ev *hookwirev1.Event) { ev.Attributes[strings.Repeat("k", 65)] = "x" }, "event.attributes[" + strings.Repeat("k", 65) + "]"},
		{"long attribute value", func(ev *hookwirev1.Event) { ev.Attributes["note"] = strings.Repeat("v", 257) }, "event.attributes[note]"},
		{"data_json array", func(ev *hookwirev1.Event) { ev.Payload = &hookwirev1.Event_DataJson{DataJson: []byte(` [1]`)} }, "event.data_json"},
		{"data_json string", func(ev *hookwirev1.Event) { ev.Payload = &hookwirev1.Event_DataJson{DataJson: []byte(`"x"`)} }, "event.data_json"},
		{"data_json invalid", func(ev *hookwirev1.Event) { ev.Payload = &hookwirev1.Event_DataJson{DataJson: []byte(`{"a":}`)} }, "event.data_json"},
		{"data_json trailing value", func(ev *hookwirev1.Event) { ev.Payload = &hookwirev1.Event_DataJson{DataJson: []byte(`{} {}`)} }, "event.data_json"},
		{"data_json empty", func(ev *hookwirev1.Event) { ev.Payload = &hookwirev1.Event_DataJson{DataJson: nil} }, "event.data_json"},
		{"data too large", func(ev *hookwirev1.Event) {
			ev.Payload = &hookwirev1.Event_DataJson{DataJson: []byte(`{"x":"` + strings.Repeat("a", 256<<10) + `"}`)}
		}, "event.data_json"},
		{"occurred_at far future", func(ev *hookwirev1.Event) { ev.OccurredAt = timestamppb.New(time.Now().Add(2 * time.Hour)) }, "event.occurred_at"},
		{"occurred_at invalid", func(ev *hookwirev1.Event) { ev.OccurredAt = &timestamppb.Timestamp{Seconds: 1, Nanos: -1} }, "event.occurred_at"},
		{"occurred_at year 0001", func(ev *hookwirev1.Event) { ev.OccurredAt = timestamppb.New(time.Time{}) }, "event.occurred_at"},
		{"occurred_at before 2000", func(ev *hookwirev1.Event) {
			ev.OccurredAt = timestamppb.New(time.Date(1999, 12, 31, 23, 59, 59, 0, time.UTC))
		}, "event.occurred_at"},
		{"data_json invalid UTF-8", func(ev *hookwirev1.Event) {
			ev.Payload = &hookwirev1.Event_DataJson{DataJson: []byte("{\"name\":\"caf\xe9\"}")}
		}, "event.data_json"},
		{"data_json 65 deep", func(ev *hookwirev1.Event) { ev.Payload = &hookwirev1.Event_DataJson{DataJson: nested(65)} }, "event.data_json"},
		{"data_json 10000 deep", func(ev *hookwirev1.Event) { ev.Payload = &hookwirev1.Event_DataJson{DataJson: nested(10000)} }, "event.data_json"},
		{"data 65 deep", func(ev *hookwirev1.Event) { ev.Payload = &hookwirev1.Event_Data{Data: nestedStruct(65)} }, "event.data"},
		{"no event", nil, "event"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ev *hookwirev1.Event
			if tt.edit != nil {
				ev = validEvent("evt-invalid")
				tt.edit(ev)
			}
			_, err := e.client.Publish(as(t, rootToken), &hookwirev1.PublishRequest{Event: ev})
			if status.Code(err) != codes.InvalidArgument {
				t.Fatalf("code %v (%v), want InvalidArgument", status.Code(err), err)
			}
			if fields := badrequest.FieldsOf(err); !slices.Contains(fields, tt.field) {
				t.Fatalf("fields %q, want %q", fields, tt.field)
			}
		})
	}
	if n := e.storedCount(t); n != 0 {
		t.Fatalf("%d messages stored after only invalid events", n)
	}
}

func TestPublishFutureWithinSkewAccepted(t *testing.T) {
	e := startEnv(t, envOpts{})
	ev := validEvent("evt-skew")
	ev.OccurredAt = timestamppb.New(time.Now().Add(30 * time.Minute))
	if _, err := e.client.Publish(as(t, rootToken), &hookwirev1.PublishRequest{Event: ev}); err != nil {
		t.Fatal(err)
	}
}

func TestPublishDuplicate(t *testing.T) {
	e := startEnv(t, envOpts{})
	first, err := e.client.Publish(as(t, rootToken), &hookwirev1.PublishRequest{Event: validEvent("evt-dup")})
	if err != nil {
		t.Fatal(err)
	}
	again, err := e.client.Publish(as(t, rootToken), &hookwirev1.PublishRequest{Event: validEvent("evt-dup")})
	if err != nil {
		t.Fatal(err)
	}
	if first.GetDuplicate() || !again.GetDuplicate() || again.GetSequence() != first.GetSequence() {
		t.Fatalf("first %v, again %v", first, again)
	}
	if n := e.storedCount(t); n != 1 {
		t.Fatalf("%d messages stored, want 1", n)
	}
}

func TestPublishTypeAcceptedOnceCatalogued(t *testing.T) {
	e := startEnv(t, envOpts{})
	ev := validEvent("evt-ach")
	ev.EventType = "ach.returned"
	_, err := e.client.Publish(as(t, rootToken), &hookwirev1.PublishRequest{Event: ev})
	if !slices.Equal(badrequest.FieldsOf(err), []string{"event.event_type"}) {
		t.Fatalf("before catalog: %v", err)
	}
	if err := e.cat.Create(context.Background(), catalog.EventType{Name: "ach.returned", CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, 5*time.Second, func() bool {
		_, err = e.client.Publish(as(t, rootToken), &hookwirev1.PublishRequest{Event: ev})
		return err == nil
	}, "type not accepted after it was catalogued: %v", err)
}

func TestPublishScope(t *testing.T) {
	e := startEnv(t, envOpts{})
	tests := []struct {
		token, scope string
		want         codes.Code
	}{
		{acqToken, "acquirers/100", codes.OK},
		{acqToken, "acquirers/100/merchants/2000/terminals/31", codes.OK},
		{acqToken, "acquirers/1000", codes.PermissionDenied},
		{acqToken, "acquirers/200/merchants/1", codes.PermissionDenied},
		{acqToken, "", codes.PermissionDenied},
		{rootToken, "acquirers/200/merchants/1", codes.OK},
		{rootToken, "", codes.OK},
		{readerToken, "acquirers/100", codes.PermissionDenied},
		{"", "acquirers/100", codes.Unauthenticated},
		{"tok-unknown", "acquirers/100", codes.Unauthenticated},
	}
	accepted := 0
	for i, tt := range tests {
		ev := validEvent("evt-scope-" + string(rune('a'+i)))
		ev.Scope = tt.scope
		_, err := e.client.Publish(as(t, tt.token), &hookwirev1.PublishRequest{Event: ev})
		if status.Code(err) != tt.want {
			t.Errorf("token %q scope %q: %v, want %v", tt.token, tt.scope, err, tt.want)
		}
		if err == nil {
			accepted++
		}
	}
	if n := e.storedCount(t); n != uint64(accepted) {
		t.Fatalf("%d stored, want %d", n, accepted)
	}
}

func TestPublishUnavailableUntilCatalogLoaded(t *testing.T) {
	e := startEnv(t, envOpts{noRun: true})
	_, err := e.client.Publish(as(t, rootToken), &hookwirev1.PublishRequest{Event: validEvent("evt-early")})
	if status.Code(err) != codes.Unavailable {
		t.Fatalf("%v, want Unavailable", err)
	}
}
