package subscription_test

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hookwire/hookwire/pkg/seal"
	"github.com/hookwire/hookwire/pkg/subscription"
)

func box(t *testing.T, keys ...[]byte) *seal.Box {
	t.Helper()
	b, err := seal.New(keys[0], keys[1:]...)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func key(t *testing.T) []byte {
	t.Helper()
	k := make([]byte, seal.KeySize)
	if _, err := rand.Read(k); err != nil {
		t.Fatal(err)
	}
	return k
}

// sealedRecord is a record with every kind of sealed value: a current and a
// previous signing secret, a basic-auth password and a payload key.
func sealedRecord(t *testing.T, b *seal.Box, id string) subscription.Record {
	t.Helper()
	s := func(plain, field string) string {
		v, err := b.Seal([]byte(plain), subscription.Place(id, field))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	return subscription.Record{
		ID: id, URL: "https://example.com/h", Scope: "acquirers/1", Status: subscription.StatusActive,
		Secrets: []subscription.Secret{
			{Sealed: s("whsec_current", subscription.FieldSigningSecret)},
			{Sealed: s("whsec_previous", subscription.FieldSigningSecret), ExpiresAt: time.Now().Add(time.Hour)},
		},
		BasicUser: "u", BasicPassword: s("the-password", subscription.FieldBasicPassword),
		EncryptionKey: s("0123456789abcdef0123456789abcdef", subscription.FieldEncryptionKey),
	}
}

func TestOpenSecrets(t *testing.T) {
	b := box(t, key(t))
	rec := sealedRecord(t, b, "sub_A")
	got, err := rec.OpenSecrets(b, time.Now())
	if err != nil || strings.Join(got.Signing, ",") != "whsec_current,whsec_previous" ||
		got.BasicPassword != "the-password" || string(got.EncryptionKey) != "0123456789abcdef0123456789abcdef" {
		t.Fatalf("OpenSecrets = %+v, %v", got, err)
	}
	other := sealedRecord(t, b, "sub_B")
	for name, move := range map[string]func(r *subscription.Record){
		"secret from another subscription":   func(r *subscription.Record) { r.Secrets[0].Sealed = other.Secrets[0].Sealed },
		"password from another subscription": func(r *subscription.Record) { r.BasicPassword = other.BasicPassword },
		"password into the signing secret":   func(r *subscription.Record) { r.Secrets[0].Sealed = r.BasicPassword },
		"payload key into the password":      func(r *subscription.Record) { r.BasicPassword = r.EncryptionKey },
		"secret into the payload key":        func(r *subscription.Record) { r.EncryptionKey = r.Secrets[1].Sealed },
	} {
		r := sealedRecord(t, b, "sub_A")
		move(&r)
		_, err := r.OpenSecrets(b, time.Now())
		if !errors.Is(err, seal.ErrOpen) || !strings.Contains(err.Error(), "sub_A") {
			t.Errorf("%s: OpenSecrets = %v, want ErrOpen naming the subscription", name, err)
			continue
		}
		for _, secret := range []string{"whsec_", "the-password", "0123456789abcdef"} {
			if strings.Contains(err.Error(), secret) {
				t.Errorf("%s: error shows a secret: %v", name, err)
			}
		}
	}
}

// TestResealRecord: every sealed value of a stored record moves to the
// current key (so the JSON names ResealRecord uses are Record's), fields it
// does not know are kept, and a record already resealed is returned as is.
func TestResealRecord(t *testing.T) {
	k1, k2 := key(t), key(t)
	rec := sealedRecord(t, box(t, k1), "sub_A")
	stored, err := json.Marshal(rec)
	if err != nil {
		t.Fatal(err)
	}
	stored = append(stored[:len(stored)-1], []byte(`,"field_of_a_newer_version":{"x":1}}`)...)

	b2 := box(t, k2, k1)
	out, n, err := subscription.ResealRecord(stored, b2)
	if err != nil || n != 4 {
		t.Fatalf("ResealRecord = %d values, %v; want 4", n, err)
	}
	if !bytes.Contains(out, []byte(`"field_of_a_newer_version":{"x":1}`)) {
		t.Fatalf("an unknown field was lost: %s", out)
	}
	got, err := subscription.Decode(out)
	if err != nil {
		t.Fatal(err)
	}
	sec, err := got.OpenSecrets(box(t, k2), time.Now()) // k1 not needed any more
	if err != nil || len(sec.Signing) != 2 || sec.BasicPassword != "the-password" {
		t.Fatalf("after reseal, with the new key only: %+v, %v", sec, err)
	}
	if got.URL != rec.URL || got.Scope != rec.Scope || !got.Secrets[1].ExpiresAt.Equal(rec.Secrets[1].ExpiresAt) {
		t.Fatalf("other fields changed: %+v", got)
	}
	again, n, err := subscription.ResealRecord(out, b2)
	if err != nil || n != 0 || !bytes.Equal(again, out) {
		t.Fatalf("second ResealRecord = %d, %v; want unchanged", n, err)
	}

	// A value that does not open (here: moved from another record) fails
	// the record, naming it and the field only.
	bad := sealedRecord(t, box(t, k1), "sub_A")
	bad.BasicPassword = sealedRecord(t, box(t, k1), "sub_B").BasicPassword
	stored, _ = json.Marshal(bad)
	if _, _, err := subscription.ResealRecord(stored, b2); !errors.Is(err, seal.ErrOpen) ||
		!strings.Contains(err.Error(), "sub_A basic_password") {
		t.Fatalf("ResealRecord of a moved value = %v", err)
	}
}
