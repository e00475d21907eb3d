package signing

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// DefaultTolerance is the clock skew the spec recommends accepting.
const DefaultTolerance = 5 * time.Minute

// Verification failures; Verify wraps one of them.
var (
	// ErrNoSignature: a webhook-id, webhook-timestamp or webhook-signature
	// header is missing, or no v1 signature is present.
	ErrNoSignature = errors.New("webhook signature headers missing")
	// ErrTimestamp: webhook-timestamp is malformed or outside the tolerance.
	ErrTimestamp = errors.New("webhook timestamp invalid or outside tolerance")
	// ErrMismatch: no signature matches any secret.
	ErrMismatch = errors.New("webhook signature mismatch")
)

// Verify checks a received message: the timestamp must lie within
// tolerance of now (either way; tolerance <= 0 means DefaultTolerance), and
// at least one v1 signature of webhook-signature must match at least one
// secret. Comparison is constant-time. Signatures of other versions are
// ignored.
func Verify(secrets []string, h http.Header, body []byte, now time.Time, tolerance time.Duration) error {
	msgID, unix, sigs := get(h, HeaderID), get(h, HeaderTimestamp), get(h, HeaderSignature)
	if msgID == "" || unix == "" || sigs == "" {
		return ErrNoSignature
	}
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	sec, err := strconv.ParseInt(unix, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: %q is not unix seconds", ErrTimestamp, unix)
	}
	ts := time.Unix(sec, 0)
	if ts.Before(now.Add(-tolerance)) || ts.After(now.Add(tolerance)) {
		return fmt.Errorf("%w: %s is more than %s from now", ErrTimestamp, ts.UTC().Format(time.RFC3339), tolerance)
	}
	var given [][]byte
	for _, f := range strings.Fields(sigs) {
		v, sig, ok := strings.Cut(f, ",")
		if !ok || v != Version {
			continue
		}
		if b, err := base64.StdEncoding.DecodeString(sig); err == nil {
			given = append(given, b)
		}
	}
	if len(given) == 0 {
		return fmt.Errorf("%w: no %s signature", ErrNoSignature, Version)
	}
	keys := 0
	for _, s := range secrets {
		key, err := secretKey(s)
		if err != nil {
			continue
		}
		keys++
		want := mac(key, msgID, unix, body)
		for _, g := range given {
			if hmac.Equal(want, g) {
				return nil
			}
		}
	}
	if keys == 0 {
		return fmt.Errorf("verify: %w", ErrNoSecret)
	}
	return ErrMismatch
}

// VerifyXSignature checks an X-Signature header value against body: at
// least one of its hex values (separated by commas, spaces or both, as
// Signatures writes them during a rotation and as HTTP joins repeated
// header lines) must be HMAC-SHA256(body) under at least one secret.
// Comparison is constant-time; values that are not 64 hex digits are
// ignored. X-Signature covers the body only, with no timestamp: it cannot
// tell a replayed delivery from a new one, which webhook-signature can.
func VerifyXSignature(secrets []string, header string, body []byte) error {
	var given [][]byte
	for _, f := range strings.FieldsFunc(header, func(r rune) bool { return r == XSignatureSeparator || r == ' ' || r == '\t' }) {
		if b, err := hex.DecodeString(f); err == nil && len(b) == sha256.Size {
			given = append(given, b)
		}
	}
	if len(given) == 0 {
		return fmt.Errorf("%w: no %s value", ErrNoSignature, HeaderXSignature)
	}
	keys := 0
	for _, s := range secrets {
		key, err := secretKey(s)
		if err != nil {
			continue
		}
		keys++
		h := hmac.New(sha256.New, key)
		h.Write(body)
		want := h.Sum(nil)
		for _, g := range given {
			if hmac.Equal(want, g) {
				return nil
			}
		}
	}
	if keys == 0 {
		return fmt.Errorf("verify %s: %w", HeaderXSignature, ErrNoSecret)
	}
	return fmt.Errorf("%s: %w", HeaderXSignature, ErrMismatch)
}

// get reads a header set canonically or, as some callers build maps by hand,
// under its lowercase name.
func get(h http.Header, name string) string {
	if v := h.Get(name); v != "" {
		return v
	}
	if v := h[name]; len(v) > 0 {
		return v[0]
	}
	return ""
}
