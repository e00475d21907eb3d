package dev

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadMasterKey(t *testing.T) {
	given := strings.Repeat("ab", 32)
	tests := []struct {
		name    string
		file    string // content of master.key before the call; "" = none
		given   string
		wantErr bool
	}{
		{name: "created on first run"},
		{name: "read from the data dir", file: strings.Repeat("01", 32) + "\n"},
		{name: "given key wins", file: strings.Repeat("01", 32), given: given},
		{name: "bad given key", given: "short", wantErr: true},
		{name: "corrupt key file", file: "not a key", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, masterKeyFile)
			if tt.file != "" {
				if err := os.WriteFile(path, []byte(tt.file), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			key, err := loadMasterKey(dir, tt.given)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if tt.wantErr {
				return
			}
			if len(key) != 32 {
				t.Fatalf("key of %d bytes", len(key))
			}
			again, err := loadMasterKey(dir, tt.given)
			if err != nil || !bytes.Equal(key, again) {
				t.Fatalf("second load differs (err %v)", err)
			}
			if tt.file == "" && tt.given == "" {
				fi, err := os.Stat(path)
				if err != nil || fi.Mode().Perm() != 0o600 {
					t.Fatalf("key file: %v %v", fi, err)
				}
			}
		})
	}
}
