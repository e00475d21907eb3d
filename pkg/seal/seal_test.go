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

func TestSealOpen(t *testing.T) {
	key := make([]byte, KeySize)
	rand.Read(key)
	box, err := New(key)
	if err != nil {
		t.Fatal(err)
	}
	secret := []byte("whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQ=")
	s1, _ := box.Seal(secret)
	s2, _ := box.Seal(secret)
	if s1 == s2 {
		t.Fatal("two seals of one value are equal: nonce reused")
	}
	if strings.Contains(s1, string(secret)) || strings.Contains(s1, "c2VjcmV0") {
		t.Fatal("sealed value shows the secret")
	}
	got, err := box.Open(s1)
	if err != nil || !bytes.Equal(got, secret) {
		t.Fatalf("Open = %q, %v", got, err)
	}

	other := make([]byte, KeySize)
	rand.Read(other)
	box2, _ := New(other)
	if _, err := box2.Open(s1); !errors.Is(err, ErrOpen) {
		t.Fatalf("Open with another key: %v, want ErrOpen", err)
	}
	if _, err := box.Open(s1[:len(s1)-4] + "AAAA"); !errors.Is(err, ErrOpen) {
		t.Fatalf("Open tampered: %v, want ErrOpen", err)
	}
	if s, _ := box.Seal(nil); s != "" {
		t.Fatalf("Seal(nil) = %q", s)
	}
}

func TestParseKey(t *testing.T) {
	key := make([]byte, KeySize)
	rand.Read(key)
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
