package signing

import (
	"bytes"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// fuzzSecrets are fixed so that fuzzing is reproducible: the new and the
// previous secret of a rotation.
var fuzzSecrets = []string{specSecret, "whsec_" + "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="}

// FuzzVerify: a message signed by Signatures verifies, with either secret
// alone, under both webhook-signature and X-Signature; after any change of
// its body it verifies under neither. Hostile headers never panic, and
// verify only when they carry the right signature (checked independently
// of Verify, by signing the same content).
func FuzzVerify(f *testing.F) {
	f.Add(specID, strconv.Itoa(specUnix), specSig, []byte(specBody), byte(0))
	f.Add("msg_1", "1614265330", "v1,x v2,abc v1,", []byte(`{}`), byte(1))
	f.Add("", "+1614265330", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=,", []byte(nil), byte(7))
	f.Add("m", "-1", "v1,=", []byte("\xff"), byte(255))
	f.Fuzz(func(t *testing.T, id, unix, sigHeader string, body []byte, flip byte) {
		now := time.Unix(specUnix, 0)
		// Hostile headers.
		h := http.Header{}
		h.Set(HeaderID, id)
		h.Set(HeaderTimestamp, unix)
		h.Set(HeaderSignature, sigHeader)
		if err := Verify(fuzzSecrets, h, body, now, 0); err == nil {
			ts, perr := strconv.ParseInt(unix, 10, 64)
			if perr != nil || time.Unix(ts, 0).Sub(now).Abs() > DefaultTolerance {
				t.Fatalf("Verify accepted timestamp %q", unix)
			}
			if h.Get(HeaderID) != id || !signedBy(t, id, unix, body, sigHeader) {
				t.Fatalf("Verify accepted %q for id %q, ts %q", sigHeader, id, unix)
			}
		}
		_ = VerifyXSignature(fuzzSecrets, sigHeader, body)

		// A real message, then the same message with one body byte changed.
		if id == "" {
			return
		}
		sig, xsig, err := Signatures(fuzzSecrets, id, now, body)
		if err != nil {
			t.Fatal(err)
		}
		h.Set(HeaderTimestamp, strconv.FormatInt(now.Unix(), 10))
		h.Set(HeaderSignature, sig)
		for _, s := range fuzzSecrets {
			if err := Verify([]string{s}, h, body, now, 0); err != nil {
				t.Fatalf("signed message does not verify: %v", err)
			}
			if err := VerifyXSignature([]string{s}, xsig, body); err != nil {
				t.Fatalf("signed X-Signature does not verify: %v", err)
			}
		}
		changed := append([]byte(nil), body...)
		if len(changed) == 0 {
			changed = []byte{flip}
		} else {
			changed[int(flip)%len(changed)] ^= flip | 1
		}
		if Verify(fuzzSecrets, h, changed, now, 0) == nil || VerifyXSignature(fuzzSecrets, xsig, changed) == nil {
			t.Fatalf("a changed body still verifies")
		}
	})
}

// signedBy reports whether header holds a v1 entry equal to the signature
// of (id, unix, body) under one of fuzzSecrets, comparing encoded strings.
func signedBy(t *testing.T, id, unix string, body []byte, header string) bool {
	t.Helper()
	for _, s := range fuzzSecrets {
		key, err := secretKey(s)
		if err != nil {
			t.Fatal(err)
		}
		want := mac(key, id, unix, body)
		for _, f := range strings.Fields(header) {
			sig, ok := strings.CutPrefix(f, Version+",")
			if b, err := base64.StdEncoding.DecodeString(sig); ok && err == nil && bytes.Equal(b, want) {
				return true
			}
		}
	}
	return false
}
