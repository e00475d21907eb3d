package signing

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The test vector published with the Standard Webhooks reference libraries.
const (
	specSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	specID     = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	specUnix   = 1614265330
	specBody   = `{"test": 2432232314}`
	specSig    = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

func TestSignSpecVector(t *testing.T) {
	got, err := Sign([]string{specSecret}, specID, time.Unix(specUnix, 0), []byte(specBody))
	if err != nil {
		t.Fatal(err)
	}
	if got != specSig {
		t.Fatalf("Sign = %q, want %q", got, specSig)
	}
}

func TestVerifySpecVector(t *testing.T) {
	h := http.Header{}
	h.Set(HeaderID, specID)
	h.Set(HeaderTimestamp, strconv.Itoa(specUnix))
	h.Set(HeaderSignature, specSig)
	if err := Verify([]string{specSecret}, h, []byte(specBody), time.Unix(specUnix+10, 0), 0); err != nil {
		t.Fatal(err)
	}
}

func TestSignIndependentComputation(t *testing.T) {
	secret := mustSecret(t)
	key, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	ts := time.Unix(1700000000, 999)
	body := []byte(`{"id":"e1"}`)
	m := hmac.New(sha256.New, key)
	m.Write([]byte("msg_1.1700000000." + string(body)))
	want := "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
	got, err := Sign([]string{secret}, "msg_1", ts, body)
	if err != nil || got != want {
		t.Fatalf("Sign = %q, %v; want %q", got, err, want)
	}
}

func TestSignRotationTwoSignatures(t *testing.T) {
	newS, oldS := mustSecret(t), mustSecret(t)
	sig, err := Sign([]string{newS, oldS}, "msg_r", time.Now(), []byte("{}"))
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(sig, " ")
	if len(parts) != 2 || !strings.HasPrefix(parts[0], "v1,") || !strings.HasPrefix(parts[1], "v1,") {
		t.Fatalf("signature %q: want two space-separated v1 entries", sig)
	}
	one, _ := Sign([]string{oldS}, "msg_r", time.Now(), []byte("{}"))
	if parts[1] != one {
		t.Fatalf("second entry %q, want the old secret's %q", parts[1], one)
	}
}

func TestVerify(t *testing.T) {
	now := time.Unix(1700000000, 0)
	a, b, other := mustSecret(t), mustSecret(t), mustSecret(t)
	body := []byte(`{"a":1}`)
	headers := func(secrets []string, ts time.Time) http.Header {
		sig, err := Sign(secrets, "msg_v", ts, body)
		if err != nil {
			t.Fatal(err)
		}
		h := http.Header{}
		h.Set(HeaderID, "msg_v")
		h.Set(HeaderTimestamp, strconv.FormatInt(ts.Unix(), 10))
		h.Set(HeaderSignature, sig)
		return h
	}
	tests := []struct {
		name    string
		h       http.Header
		secrets []string
		body    []byte
		want    error
	}{
		{"ok", headers([]string{a}, now), []string{a}, body, nil},
		{"rotation: receiver has old secret", headers([]string{a, b}, now), []string{b}, body, nil},
		{"rotation: receiver has both", headers([]string{a}, now), []string{other, a}, body, nil},
		{"skew within tolerance", headers([]string{a}, now.Add(-4*time.Minute)), []string{a}, body, nil},
		{"future within tolerance", headers([]string{a}, now.Add(4*time.Minute)), []string{a}, body, nil},
		{"too old", headers([]string{a}, now.Add(-6*time.Minute)), []string{a}, body, ErrTimestamp},
		{"too new", headers([]string{a}, now.Add(6*time.Minute)), []string{a}, body, ErrTimestamp},
		{"wrong secret", headers([]string{a}, now), []string{other}, body, ErrMismatch},
		{"tampered body", headers([]string{a}, now), []string{a}, []byte(`{"a":2}`), ErrMismatch},
		{"tampered id", with(headers([]string{a}, now), HeaderID, "msg_x"), []string{a}, body, ErrMismatch},
		{"bad timestamp", with(headers([]string{a}, now), HeaderTimestamp, "soon"), []string{a}, body, ErrTimestamp},
		{"no signature", with(headers([]string{a}, now), HeaderSignature, ""), []string{a}, body, ErrNoSignature},
		{"no id", with(headers([]string{a}, now), HeaderID, ""), []string{a}, body, ErrNoSignature},
		{"only other versions", with(headers([]string{a}, now), HeaderSignature, "v1a,abcd v2,xyz"), []string{a}, body, ErrNoSignature},
		{"no usable secret", headers([]string{a}, now), []string{"nope"}, body, ErrNoSecret},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Verify(tt.secrets, tt.h, tt.body, now, 5*time.Minute)
			if !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
				t.Fatalf("Verify = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestVerifyLowercaseHeaderMap(t *testing.T) {
	h := http.Header{HeaderID: {specID}, HeaderTimestamp: {strconv.Itoa(specUnix)}, HeaderSignature: {"v1,bogus= " + specSig}}
	if err := Verify([]string{specSecret}, h, []byte(specBody), time.Unix(specUnix, 0), time.Minute); err != nil {
		t.Fatal(err)
	}
}

func with(h http.Header, k, v string) http.Header {
	h.Set(k, v)
	return h
}

func TestValidateSecret(t *testing.T) {
	b64 := func(n int) string { return base64.StdEncoding.EncodeToString(make([]byte, n)) }
	tests := []struct {
		name   string
		secret string
		ok     bool
	}{
		{"spec vector 24 bytes", specSecret, true},
		{"32 bytes", "whsec_" + b64(32), true},
		{"64 bytes", "whsec_" + b64(64), true},
		{"23 bytes", "whsec_" + b64(23), false},
		{"65 bytes", "whsec_" + b64(65), false},
		{"no prefix", b64(32), false},
		{"wrong prefix", "whsk_" + b64(32), false},
		{"url base64", "whsec_" + strings.Repeat("-_", 16), false},
		{"empty", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateSecret(tt.secret)
			if (err == nil) != tt.ok {
				t.Fatalf("ValidateSecret = %v, want ok=%v", err, tt.ok)
			}
			if err != nil && !errors.Is(err, ErrSecret) {
				t.Fatalf("error %v does not wrap ErrSecret", err)
			}
		})
	}
}

func TestNewSecret(t *testing.T) {
	s := mustSecret(t)
	if err := ValidateSecret(s); err != nil {
		t.Fatal(err)
	}
	key, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(s, SecretPrefix))
	if len(key) != 32 {
		t.Fatalf("key %d bytes, want 32", len(key))
	}
	if s == mustSecret(t) {
		t.Fatal("two secrets are equal")
	}
}

func TestXSignature(t *testing.T) {
	body := []byte(`{"id":"e1"}`)
	key, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(specSecret, SecretPrefix))
	m := hmac.New(sha256.New, key)
	m.Write(body)
	want := hex.EncodeToString(m.Sum(nil))
	got, err := XSignature(specSecret, body)
	if err != nil || got != want {
		t.Fatalf("XSignature = %q, %v; want %q", got, err, want)
	}
	if _, err := XSignature("bad", body); !errors.Is(err, ErrSecret) {
		t.Fatalf("bad secret: %v", err)
	}
}

func TestSignaturesMatchSignAndXSignature(t *testing.T) {
	body := []byte(specBody)
	ts := time.Unix(specUnix, 0)
	sig, xsig, err := Signatures([]string{specSecret}, specID, ts, body)
	if err != nil || sig != specSig {
		t.Fatalf("Signatures = %q, %v; want the spec's %q", sig, err, specSig)
	}
	if want, _ := XSignature(specSecret, body); xsig != want {
		t.Fatalf("X-Signature %q, want %q", xsig, want)
	}
	secrets := []string{mustSecret(t), mustSecret(t)}
	sig, xsig, err = Signatures(secrets, "msg_r", ts, body)
	wantSig, _ := Sign(secrets, "msg_r", ts, body)
	x0, _ := XSignature(secrets[0], body)
	x1, _ := XSignature(secrets[1], body)
	wantX := x0 + "," + x1
	if err != nil || sig != wantSig || xsig != wantX {
		t.Fatalf("rotation: Signatures = %q, %q, %v; want %q, %q", sig, xsig, err, wantSig, wantX)
	}
	if _, _, err := Signatures(nil, "m", ts, body); !errors.Is(err, ErrNoSecret) {
		t.Fatalf("no secrets: %v", err)
	}
	if _, _, err := Signatures([]string{secrets[0], "whsec_x"}, "m", ts, body); !errors.Is(err, ErrSecret) {
		t.Fatalf("bad secret: %v", err)
	}
}

// TestXSignatureRotation: during a rotation a receiver holding only the
// new or only the previous secret verifies X-Signature.
func TestXSignatureRotation(t *testing.T) {
	body := []byte(`{"id":"e1"}`)
	newer, older, stranger := mustSecret(t), mustSecret(t), mustSecret(t)
	_, xsig, err := Signatures([]string{newer, older}, "msg", time.Now(), body)
	if err != nil {
		t.Fatal(err)
	}
	for _, held := range [][]string{{newer}, {older}, {older, newer}} {
		if err := VerifyXSignature(held, xsig, body); err != nil {
			t.Errorf("VerifyXSignature with %d secret(s) = %v", len(held), err)
		}
	}
	x0, _ := XSignature(newer, body)
	x1, _ := XSignature(older, body)
	for _, header := range []string{x0, x1, x0 + ", " + x1, strings.ToUpper(x1), "junk," + x1, x0 + " " + x1} {
		if err := VerifyXSignature([]string{older, newer}, header, body); err != nil {
			t.Errorf("VerifyXSignature(%q) = %v", header, err)
		}
	}
	tests := []struct {
		name    string
		secrets []string
		header  string
		body    []byte
		want    error
	}{
		{"other secret", []string{stranger}, xsig, body, ErrMismatch},
		{"other body", []string{newer}, xsig, []byte(`{"id":"e2"}`), ErrMismatch},
		{"empty header", []string{newer}, "", body, ErrNoSignature},
		{"not hex", []string{newer}, "zz,,", body, ErrNoSignature},
		{"short value", []string{newer}, x0[:62], body, ErrNoSignature},
		{"no usable secret", []string{"whsec_x"}, xsig, body, ErrNoSecret},
	}
	for _, tt := range tests {
		if err := VerifyXSignature(tt.secrets, tt.header, tt.body); !errors.Is(err, tt.want) {
			t.Errorf("%s: VerifyXSignature = %v, want %v", tt.name, err, tt.want)
		}
	}
}

func TestSignErrors(t *testing.T) {
	if _, err := Sign(nil, "m", time.Now(), nil); !errors.Is(err, ErrNoSecret) {
		t.Fatalf("no secrets: %v", err)
	}
	if _, err := Sign([]string{mustSecret(t), "whsec_x"}, "m", time.Now(), nil); !errors.Is(err, ErrSecret) {
		t.Fatalf("bad secret: %v", err)
	}
}

func mustSecret(t *testing.T) string {
	t.Helper()
	s, err := NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	return s
}
