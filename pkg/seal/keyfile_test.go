package seal

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
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
