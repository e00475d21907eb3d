package envelope

import (
	"bytes"
	"errors"
	"testing"
)

// fuzzKey is fixed so that fuzzing is reproducible.
var fuzzKey = bytes.Repeat([]byte{0x42}, KeySize)

// FuzzOpen: Open of any bytes never panics and fails with one of the
// package's errors; whatever it opens, Seal and Open give back unchanged.
// The seeds include real envelopes, so mutations reach the decryption.
func FuzzOpen(f *testing.F) {
	for _, plain := range []string{`{"id":"e1"}`, "", "\xff\x00"} {
		env, err := Seal(fuzzKey, []byte(plain))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(env)
	}
	f.Add([]byte(`{"alg":"AES-256-GCM","kid":"","nonce":"AAAAAAAAAAAAAAAA","ciphertext":"AAAAAAAAAAAAAAAAAAAAAA=="}`))
	f.Add([]byte(`{"alg":"AES-256-GCM","nonce":null,"ciphertext":[]}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, env []byte) {
		plain, err := Open(fuzzKey, env)
		if err != nil {
			if !errors.Is(err, ErrFormat) && !errors.Is(err, ErrWrongKey) && !errors.Is(err, ErrDecrypt) {
				t.Fatalf("Open error %v wraps none of ErrFormat, ErrWrongKey, ErrDecrypt", err)
			}
			return
		}
		again, err := Seal(fuzzKey, plain)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := Open(fuzzKey, again); err != nil || !bytes.Equal(got, plain) {
			t.Fatalf("re-sealed envelope opens to %q, %v; want %q", got, err, plain)
		}
	})
}

// FuzzSealOpen: every plaintext comes back from Seal then Open, and an
// envelope with any one byte changed does not open to something else.
func FuzzSealOpen(f *testing.F) {
	f.Add([]byte(`{"id":"e1","data":{"pan":"4111"}}`), uint16(40))
	f.Add([]byte{}, uint16(0))
	f.Fuzz(func(t *testing.T, plain []byte, at uint16) {
		env, err := Seal(fuzzKey, plain)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Open(fuzzKey, env)
		if err != nil || !bytes.Equal(got, plain) {
			t.Fatalf("Open(Seal(%q)) = %q, %v", plain, got, err)
		}
		tampered := append([]byte(nil), env...)
		tampered[int(at)%len(tampered)] ^= 0x01
		if got, err := Open(fuzzKey, tampered); err == nil && !bytes.Equal(got, plain) {
			t.Fatalf("a changed envelope opened to %q, want an error or %q", got, plain)
		}
	})
}
