package signing

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Standard Webhooks header names (canonical lowercase, as the spec writes them).
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// Version is the signature scheme tag for symmetric HMAC-SHA256 signatures.
const Version = "v1"

// ErrNoSecret is returned by Sign when no secret is given.
var ErrNoSecret = errors.New("no signing secret")

// Sign returns the webhook-signature header value for one message: one
// "v1,<base64>" per secret, in the given order, separated by spaces.
func Sign(secrets []string, msgID string, ts time.Time, body []byte) (string, error) {
	if len(secrets) == 0 {
		return "", ErrNoSecret
	}
	unix := strconv.FormatInt(ts.Unix(), 10)
	var b strings.Builder
	for i, s := range secrets {
		key, err := secretKey(s)
		if err != nil {
			return "", fmt.Errorf("sign with secret %d: %w", i, err)
		}
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(Version)
		b.WriteByte(',')
		b.WriteString(base64.StdEncoding.EncodeToString(mac(key, msgID, unix, body)))
	}
	return b.String(), nil
}

// mac is HMAC-SHA256(key, msgID "." unix "." body).
func mac(key []byte, msgID, unix string, body []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(msgID))
	h.Write([]byte{'.'})
	h.Write([]byte(unix))
	h.Write([]byte{'.'})
	h.Write(body)
	return h.Sum(nil)
}

// XSignature is the merchant-console X-Signature header: lowercase hex of
// HMAC-SHA256(body) keyed with the secret's decoded key bytes.
func XSignature(secret string, body []byte) (string, error) {
	key, err := secretKey(secret)
	if err != nil {
		return "", fmt.Errorf("x-signature: %w", err)
	}
	h := hmac.New(sha256.New, key)
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil)), nil
}
