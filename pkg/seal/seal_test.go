package seal

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

func newKey(t *testing.T) []byte {
	t.Helper()
	k := make([]byte, KeySize)
	if _, err := rand.Read(k); err != nil {
		t.Fatal(err)
	}
	return k
}

const place = "subscription/sub_1/signing_secret"

func TestSealOpen(t *testing.T) {
	key := newKey(t)
	box, err := New(key)
	if err != nil {
		t.Fatal(err)
	}
	secret := []byte("whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQ=")
	s1, _ := box.Seal(secret, place)
	s2, _ := box.Seal(secret, place)
	if s1 == s2 {
		t.Fatal("two seals of one value are equal: nonce reused")
	}
	if strings.Contains(s1, string(secret)) || strings.Contains(s1, "c2VjcmV0") {
		t.Fatal("sealed value shows the secret")
	}
	if want := "v2:" + KeyID(key) + ":"; !strings.HasPrefix(s1, want) || SealedKeyID(s1) != KeyID(key) {
		t.Fatalf("sealed value %q does not start with %q", s1, want)
	}
	got, err := box.Open(s1, place)
	if err != nil || !bytes.Equal(got, secret) {
		t.Fatalf("Open = %q, %v", got, err)
	}

	box2, _ := New(newKey(t))
	if _, err := box2.Open(s1, place); !errors.Is(err, ErrOpen) || !strings.Contains(err.Error(), "not configured") {
		t.Fatalf("Open with another key: %v, want ErrOpen naming the missing key id", err)
	}
	if _, err := box.Open(s1[:len(s1)-4]+"AAAA", place); !errors.Is(err, ErrOpen) {
		t.Fatalf("Open tampered: %v, want ErrOpen", err)
	}
	if s, _ := box.Seal(nil, place); s != "" {
		t.Fatalf("Seal(nil) = %q", s)
	}
	if _, err := box.Seal(secret, ""); err == nil {
		t.Fatal("Seal without a place succeeded")
	}
	if _, err := box.Open(s1, ""); err == nil {
		t.Fatal("Open without a place succeeded")
	}
}

// TestOpenElsewhereFails: a sealed value copied to another record or
// another field, or with its key id or version changed, does not open, and
// the error shows neither the value nor the secret.
func TestOpenElsewhereFails(t *testing.T) {
	k1, k2 := newKey(t), newKey(t)
	box, err := New(k1, k2)
	if err != nil {
		t.Fatal(err)
	}
	secret := "whsec_dG9wLXNlY3JldC10b3Atc2VjcmV0"
	sealed, err := box.Seal([]byte(secret), "subscription/sub_A/signing_secret")
	if err != nil {
		t.Fatal(err)
	}
	_, raw, _ := strings.Cut(strings.TrimPrefix(sealed, "v2:"), ":")
	for name, c := range map[string]struct{ sealed, place string }{
		"another record":        {sealed, "subscription/sub_B/signing_secret"},
		"another field":         {sealed, "subscription/sub_A/basic_password"},
		"a prefix of the place": {sealed, "subscription/sub_A"},
		"key id swapped":        {"v2:" + KeyID(k2) + ":" + raw, "subscription/sub_A/signing_secret"},
		"old unbound format":    {"v1:" + raw, "subscription/sub_A/signing_secret"},
		"no version":            {raw, "subscription/sub_A/signing_secret"},
		"key id not hex":        {"v2:zzzzzzzz:" + raw, "subscription/sub_A/signing_secret"},
	} {
		_, err := box.Open(c.sealed, c.place)
		if !errors.Is(err, ErrOpen) {
			t.Errorf("%s: Open = %v, want ErrOpen", name, err)
			continue
		}
		if strings.Contains(err.Error(), raw) || strings.Contains(err.Error(), secret) {
			t.Errorf("%s: error shows the value: %v", name, err)
		}
	}
}

// TestRotation: a Box opens values of its previous keys, seals only under
// the current one, and Reseal moves old values to the current key once.
func TestRotation(t *testing.T) {
	k1, k2, k3 := newKey(t), newKey(t), newKey(t)
	b1, _ := New(k1)
	old, _ := b1.Seal([]byte("pw"), place)

	b2, err := New(k2, k1)
	if err != nil {
		t.Fatal(err)
	}
	if b2.KeyID() != KeyID(k2) || strings.Join(b2.KeyIDs(), ",") != KeyID(k2)+","+KeyID(k1) {
		t.Fatalf("key ids %s %v", b2.KeyID(), b2.KeyIDs())
	}
	if got, err := b2.Open(old, place); err != nil || string(got) != "pw" {
		t.Fatalf("previous key does not open: %q %v", got, err)
	}
	if s, _ := b2.Seal([]byte("pw"), place); SealedKeyID(s) != KeyID(k2) {
		t.Fatal("Seal did not use the current key")
	}
	resealed, changed, err := b2.Reseal(old, place)
	if err != nil || !changed || SealedKeyID(resealed) != KeyID(k2) {
		t.Fatalf("Reseal = %q %v %v", resealed, changed, err)
	}
	if again, changed, err := b2.Reseal(resealed, place); err != nil || changed || again != resealed {
		t.Fatalf("second Reseal = %v %v, want unchanged", changed, err)
	}
	if _, changed, err := b2.Reseal(old, "subscription/other/signing_secret"); err == nil || changed {
		t.Fatal("Reseal of a value for another place succeeded")
	}
	b3, _ := New(k3, k2) // k1 retired
	if got, err := b3.Open(resealed, place); err != nil || string(got) != "pw" {
		t.Fatalf("resealed value does not open without k1: %v", err)
	}
	if _, err := b3.Open(old, place); !errors.Is(err, ErrOpen) {
		t.Fatalf("retired key still opens: %v", err)
	}
	if _, err := New(k1, k2, k1); err == nil || strings.Contains(err.Error(), hex.EncodeToString(k1)) {
		t.Fatalf("New with a key twice = %v, want an error without the key", err)
	}
}

func TestParseKey(t *testing.T) {
	key := newKey(t)
	for _, s := range []string{hex.EncodeToString(key), base64.StdEncoding.EncodeToString(key), base64.RawURLEncoding.EncodeToString(key)} {
		got, err := ParseKey(s)
		if err != nil || !bytes.Equal(got, key) {
			t.Errorf("ParseKey(%q) = %x, %v", s, got, err)
		}
	}
	for _, s := range []string{"", "short", hex.EncodeToString(key[:16])} {
		if _, err := ParseKey(s); !errors.Is(err, ErrKey) {
			t.Errorf("ParseKey(%q) err = %v, want ErrKey", s, err)
		}
	}
}

func TestParseKeyList(t *testing.T) {
	k1, k2 := newKey(t), newKey(t)
	got, err := ParseKeyList(" " + hex.EncodeToString(k1) + " , " + base64.StdEncoding.EncodeToString(k2))
	if err != nil || len(got) != 2 || !bytes.Equal(got[0], k1) || !bytes.Equal(got[1], k2) {
		t.Fatalf("ParseKeyList = %x, %v", got, err)
	}
	if got, err := ParseKeyList(""); err != nil || got != nil {
		t.Fatalf(`ParseKeyList("") = %v, %v`, got, err)
	}
	secretish := hex.EncodeToString(k1)[:40]
	for _, s := range []string{hex.EncodeToString(k1) + ",", hex.EncodeToString(k1) + "," + secretish} {
		_, err := ParseKeyList(s)
		if !errors.Is(err, ErrKey) || !strings.Contains(err.Error(), "entry 2") || strings.Contains(err.Error(), secretish) {
			t.Errorf("ParseKeyList(bad second entry) = %v, want ErrKey naming entry 2 without its value", err)
		}
	}
}
