package signing

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
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
	sig, _, err := sign(secrets, msgID, ts, body, false)
	return sig, err
}

// Signatures returns both headers of one message: webhook-signature (as
// Sign) and X-Signature: XSignature of each secret, in the given order,
// separated by commas, so that during a rotation a receiver holding either
// the new or the previous secret finds its value (VerifyXSignature). With
// one secret it is a single hex value. Each secret's key is decoded and set
// up once for both.
func Signatures(secrets []string, msgID string, ts time.Time, body []byte) (signature, xSignature string, err error) {
	return sign(secrets, msgID, ts, body, true)
}

func sign(secrets []string, msgID string, ts time.Time, body []byte, withX bool) (sig, xsig string, err error) {
	if len(secrets) == 0 {
		return "", "", ErrNoSecret
	}
	// msgID "." unix "." comes before the body in every signed content.
	prefix := make([]byte, 0, len(msgID)+24)
	prefix = append(prefix, msgID...)
	prefix = append(prefix, '.')
	prefix = strconv.AppendInt(prefix, ts.Unix(), 10)
	prefix = append(prefix, '.')
	out := make([]byte, 0, len(secrets)*(len(Version)+2+base64.StdEncoding.EncodedLen(sha256.Size)))
	var xout []byte
	if withX {
		xout = make([]byte, 0, len(secrets)*(hex.EncodedLen(sha256.Size)+1))
	}
	var sum [sha256.Size]byte
	for i, s := range secrets {
		key, err := secretKey(s)
		if err != nil {
			return "", "", fmt.Errorf("sign with secret %d: %w", i, err)
		}
		h := hmac.New(sha256.New, key)
		if withX {
			if i > 0 {
				xout = append(xout, XSignatureSeparator)
			}
			h.Write(body)
			xout = hex.AppendEncode(xout, h.Sum(sum[:0]))
			h.Reset()
		}
		h.Write(prefix)
		h.Write(body)
		if i > 0 {
			out = append(out, ' ')
		}
		out = append(out, Version...)
		out = append(out, ',')
		out = base64.StdEncoding.AppendEncode(out, h.Sum(sum[:0]))
	}
	return string(out), string(xout), nil
}

// mac is HMAC-SHA256(key, msgID "." unix "." body).
func mac(key []byte, msgID, unix string, body []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(msgID + "." + unix + "."))
	h.Write(body)
	return h.Sum(nil)
}

// HeaderXSignature is the merchant-console signature header.
const HeaderXSignature = "X-Signature"

// XSignatureSeparator separates the values of X-Signature during a rotation.
const XSignatureSeparator = ','

// XSignature is one secret's X-Signature value: lowercase hex of
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
