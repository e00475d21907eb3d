package ingest_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"google.golang.org/protobuf/types/known/structpb"

	"github.com/hookwire/hookwire/pkg/bus"
	hookwirev1 "github.com/hookwire/hookwire/pkg/gen/hookwire/v1"
	"github.com/hookwire/hookwire/services/ingest"
)

// nested is a JSON object depth levels deep: {"a":{"a":…{}…}}.
func nested(depth int) []byte {
	return []byte(strings.Repeat(`{"a":`, depth-1) + "{}" + strings.Repeat("}", depth-1))
}

// nestedStruct is a Struct depth levels deep.
func nestedStruct(depth int) *structpb.Struct {
	s := &structpb.Struct{Fields: map[string]*structpb.Value{}}
	for range depth - 1 {
		s = &structpb.Struct{Fields: map[string]*structpb.Value{"a": structpb.NewStructValue(s)}}
	}
	return s
}

// TestDeepestDataIsDelivered: data at the depth limit is accepted, and the
// envelope a subscriber receives (one level deeper) decodes with
// encoding/json; one level more is refused, also when the limit is set.
func TestDeepestDataIsDelivered(t *testing.T) {
	for _, limit := range []int{ingest.DefaultMaxDataDepth, 3} {
		e := startEnv(t, envOpts{cfg: func(c *ingest.Config) { c.MaxDataDepth = limit }})
		ev := validEvent("evt-deep")
		ev.Payload = &hookwirev1.Event_DataJson{DataJson: nested(limit)}
		resp, err := e.client.Publish(as(t, rootToken), &hookwirev1.PublishRequest{Event: ev})
		if err != nil {
			t.Fatalf("limit %d: data %d deep: %v", limit, limit, err)
		}
		s, err := e.js.Stream(context.Background(), bus.EventsStream)
		if err != nil {
			t.Fatal(err)
		}
		msg, err := s.GetMsg(context.Background(), resp.GetSequence())
		if err != nil {
			t.Fatal(err)
		}
		var body any
		if err := json.Unmarshal(msg.Data, &body); err != nil {
			t.Fatalf("limit %d: delivered envelope does not decode: %v", limit, err)
		}
		ev = validEvent("evt-deeper")
		ev.Payload = &hookwirev1.Event_DataJson{DataJson: nested(limit + 1)}
		if _, err := e.client.Publish(as(t, rootToken), &hookwirev1.PublishRequest{Event: ev}); err == nil {
			t.Fatalf("limit %d: data %d deep accepted", limit, limit+1)
		}
	}
}
