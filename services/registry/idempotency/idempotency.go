// Package idempotency remembers the response of a request by its
// x-request-id for 24 hours, so that a retried CreateSubscription returns the
// first result instead of creating a second subscription. Responses hold
// signing secrets, so they are stored sealed under the master key, next to a
// fingerprint of the request: an id reused with a different request is
// refused (ErrMismatch) rather than answered with the first response — as
// Stripe does — so knowing a request id is not enough to read a secret.
package idempotency

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	"github.com/hookwire/hookwire/pkg/bus"
	"github.com/hookwire/hookwire/pkg/seal"
)

// ErrMismatch is returned when a request id is reused with another request.
var ErrMismatch = errors.New("request id already used with a different request")

// Fingerprint identifies a request's content (deterministic protobuf bytes).
func Fingerprint(req proto.Message) (string, error) {
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(req)
	if err != nil {
		return "", fmt.Errorf("fingerprint request: %w", err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

// Bucket is the KV bucket of remembered responses.
const Bucket = "hookwire_requests"

// TTL is how long a response is remembered.
const TTL = 24 * time.Hour

// Store keeps sealed responses keyed by caller and request id.
type Store struct {
	kv  jetstream.KeyValue
	box *seal.Box
}

// Open creates the bucket if needed.
func Open(ctx context.Context, js jetstream.JetStream, replicas int, box *seal.Box) (*Store, error) {
	kv, err := bus.EnsureKeyValue(ctx, js, jetstream.KeyValueConfig{
		Bucket:      Bucket,
		Description: "Hookwire idempotent responses by x-request-id (sealed)",
		History:     1,
		TTL:         TTL,
		Storage:     jetstream.FileStorage,
		Replicas:    max(replicas, 1),
	})
	if err != nil {
		return nil, fmt.Errorf("open kv bucket %s: %w", Bucket, err)
	}
	return &Store{kv: kv, box: box}, nil
}

// KV exposes the bucket (tests read it raw).
func (s *Store) KV() jetstream.KeyValue { return s.kv }

// Key names the request of caller (a principal name) with requestID. The
// operation is part of the key so one id cannot replay another method.
func Key(operation, caller, requestID string) string {
	sum := sha256.Sum256([]byte(operation + "\x00" + caller + "\x00" + requestID))
	return hex.EncodeToString(sum[:])
}

// Get fills resp with the response remembered for key; false when there is
// none, ErrMismatch when it was remembered for another fingerprint.
func (s *Store) Get(ctx context.Context, key, fingerprint string, resp proto.Message) (bool, error) {
	e, err := s.kv.Get(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("get remembered response: %w", err)
	}
	fp, sealed, ok := strings.Cut(string(e.Value()), ":")
	if !ok {
		return false, errors.New("remembered response: malformed record")
	}
	if fp != fingerprint {
		return false, ErrMismatch
	}
	plain, err := s.box.Open(sealed, Place(key))
	if err != nil {
		return false, fmt.Errorf("open remembered response: %w", err)
	}
	if err := proto.Unmarshal(plain, resp); err != nil {
		return false, fmt.Errorf("decode remembered response: %w", err)
	}
	return true, nil
}

// Remember stores resp under key unless a response is already stored; it
// reports false when another call got there first (the caller then undoes
// its own work and answers with Get).
func (s *Store) Remember(ctx context.Context, key, fingerprint string, resp proto.Message) (bool, error) {
	plain, err := proto.Marshal(resp)
	if err != nil {
		return false, fmt.Errorf("encode response: %w", err)
	}
	sealed, err := s.box.Seal(plain, Place(key))
	if err != nil {
		return false, fmt.Errorf("seal response: %w", err)
	}
	if _, err := s.kv.Create(ctx, key, []byte(fingerprint+":"+sealed)); err != nil {
		if errors.Is(err, jetstream.ErrKeyExists) {
			return false, nil
		}
		return false, fmt.Errorf("remember response: %w", err)
	}
	return true, nil
}

// Place is the associated data a response remembered under key is sealed
// for (package seal): moved to another key, it does not open.
func Place(key string) string { return "request/" + key }

// ResealValue returns a stored entry (fingerprint:sealed) of key with its
// response sealed under box's current key, and 1 when it changed, 0 when it
// was sealed under that key already.
func ResealValue(key string, value []byte, box *seal.Box) ([]byte, int, error) {
	fp, sealed, ok := strings.Cut(string(value), ":")
	if !ok {
		return nil, 0, errors.New("remembered response: malformed record")
	}
	out, changed, err := box.Reseal(sealed, Place(key))
	if err != nil {
		return nil, 0, fmt.Errorf("remembered response: %w", err)
	}
	if !changed {
		return value, 0, nil
	}
	return []byte(fp + ":" + out), 1, nil
}
