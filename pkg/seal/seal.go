// Package seal encrypts secrets at rest (signing secrets, endpoint passwords,
// payload keys, remembered responses) with AES-256-GCM under a master key.
//
// A sealed value is "v2:" + key id + ":" + base64(nonce || ciphertext || tag).
// The key id (KeyID: 8 hex characters of a hash of the key) names the master
// key that sealed it, so a Box holding the current key and previous ones opens
// with the right key and a rotation can tell which values still need
// resealing. Every value is sealed for a place — the record and field it is
// stored in, e.g. "subscription/sub_01H…/signing_secret" — given to GCM as
// associated data together with the version and key id: a value copied to
// another record or another field does not open. (The format has no other
// version: "v1", without key id or place, was never released and is not read.)
package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// KeySize is the master key length in bytes.
const KeySize = 32

const version = "v2"

var (
	// ErrKey is returned for a master key of the wrong form.
	ErrKey = errors.New("master key must be 32 bytes, given as 64 hex characters or base64")
	// ErrOpen is returned when a sealed value cannot be decrypted: a wrong or
	// missing master key, a value moved from another place, or corrupted data.
	// Errors wrapping it say which, never showing the value.
	ErrOpen = errors.New("cannot open sealed value")
)

// Box seals under its current master key and opens values sealed under any
// of its keys. It is safe for concurrent use.
type Box struct {
	current *key
	byID    map[string]*key
	ids     []string // current first, then previous in the order given
}

type key struct {
	id   string
	aead cipher.AEAD
}

// ParseKey accepts 64 hex characters or standard/URL base64 of 32 bytes.
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if b, err := hex.DecodeString(s); err == nil && len(b) == KeySize {
		return b, nil
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil && len(b) == KeySize {
			return b, nil
		}
	}
	return nil, ErrKey
}

// KeyID names a master key in sealed values: the first 4 bytes of
// SHA-256("hookwire seal key id" || key), in hex. It shows nothing of the
// key, so logs and reports may carry it.
func KeyID(k []byte) string {
	h := sha256.New()
	h.Write([]byte("hookwire seal key id\x00"))
	h.Write(k)
	return hex.EncodeToString(h.Sum(nil)[:4])
}

// New returns a Box that seals under current and opens under current and
// every previous key. Two keys with one key id (the same key twice) are
// refused.
func New(current []byte, previous ...[]byte) (*Box, error) {
	b := &Box{byID: make(map[string]*key, 1+len(previous))}
	for i, k := range append([][]byte{current}, previous...) {
		if len(k) != KeySize {
			return nil, ErrKey
		}
		block, err := aes.NewCipher(k)
		if err != nil {
			return nil, fmt.Errorf("seal: %w", err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("seal: %w", err)
		}
		id := KeyID(k)
		if _, dup := b.byID[id]; dup {
			return nil, fmt.Errorf("seal: master key %d (key id %s) is given twice", i+1, id)
		}
		b.byID[id] = &key{id: id, aead: aead}
		b.ids = append(b.ids, id)
		if i == 0 {
			b.current = b.byID[id]
		}
	}
	return b, nil
}

// KeyID is the id of the current key, the one Seal uses.
func (b *Box) KeyID() string { return b.current.id }

// KeyIDs are the ids of every key the Box opens with, current first.
func (b *Box) KeyIDs() []string { return slices.Clone(b.ids) }

// Seal encrypts plaintext for place under the current key; the empty string
// seals to the empty string (an unset field).
func (b *Box) Seal(plaintext []byte, place string) (string, error) {
	if place == "" {
		return "", errors.New("seal: no place given")
	}
	if len(plaintext) == 0 {
		return "", nil
	}
	k := b.current
	nonce := make([]byte, k.aead.NonceSize(), k.aead.NonceSize()+len(plaintext)+k.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("seal: nonce: %w", err)
	}
	out := k.aead.Seal(nonce, nonce, plaintext, associated(k.id, place))
	return version + ":" + k.id + ":" + base64.StdEncoding.EncodeToString(out), nil
}

// Open decrypts a value Seal made for place; "" opens to nil.
func (b *Box) Open(sealed, place string) ([]byte, error) {
	if place == "" {
		return nil, errors.New("seal: no place given")
	}
	if sealed == "" {
		return nil, nil
	}
	id, raw, err := parse(sealed)
	if err != nil {
		return nil, err
	}
	k, ok := b.byID[id]
	if !ok {
		return nil, fmt.Errorf("%w: sealed under master key id %s, which is not configured", ErrOpen, id)
	}
	ns := k.aead.NonceSize()
	if len(raw) < ns+k.aead.Overhead() {
		return nil, fmt.Errorf("%w: too short", ErrOpen)
	}
	pt, err := k.aead.Open(nil, raw[:ns], raw[ns:], associated(id, place))
	if err != nil {
		return nil, fmt.Errorf("%w: authentication failed under key id %s (sealed for another place, or corrupted)", ErrOpen, id)
	}
	return pt, nil
}

// Reseal returns sealed (a value for place) sealed under the current key;
// changed is false, and sealed is returned as it is, when it already was.
// Either way the value is opened, so a value that no longer opens is
// reported rather than kept silently.
func (b *Box) Reseal(sealed, place string) (out string, changed bool, err error) {
	plain, err := b.Open(sealed, place)
	if err != nil || sealed == "" {
		return sealed, false, err
	}
	if id, _, _ := parse(sealed); id == b.current.id {
		return sealed, false, nil
	}
	out, err = b.Seal(plain, place)
	if err != nil {
		return sealed, false, err
	}
	return out, true, nil
}

// SealedKeyID returns the key id a sealed value names ("" for an empty or
// malformed value).
func SealedKeyID(sealed string) string {
	id, _, err := parse(sealed)
	if err != nil {
		return ""
	}
	return id
}

// parse splits a sealed value into its key id and raw bytes.
func parse(sealed string) (id string, raw []byte, err error) {
	v, rest, ok := strings.Cut(sealed, ":")
	if !ok || v != version {
		return "", nil, fmt.Errorf("%w: not a %s sealed value", ErrOpen, version)
	}
	id, enc, ok := strings.Cut(rest, ":")
	if _, err := hex.DecodeString(id); !ok || len(id) != 8 || err != nil {
		return "", nil, fmt.Errorf("%w: malformed key id", ErrOpen)
	}
	if raw, err = base64.StdEncoding.DecodeString(enc); err != nil {
		return "", nil, fmt.Errorf("%w: malformed base64", ErrOpen)
	}
	return id, raw, nil
}

// associated is GCM's additional data: format version, key id and place,
// so none of them can be changed without the value failing to open.
func associated(id, place string) []byte {
	return []byte("hookwire seal " + version + "\x00" + id + "\x00" + place)
}
