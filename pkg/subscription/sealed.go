package subscription

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/hookwire/hookwire/pkg/seal"
)

// Fields of a Record that hold sealed values, as named in their places.
const (
	FieldSigningSecret = "signing_secret" // every entry of Secrets, current or previous
	FieldBasicPassword = "basic_password"
	FieldEncryptionKey = "encryption_key"
)

// Place is where a sealed value of subscription id lives, the associated
// data it is sealed for (package seal): a value copied into another
// subscription's record, or into another field, does not open.
func Place(id, field string) string { return "subscription/" + id + "/" + field }

// Opener opens sealed values (seal.Box).
type Opener interface {
	Open(sealed, place string) ([]byte, error)
}

// Secrets are the opened secrets a delivery to the subscription uses.
type Secrets struct {
	Signing       []string // in force at the time asked, newest first
	BasicPassword string
	EncryptionKey []byte
}

// OpenSecrets opens the signing secrets in force at now, the basic-auth
// password and the payload key of r. An error names the subscription and the
// field, never a value.
func (r *Record) OpenSecrets(o Opener, now time.Time) (Secrets, error) {
	var s Secrets
	for _, sealed := range r.SigningSecrets(now) {
		b, err := o.Open(sealed, Place(r.ID, FieldSigningSecret))
		if err != nil {
			return Secrets{}, fmt.Errorf("open %s of subscription %s: %w", FieldSigningSecret, r.ID, err)
		}
		s.Signing = append(s.Signing, string(b))
	}
	pw, err := o.Open(r.BasicPassword, Place(r.ID, FieldBasicPassword))
	if err != nil {
		return Secrets{}, fmt.Errorf("open %s of subscription %s: %w", FieldBasicPassword, r.ID, err)
	}
	s.BasicPassword = string(pw)
	if s.EncryptionKey, err = o.Open(r.EncryptionKey, Place(r.ID, FieldEncryptionKey)); err != nil {
		return Secrets{}, fmt.Errorf("open %s of subscription %s: %w", FieldEncryptionKey, r.ID, err)
	}
	return s, nil
}

// ResealRecord returns the stored record b with every sealed value under
// box's current key, and how many values it rewrote (0: b is returned as
// it is). Only the sealed strings change: every other field, including one
// this version does not know, is kept as stored. Any value that does not
// open fails the whole record, which is then left to the caller unchanged.
func ResealRecord(b []byte, box *seal.Box) ([]byte, int, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, 0, fmt.Errorf("decode subscription record: %w", err)
	}
	var id string
	if err := json.Unmarshal(m["id"], &id); err != nil || id == "" {
		return nil, 0, errors.New("decode subscription record: no id")
	}
	n := 0
	reseal := func(obj map[string]json.RawMessage, name, field string) error {
		raw, ok := obj[name]
		if !ok {
			return nil
		}
		var sealed string
		if err := json.Unmarshal(raw, &sealed); err != nil {
			return fmt.Errorf("subscription %s %s: %w", id, field, err)
		}
		out, changed, err := box.Reseal(sealed, Place(id, field))
		if err != nil {
			return fmt.Errorf("subscription %s %s: %w", id, field, err)
		}
		if changed {
			obj[name], _ = json.Marshal(out) // a string always encodes
			n++
		}
		return nil
	}
	// The JSON names are Record's tags (a test holds them together).
	if err := reseal(m, "basic_password", FieldBasicPassword); err != nil {
		return nil, 0, err
	}
	if err := reseal(m, "encryption_key", FieldEncryptionKey); err != nil {
		return nil, 0, err
	}
	var secrets []map[string]json.RawMessage
	if raw, ok := m["secrets"]; ok {
		if err := json.Unmarshal(raw, &secrets); err != nil {
			return nil, 0, fmt.Errorf("subscription %s secrets: %w", id, err)
		}
	}
	for _, s := range secrets {
		if err := reseal(s, "sealed", FieldSigningSecret); err != nil {
			return nil, 0, err
		}
	}
	if n == 0 {
		return b, 0, nil
	}
	if secrets != nil {
		m["secrets"], _ = json.Marshal(secrets) // raw messages re-encode
	}
	out, err := json.Marshal(m)
	if err != nil {
		return nil, 0, fmt.Errorf("encode subscription %s: %w", id, err)
	}
	return out, n, nil
}
