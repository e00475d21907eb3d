// Package signing signs webhook deliveries exactly as the Standard Webhooks
// specification (https://www.standardwebhooks.com) describes, and computes
// the merchant-console style X-Signature.
//
// A secret is "whsec_" followed by the standard base64 of its key bytes
// (NewSecret makes 32 random bytes). The HMAC key is the decoded part after
// the prefix. The signed content is
//
//	webhook-id + "." + webhook-timestamp + "." + body
//
// and the webhook-signature header is "v1,<base64 HMAC-SHA256>", one entry
// per secret separated by a space while a secret rotation is under way.
package signing

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// SecretPrefix starts every signing secret.
const SecretPrefix = "whsec_"

// Secret key sizes accepted by ValidateSecret, in decoded bytes.
const (
	MinSecretBytes = 24
	MaxSecretBytes = 64
	newSecretBytes = 32
)

// ErrSecret is wrapped by every secret-format error.
var ErrSecret = errors.New("invalid signing secret")

// NewSecret returns "whsec_" + base64 of 32 random bytes.
func NewSecret() (string, error) {
	b := make([]byte, newSecretBytes)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("new signing secret: %w", err)
	}
	return SecretPrefix + base64.StdEncoding.EncodeToString(b), nil
}

// ValidateSecret reports whether s is "whsec_" + standard base64 of 24 to
// 64 bytes. The error never contains the secret.
func ValidateSecret(s string) error {
	_, err := secretKey(s)
	return err
}

// secretKey returns the HMAC key of a secret.
func secretKey(s string) ([]byte, error) {
	rest, ok := strings.CutPrefix(s, SecretPrefix)
	if !ok {
		return nil, fmt.Errorf("%w: must start with %q", ErrSecret, SecretPrefix)
	}
	key, err := base64.StdEncoding.DecodeString(rest)
	if err != nil {
		return nil, fmt.Errorf("%w: the part after %q is not standard base64", ErrSecret, SecretPrefix)
	}
	if len(key) < MinSecretBytes || len(key) > MaxSecretBytes {
		return nil, fmt.Errorf("%w: key is %d bytes, want %d to %d", ErrSecret, len(key), MinSecretBytes, MaxSecretBytes)
	}
	return key, nil
}
