package seal

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func TestResolveKey(t *testing.T) {
	dir := t.TempDir()
	conf := "0101010101010101010101010101010101010101010101010101010101010101"
	tests := []struct {
		name       string
		configured string
		dev        bool
		dataDir    string
		origin     Origin
		err        error
	}{
		{"configured wins", conf, true, dir, Configured, nil},
		{"production without key", "", false, dir, 0, ErrNoMasterKey},
		{"dev key file", "", true, dir, DevKeyFile, nil},
		{"dev ephemeral", "", true, "", Ephemeral, nil},
	}
	for _, tt := range tests {
		key, origin, err := ResolveKey(tt.configured, tt.dev, tt.dataDir)
		if !errors.Is(err, tt.err) || origin != tt.origin || (err == nil && len(key) != KeySize) {
			t.Errorf("%s: origin %v err %v, want %v %v", tt.name, origin, err, tt.origin, tt.err)
		}
	}
	if _, _, err := ResolveKey("nope", false, ""); !errors.Is(err, ErrKey) {
		t.Errorf("bad configured key: %v", err)
	}
}

func TestKeyFileIsSharedAndStable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", KeyFileName)
	keys := make([][]byte, 8)
	var wg sync.WaitGroup
	for i := range keys {
		wg.Add(1)
		go func() {
			defer wg.Done()
			k, err := LoadOrCreateKeyFile(path)
			if err != nil {
				t.Error(err)
			}
			keys[i] = k
		}()
	}
	wg.Wait()
	for _, k := range keys[1:] {
		if !bytes.Equal(k, keys[0]) {
			t.Fatal("concurrent starts got different keys")
		}
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v, want 0600", st.Mode().Perm())
	}
	again, _ := LoadOrCreateKeyFile(path)
	if !bytes.Equal(again, keys[0]) {
		t.Fatal("key changed on reload")
	}
}

func TestResolveBox(t *testing.T) {
	dir := t.TempDir()
	k1, k2 := strings.Repeat("01", 32), strings.Repeat("02", 32)
	key1, _ := ParseKey(k1)
	key2, _ := ParseKey(k2)
	old, _ := mustBox(t, key1).Seal([]byte("s"), "p")

	box, origin, err := ResolveBox(k2, k1, false, "")
	if err != nil || origin != Configured || box.KeyID() != KeyID(key2) {
		t.Fatalf("ResolveBox = %v %v %v", box, origin, err)
	}
	if got, err := box.Open(old, "p"); err != nil || string(got) != "s" {
		t.Fatalf("previous key does not open: %v", err)
	}
	// Dev mode: the key file is current, previous keys still open.
	box, origin, err = ResolveBox("", k1, true, dir)
	if err != nil || origin != DevKeyFile || len(box.KeyIDs()) != 2 {
		t.Fatalf("dev ResolveBox = %v %v %v", box, origin, err)
	}
	if _, _, err := ResolveBox(k2, k1+",nope", false, ""); !errors.Is(err, ErrKey) || strings.Contains(err.Error(), k1) {
		t.Fatalf("bad previous key: %v", err)
	}
	if _, _, err := ResolveBox(k1, k1, false, ""); err == nil || strings.Contains(err.Error(), k1) {
		t.Fatalf("current key among previous ones: %v", err)
	}
}

func mustBox(t *testing.T, key []byte) *Box {
	t.Helper()
	b, err := New(key)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
