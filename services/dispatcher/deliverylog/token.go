package deliverylog

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
)

// A page token is base64url(8-byte stream sequence | 8-byte filter hash):
// the sequence of the last record read, and a fingerprint of the filter so
// that a token cannot be replayed against another query.
const tokenLen = 16

func encodeToken(seq uint64, f Filter) string {
	b := binary.BigEndian.AppendUint64(make([]byte, 0, tokenLen), seq)
	b = append(b, f.fingerprint()...)
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodeToken returns the sequence to continue after; 0 for no token.
func decodeToken(tok string, f Filter) (uint64, error) {
	if tok == "" {
		return 0, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || len(b) != tokenLen {
		return 0, fmt.Errorf("%w: malformed", ErrBadPageToken)
	}
	if string(b[8:]) != string(f.fingerprint()) {
		return 0, fmt.Errorf("%w: issued for another filter", ErrBadPageToken)
	}
	seq := binary.BigEndian.Uint64(b[:8])
	if seq == 0 {
		return 0, fmt.Errorf("%w: malformed", ErrBadPageToken)
	}
	return seq, nil
}
