// Package bus is the contract between ingest and the dispatcher: the
// JetStream stream EVENTS, its subjects, and how one event is laid out in a
// message. The message body is exactly the JSON a subscriber receives; the
// routing facts the dispatcher matches on travel in headers, so matching
// never parses the body.
package bus

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Stream and subject names.
const (
	EventsStream = "EVENTS"
	// EventsSubjectPrefix + event type is the subject of an event.
	EventsSubjectPrefix = "hookwire.events."
)

// Header names set on every event message. An event is identified by
// (scope, event_id), never by event_id alone: two tenants may use the same
// event_id. Nats-Msg-Id (the broker's duplicate window) is MsgID(scope,
// event_id); the producer's event_id travels in its own header.
const (
	HeaderMsgID      = jetstream.MsgIDHeader // Nats-Msg-Id = MsgID(scope, event_id)
	HeaderEventID    = "Hookwire-Event-Id"
	HeaderEventType  = "Hookwire-Event-Type"
	HeaderScope      = "Hookwire-Scope"
	HeaderAttributes = "Hookwire-Attributes" // url-encoded key=value&…
)

// EventsConfig is the EVENTS stream: file storage, a dedup window for
// Nats-Msg-Id, and a max age that bounds how far back Replay reaches.
func EventsConfig(replicas int, dupWindow, maxAge time.Duration) jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name:        EventsStream,
		Description: "Hookwire accepted events",
		Subjects:    []string{EventsSubjectPrefix + ">"},
		Storage:     jetstream.FileStorage,
		Retention:   jetstream.LimitsPolicy,
		Replicas:    max(replicas, 1),
		Duplicates:  dupWindow,
		MaxAge:      maxAge,
		AllowDirect: true,
	}
}

// EnsureEvents creates or updates the EVENTS stream (EnsureStream).
func EnsureEvents(ctx context.Context, js jetstream.JetStream, cfg jetstream.StreamConfig) (jetstream.Stream, error) {
	return EnsureStream(ctx, js, cfg)
}

// Event is a validated event as ingest stores it.
type Event struct {
	ID         string
	Type       string
	Scope      string
	OccurredAt time.Time
	Attributes map[string]string
	Data       json.RawMessage // a compact JSON object
}

// Body is the JSON document a subscriber receives for an event.
type Body struct {
	ID         string          `json:"id"`
	Type       string          `json:"type"`
	Scope      string          `json:"scope"`
	OccurredAt time.Time       `json:"occurred_at"`
	Data       json.RawMessage `json:"data"`
}

// Message lays ev out as a JetStream message on its subject.
func Message(ev Event) (*nats.Msg, error) {
	body, err := json.Marshal(Body{ID: ev.ID, Type: ev.Type, Scope: ev.Scope, OccurredAt: ev.OccurredAt.UTC(), Data: ev.Data})
	if err != nil {
		return nil, fmt.Errorf("encode event %s: %w", ev.ID, err)
	}
	m := nats.NewMsg(EventsSubjectPrefix + ev.Type)
	m.Data = body
	m.Header.Set(HeaderMsgID, MsgID(ev.Scope, ev.ID))
	m.Header.Set(HeaderEventID, ev.ID)
	m.Header.Set(HeaderEventType, ev.Type)
	m.Header.Set(HeaderScope, ev.Scope)
	if len(ev.Attributes) > 0 {
		v := make(url.Values, len(ev.Attributes))
		for k, val := range ev.Attributes {
			v.Set(k, val)
		}
		m.Header.Set(HeaderAttributes, v.Encode())
	}
	return m, nil
}

// Meta is what the dispatcher needs to route an event, read from headers.
// (Scope, ID) is the event's identity.
type Meta struct {
	ID         string
	Type       string
	Scope      string
	Attributes map[string]string
}

// ReadMeta reads the routing headers of an event message.
func ReadMeta(h nats.Header) (Meta, error) {
	m := Meta{ID: h.Get(HeaderEventID), Type: h.Get(HeaderEventType), Scope: h.Get(HeaderScope)}
	if m.ID == "" || m.Type == "" {
		return Meta{}, fmt.Errorf("event message without %s or %s header", HeaderEventID, HeaderEventType)
	}
	if a := h.Get(HeaderAttributes); a != "" {
		v, err := url.ParseQuery(a)
		if err != nil {
			return Meta{}, fmt.Errorf("event %s: attributes header: %w", m.ID, err)
		}
		m.Attributes = make(map[string]string, len(v))
		for k := range v {
			m.Attributes[k] = v.Get(k)
		}
	}
	return m, nil
}
