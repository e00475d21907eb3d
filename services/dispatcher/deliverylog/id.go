package deliverylog

import (
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/hookwire/hookwire/pkg/bus"
)

// EventKeyLen is the length of an event key: the first 24 hex characters
// (96 bits) of the event's identity, bus.Identity(scope, event_id).
const EventKeyLen = 24

// ErrBadID is wrapped by ParseID for a string that is no delivery id.
var ErrBadID = errors.New("malformed delivery id")

// EventKey is the fixed-length, key-safe form of an event: the first 24 hex
// characters of bus.Identity(scope, eventID), the SHA-256 of scope, NUL,
// event_id. event_ids are free text (up to 128 chars) and only unique
// within a scope; the key is what appears in KV keys and delivery ids, so
// two tenants' events of the same event_id never share a delivery.
func EventKey(scope, eventID string) string {
	k := eventKey(scope, eventID)
	return string(k[:])
}

// ID is the public id of the delivery of the event (scope, eventID) to
// subscription subID: subID + "_" + EventKey(scope, eventID). It is also
// the webhook-id header, the same on every attempt and redelivery.
func ID(subID, scope, eventID string) string {
	k := eventKey(scope, eventID)
	return subID + "_" + string(k[:]) // one allocation: one per task of a fan-out
}

func eventKey(scope, eventID string) [EventKeyLen]byte {
	sum := bus.Identity(scope, eventID)
	var k [EventKeyLen]byte
	hex.Encode(k[:], sum[:EventKeyLen/2])
	return k
}

// ParseID splits a delivery id into its subscription id and event key.
func ParseID(id string) (subID, eventKey string, err error) {
	i := strings.LastIndexByte(id, '_')
	if i <= 0 {
		return "", "", fmt.Errorf("%w %q: want <subscription id>_<24 hex>", ErrBadID, id)
	}
	subID, eventKey = id[:i], id[i+1:]
	if !isEventKey(eventKey) {
		return "", "", fmt.Errorf("%w %q: event key must be %d lowercase hex characters", ErrBadID, id, EventKeyLen)
	}
	if !isKeyToken(subID) {
		return "", "", fmt.Errorf("%w %q: subscription id may hold only letters, digits, '-', '_' and '='", ErrBadID, id)
	}
	return subID, eventKey, nil
}

func isEventKey(s string) bool {
	if len(s) != EventKeyLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// isKeyToken reports whether s can be one token of a KV key: no '.', no
// wildcards, nothing outside the characters JetStream KV keys allow.
func isKeyToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_', c == '=':
		default:
			return false
		}
	}
	return true
}
