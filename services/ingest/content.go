package ingest

import (
	"crypto/sha256"
	"encoding/binary"
	"hash"
	"maps"
	"slices"

	hookwirev1 "github.com/hookwire/hookwire/pkg/gen/hookwire/v1"
)

// An event's content, as its record keeps it (pkg/eventrecord), is one
// hash per field a repeat may change, in this order, so that a conflicting
// repeat is answered with the fields that differ. The scope and event_id
// are the record's key, so they are not in it.
var contentFields = [...]string{"event.event_type", "event.occurred_at", "event.attributes", "event.data"}

// fieldHashBytes of SHA-256 are kept per field (128 bits).
const fieldHashBytes = 16

var emptyDataSum = sha256.Sum256(emptyData)

// content is the record content of the request ev whose data's compact
// form hashes to dataSum. It is of the request as sent: an occurred_at left
// out (ingest fills in its clock) is the same on every repeat.
func content(ev *hookwirev1.Event, dataSum [32]byte) string {
	out := make([]byte, 0, len(contentFields)*fieldHashBytes)
	h := sha256.New()
	sum := func() {
		out = h.Sum(out)[:len(out)+fieldHashBytes]
		h.Reset()
	}
	h.Write([]byte(ev.GetEventType()))
	sum()
	if ts := ev.GetOccurredAt(); ts != nil {
		var b [12]byte
		binary.BigEndian.PutUint64(b[:8], uint64(ts.GetSeconds()))
		binary.BigEndian.PutUint32(b[8:], uint32(ts.GetNanos()))
		h.Write(b[:])
	}
	sum()
	attrs := ev.GetAttributes()
	for _, k := range slices.Sorted(maps.Keys(attrs)) {
		writeString(h, k)
		writeString(h, attrs[k])
	}
	sum()
	out = append(out, dataSum[:fieldHashBytes]...)
	return string(out)
}

// writeString writes s length-prefixed, so that no two sequences of
// strings hash alike.
func writeString(h hash.Hash, s string) {
	h.Write(binary.AppendUvarint(nil, uint64(len(s))))
	h.Write([]byte(s))
}

// differingFields names the fields in which two contents differ; a content
// of another shape (not written by this version) differs in all of them.
func differingFields(a, b string) []string {
	if len(a) != len(b) || len(a) != len(contentFields)*fieldHashBytes {
		return contentFields[:]
	}
	var out []string
	for i, f := range contentFields {
		if a[i*fieldHashBytes:(i+1)*fieldHashBytes] != b[i*fieldHashBytes:(i+1)*fieldHashBytes] {
			out = append(out, f)
		}
	}
	return out
}

// scanJSON walks valid JSON once and returns how deeply it nests (each
// object or array is one level) and the SHA-256 of its compact form, its
// bytes without the whitespace between tokens (what json.Compact writes).
func scanJSON(raw []byte) (depth int, sum [32]byte) {
	h := sha256.New()
	level, inString, escaped, run := 0, false, false, 0
	for i, b := range raw {
		if inString {
			switch {
			case escaped:
				escaped = false
			case b == '\\':
				escaped = true
			case b == '"':
				inString = false
			}
			continue
		}
		switch b {
		case '"':
			inString = true
		case '{', '[':
			level++
			depth = max(depth, level)
		case '}', ']':
			level--
		case ' ', '\t', '\n', '\r':
			h.Write(raw[run:i])
			run = i + 1
		}
	}
	h.Write(raw[run:])
	h.Sum(sum[:0])
	return depth, sum
}
