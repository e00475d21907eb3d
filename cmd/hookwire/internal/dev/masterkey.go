package dev

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/hookwire/hookwire/pkg/seal"
)

// masterKeyFile holds the dev master key (64 hex characters) under the data dir.
const masterKeyFile = "master.key"

// loadMasterKey returns the master key that seals secrets at rest: the
// given one (HOOKWIRE_MASTER_KEY) if set, else the one persisted in
// dataDir, created on first run, so stored secrets open after a restart.
func loadMasterKey(dataDir, given string) ([]byte, error) {
	if given != "" {
		k, err := seal.ParseKey(given)
		if err != nil {
			return nil, fmt.Errorf("HOOKWIRE_MASTER_KEY: %w", err)
		}
		return k, nil
	}
	path := filepath.Join(dataDir, masterKeyFile)
	b, err := os.ReadFile(path)
	if err == nil {
		k, err := seal.ParseKey(string(b))
		if err != nil {
			return nil, fmt.Errorf("master key %s: %w", path, err)
		}
		return k, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read master key: %w", err)
	}
	k := make([]byte, seal.KeySize)
	if _, err := rand.Read(k); err != nil {
		return nil, fmt.Errorf("generate master key: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("write master key: %w", err)
	}
	if _, err := f.WriteString(hex.EncodeToString(k) + "\n"); err != nil {
		f.Close()
		return nil, fmt.Errorf("write master key: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("write master key: %w", err)
	}
	return k, nil
}
