package envelope

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func mustKey(t *testing.T) []byte {
	t.Helper()
	k, err := NewKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestSealOpenRoundTrip(t *testing.T) {
	key := mustKey(t)
	for _, pt := range [][]byte{[]byte(`{"id":"e1","data":{"amount":12}}`), {}, bytes.Repeat([]byte("x"), 300<<10)} {
		env, err := Seal(key, pt)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Open(key, env)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, pt) {
			t.Fatalf("round trip of %d bytes changed the plaintext", len(pt))
		}
	}
}

// TestFormatIndependentDecrypt decodes the documented JSON by hand and opens
// it with crypto/cipher directly, as a receiver in another language would.
func TestFormatIndependentDecrypt(t *testing.T) {
	key := mustKey(t)
	pt := []byte(`{"id":"e1"}`)
	env, err := Seal(key, pt)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]string
	if err := json.Unmarshal(env, &m); err != nil {
		t.Fatal(err)
	}
	if len(m) != 4 || m["alg"] != "AES-256-GCM" || m["kid"] != KeyID(key) || len(m["kid"]) != 8 {
		t.Fatalf("envelope fields %v", m)
	}
	nonce, _ := base64.StdEncoding.DecodeString(m["nonce"])
	ct, _ := base64.StdEncoding.DecodeString(m["ciphertext"])
	if len(nonce) != 12 || len(ct) != len(pt)+16 {
		t.Fatalf("nonce %d bytes, ciphertext %d bytes", len(nonce), len(ct))
	}
	block, _ := aes.NewCipher(key)
	gcm, _ := cipher.NewGCM(block)
	got, err := gcm.Open(nil, nonce, ct, nil)
	if err != nil || !bytes.Equal(got, pt) {
		t.Fatalf("independent open = %q, %v", got, err)
	}
}

func TestFreshNoncePerSeal(t *testing.T) {
	key := mustKey(t)
	a, _ := Seal(key, []byte("same"))
	b, _ := Seal(key, []byte("same"))
	if bytes.Equal(a, b) {
		t.Fatal("two seals of the same plaintext are identical")
	}
}

func TestOpenErrors(t *testing.T) {
	key, other := mustKey(t), mustKey(t)
	env, err := Seal(key, []byte(`{"x":1}`))
	if err != nil {
		t.Fatal(err)
	}
	edit := func(f func(m map[string]string)) []byte {
		var m map[string]string
		_ = json.Unmarshal(env, &m)
		f(m)
		b, _ := json.Marshal(m)
		return b
	}
	flip := func(m map[string]string) {
		ct, _ := base64.StdEncoding.DecodeString(m["ciphertext"])
		ct[0] ^= 1
		m["ciphertext"] = base64.StdEncoding.EncodeToString(ct)
	}
	tests := []struct {
		name string
		key  []byte
		env  []byte
		want error
	}{
		{"short key", key[:16], env, ErrKey},
		{"not json", key, []byte("nope"), ErrFormat},
		{"wrong alg", key, edit(func(m map[string]string) { m["alg"] = "AES-128-CBC" }), ErrFormat},
		{"short nonce", key, edit(func(m map[string]string) { m["nonce"] = "AAAA" }), ErrFormat},
		{"wrong key", other, env, ErrWrongKey},
		{"wrong key without kid", other, edit(func(m map[string]string) { delete(m, "kid") }), ErrDecrypt},
		{"tampered ciphertext", key, edit(flip), ErrDecrypt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Open(tt.key, tt.env)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Open = %v, want %v", err, tt.want)
			}
			if err != nil && strings.Contains(err.Error(), base64.StdEncoding.EncodeToString(tt.key)) {
				t.Fatal("error leaks the key")
			}
		})
	}
	if _, err := Seal(make([]byte, 31), nil); !errors.Is(err, ErrKey) {
		t.Fatalf("Seal with 31-byte key: %v", err)
	}
}
