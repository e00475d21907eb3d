package bus

import (
	"crypto/sha256"
	"encoding/hex"
)

// Identity is what identifies an event: the SHA-256 of its scope, a NUL
// byte and its event_id. A scope never holds a NUL (scope.Validate), so
// no two (scope, event_id) pairs encode alike: two tenants that use the
// same event_id have different identities. Every key derived from an event
// (Nats-Msg-Id, the Redis dedup record, the delivery id) is derived from
// its Identity, never from the event_id alone.
func Identity(scope, eventID string) [sha256.Size]byte {
	b := make([]byte, 0, len(scope)+1+len(eventID))
	b = append(b, scope...)
	b = append(b, 0)
	b = append(b, eventID...)
	return sha256.Sum256(b)
}

// MsgID is the Nats-Msg-Id of an event's message: its Identity in hex, so
// the broker's duplicate window, too, tells tenants apart.
func MsgID(scope, eventID string) string {
	id := Identity(scope, eventID)
	return hex.EncodeToString(id[:])
}
