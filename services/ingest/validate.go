package ingest

import (
	"bytes"
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protojson"

	"github.com/hookwire/hookwire/pkg/badrequest"
	"github.com/hookwire/hookwire/pkg/bus"
	"github.com/hookwire/hookwire/pkg/eventtype"
	hookwirev1 "github.com/hookwire/hookwire/pkg/gen/hookwire/v1"
	"github.com/hookwire/hookwire/pkg/scope"
)

// Limits of one event.
const (
	MaxEventIDLen     = 128
	MaxAttributes     = 32
	MaxAttributeKey   = 64
	MaxAttributeValue = 256
	// ReservedTypePrefix marks the system's own operational events
	// (hookwire.subscription.suspended …); producers may not publish them.
	ReservedTypePrefix = "hookwire."
	// MaxFutureSkew is how far ahead of ingest's clock occurred_at may be.
	// Producers' clocks drift by seconds, not hours; a timestamp further
	// ahead is a bug (seconds read as milliseconds, a wrong time zone) that
	// would mislead subscribers ordering by it, so it is rejected.
	MaxFutureSkew = time.Hour
)

// EarliestOccurredAt is the earliest occurred_at accepted: an event of a
// webhook platform happened this century; anything before is a zero or
// truncated timestamp (year 0001, 1970) that receivers would misread.
var EarliestOccurredAt = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// emptyData is what an event without data carries: subscribers always get
// a JSON object in "data", never null.
var emptyData = json.RawMessage(`{}`)

// validator checks events against the catalog and the size limits.
type validator struct {
	known    func(name string) bool
	maxBytes int
	maxDepth int // of the data object, itself depth 1
}

// check validates ev and returns the event to store and its content (the
// record's per-field hashes, content). It collects every violation, each
// named by its field path, into v.
func (c validator) check(ev *hookwirev1.Event, now time.Time, v *badrequest.Violations) (bus.Event, string) {
	if ev == nil {
		v.Add("event", "required")
		return bus.Event{}, ""
	}
	out := bus.Event{ID: ev.GetEventId(), Type: ev.GetEventType(), Scope: ev.GetScope()}
	c.checkID(out.ID, v)
	c.checkType(out.Type, v)
	v.Check("event.scope", scope.Validate(out.Scope))
	out.Attributes = c.checkAttributes(ev.GetAttributes(), v)
	var dataSum [32]byte
	out.Data, dataSum = c.checkData(ev, v)
	out.OccurredAt = now
	if ts := ev.GetOccurredAt(); ts != nil {
		if err := ts.CheckValid(); err != nil {
			v.Add("event.occurred_at", "invalid timestamp: %v", err)
		} else if t := ts.AsTime(); t.After(now.Add(MaxFutureSkew)) {
			v.Add("event.occurred_at", "more than %s in the future", MaxFutureSkew)
		} else if t.Before(EarliestOccurredAt) {
			v.Add("event.occurred_at", "before %s", EarliestOccurredAt.Format(time.RFC3339))
		} else {
			out.OccurredAt = t
		}
	}
	return out, content(ev, dataSum)
}

func (validator) checkID(id string, v *badrequest.Violations) {
	switch {
	case id == "":
		v.Add("event.event_id", "required")
		return
	case len(id) > MaxEventIDLen:
		v.Add("event.event_id", "longer than %d characters", MaxEventIDLen)
		return
	}
	for i := 0; i < len(id); i++ {
		if id[i] < '!' || id[i] > '~' {
			v.Add("event.event_id", "must be visible ASCII without spaces (it is the Nats-Msg-Id header)")
			return
		}
	}
}

func (c validator) checkType(name string, v *badrequest.Violations) {
	switch {
	case name == "":
		v.Add("event.event_type", "required")
	case strings.HasPrefix(name, ReservedTypePrefix):
		v.Add("event.event_type", "types under %q are reserved for the system", ReservedTypePrefix)
	case c.known(name):
		// Catalogued names were validated when they were created.
	case eventtype.ValidateName(name) != nil:
		v.Check("event.event_type", eventtype.ValidateName(name))
	default:
		v.Add("event.event_type", "%q is not in the event-type catalog", name)
	}
}

func (validator) checkAttributes(attrs map[string]string, v *badrequest.Violations) map[string]string {
	if len(attrs) > MaxAttributes {
		v.Add("event.attributes", "more than %d attributes", MaxAttributes)
		return nil
	}
	for _, k := range slices.Sorted(maps.Keys(attrs)) {
		field := "event.attributes[" + k + "]"
		if !validAttributeKey(k) {
			v.Add(field, "key must be 1-%d characters of [a-z0-9_]", MaxAttributeKey)
		}
		if len(attrs[k]) > MaxAttributeValue {
			v.Add(field, "value longer than %d characters", MaxAttributeValue)
		}
	}
	return attrs
}

func validAttributeKey(k string) bool {
	if k == "" || len(k) > MaxAttributeKey {
		return false
	}
	for i := 0; i < len(k); i++ {
		b := k[i]
		if !(b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || b == '_') {
			return false
		}
	}
	return true
}

// checkData returns the event's data, a JSON object whose compact form is
// at most maxBytes, valid UTF-8, nested at most maxDepth deep, and the
// SHA-256 of its compact form. Absent data is {}.
func (c validator) checkData(ev *hookwirev1.Event, v *badrequest.Violations) (json.RawMessage, [32]byte) {
	var raw []byte
	field := "event.data" // the violation names the oneof member given
	switch p := ev.GetPayload().(type) {
	case nil:
		return emptyData, emptyDataSum
	case *hookwirev1.Event_Data:
		if p.Data == nil {
			return emptyData, emptyDataSum
		}
		b, err := protojson.Marshal(p.Data)
		if err != nil {
			v.Add("event.data", "cannot encode as JSON: %v", err)
			return nil, [32]byte{}
		}
		raw = b
	case *hookwirev1.Event_DataJson:
		field = "event.data_json"
		raw = p.DataJson
		if i := firstNonSpace(raw); i < 0 || raw[i] != '{' {
			v.Add(field, "must be a JSON object")
			return nil, [32]byte{}
		}
	}
	if len(raw) > 4*c.maxBytes+1024 {
		// Far beyond any compaction gain: refuse before scanning it.
		v.Add(field, "larger than %d bytes", c.maxBytes)
		return nil, [32]byte{}
	}
	if !utf8.Valid(raw) {
		// encoding/json accepts it (and replaces the bytes when decoding);
		// other receivers' parsers refuse it.
		v.Add(field, "not valid UTF-8")
		return nil, [32]byte{}
	}
	if !json.Valid(raw) {
		var buf bytes.Buffer
		v.Add(field, "not valid JSON: %v", json.Compact(&buf, raw))
		return nil, [32]byte{}
	}
	depth, sum := scanJSON(raw)
	if depth > c.maxDepth {
		v.Add(field, "nested %d levels deep, more than the limit of %d (the delivered envelope adds one)", depth, c.maxDepth)
		return nil, [32]byte{}
	}
	if len(raw) <= c.maxBytes {
		// bus.Message compacts it while encoding the body: compacting here
		// too would cost a quarter of the stream path's CPU.
		return raw, sum
	}
	var buf bytes.Buffer
	buf.Grow(len(raw))
	_ = json.Compact(&buf, raw) // valid, checked above
	if buf.Len() > c.maxBytes {
		v.Add(field, "%d bytes of compact JSON, more than the limit of %d", buf.Len(), c.maxBytes)
		return nil, [32]byte{}
	}
	return buf.Bytes(), sum
}

func firstNonSpace(b []byte) int {
	for i, c := range b {
		switch c {
		case ' ', '\t', '\n', '\r':
			continue
		}
		return i
	}
	return -1
}
