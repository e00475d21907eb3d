// Package envelope encrypts webhook payloads with AES-256-GCM under a
// per-subscription 32-byte key (reference API 002, algorithm "AES-256-GCM").
//
// An encrypted delivery's body is this JSON object (Content-Type stays
// application/json):
//
//	{
//	  "alg":        "AES-256-GCM",
//	  "kid":        "<first 8 hex characters of SHA-256(key)>",
//	  "nonce":      "<standard base64 of the 12-byte random nonce>",
//	  "ciphertext": "<standard base64 of ciphertext || 16-byte GCM tag>"
//	}
//
// The plaintext is the exact JSON document an unencrypted delivery carries.
// Every Seal draws a fresh random nonce, so each attempt of a delivery has
// a different envelope. No associated data is used (GCM's AAD is empty):
// the Standard Webhooks signature is computed over the envelope bytes
// together with webhook-id and webhook-timestamp, which already binds the
// ciphertext to its message; verify the signature first, then Open.
// "kid" only identifies the key (it lets a receiver holding several keys
// pick one and gives a clear "wrong key" error); it reveals nothing useful
// about the key.
//
// To decrypt without this package: base64-decode nonce and ciphertext, then
// AES-256-GCM open (key, nonce, ciphertext, no AAD).
package envelope

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
)

// Algorithm is the only "alg" value.
const Algorithm = "AES-256-GCM"

// ContentType of an encrypted body: the envelope is JSON.
const ContentType = "application/json"

// KeySize is the key length in bytes.
const KeySize = 32

const nonceSize = 12

var (
	// ErrKey: the key is not 32 bytes.
	ErrKey = errors.New("envelope key must be 32 bytes")
	// ErrFormat: the input is not an envelope of this format.
	ErrFormat = errors.New("malformed encryption envelope")
	// ErrWrongKey: the envelope was sealed under another key (kid differs).
	ErrWrongKey = errors.New("envelope sealed under a different key")
	// ErrDecrypt: authentication failed (tampered or corrupted ciphertext).
	ErrDecrypt = errors.New("envelope decryption failed")
)

// Envelope is the JSON form of an encrypted body.
type Envelope struct {
	Alg        string `json:"alg"`
	KID        string `json:"kid"`
	Nonce      []byte `json:"nonce"`      // standard base64 in JSON
	Ciphertext []byte `json:"ciphertext"` // standard base64 in JSON, tag appended
}

// NewKey returns a random 32-byte key.
func NewKey() ([]byte, error) {
	k := make([]byte, KeySize)
	if _, err := rand.Read(k); err != nil {
		return nil, fmt.Errorf("new envelope key: %w", err)
	}
	return k, nil
}

// KeyID is the first 8 hex characters of SHA-256(key).
func KeyID(key []byte) string {
	sum := sha256.Sum256(key)
	return hex.EncodeToString(sum[:4])
}

// Seal encrypts plaintext under key with a fresh random nonce and returns
// the JSON envelope.
func Seal(key, plaintext []byte) ([]byte, error) {
	aead, err := newAEAD(key)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, nonceSize)
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("seal envelope: nonce: %w", err)
	}
	env := Envelope{Alg: Algorithm, KID: KeyID(key), Nonce: nonce, Ciphertext: aead.Seal(nil, nonce, plaintext, nil)}
	out, err := json.Marshal(env)
	if err != nil {
		return nil, fmt.Errorf("seal envelope: %w", err)
	}
	return out, nil
}

// Open decrypts an envelope made by Seal.
func Open(key, env []byte) ([]byte, error) {
	aead, err := newAEAD(key)
	if err != nil {
		return nil, err
	}
	var e Envelope
	if err := json.Unmarshal(env, &e); err != nil {
		return nil, fmt.Errorf("open envelope: %w: %v", ErrFormat, err)
	}
	switch {
	case e.Alg != Algorithm:
		return nil, fmt.Errorf("open envelope: %w: alg %q, want %q", ErrFormat, e.Alg, Algorithm)
	case len(e.Nonce) != nonceSize:
		return nil, fmt.Errorf("open envelope: %w: nonce is %d bytes, want %d", ErrFormat, len(e.Nonce), nonceSize)
	case len(e.Ciphertext) < aead.Overhead():
		return nil, fmt.Errorf("open envelope: %w: ciphertext shorter than the tag", ErrFormat)
	case e.KID != "" && e.KID != KeyID(key):
		return nil, fmt.Errorf("open envelope: %w: kid %q, key has %q", ErrWrongKey, e.KID, KeyID(key))
	}
	pt, err := aead.Open(nil, e.Nonce, e.Ciphertext, nil)
	if err != nil {
		return nil, fmt.Errorf("open envelope: %w", ErrDecrypt)
	}
	return pt, nil
}

func newAEAD(key []byte) (cipher.AEAD, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("%w (got %d)", ErrKey, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("envelope cipher: %w", err)
	}
	return cipher.NewGCM(block)
}
