package dispatcher

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/hookwire/hookwire/pkg/seal"
)

// devKeyFile is the registry's dev master key file inside HOOKWIRE_DATA_DIR.
const devKeyFile = "master.key"

// masterBox returns the Box that opens the registry's sealed secrets: from
// HOOKWIRE_MASTER_KEY, or in dev mode from the key file the registry keeps
// in the data dir (created here if the dispatcher starts first, with the
// same exclusive-create race rule as the registry).
func masterBox(cfg Config, log *slog.Logger) (*seal.Box, error) {
	if cfg.MasterKey != "" {
		key, err := seal.ParseKey(cfg.MasterKey)
		if err != nil {
			return nil, fmt.Errorf("master key: %w", err)
		}
		return seal.New(key)
	}
	if !cfg.Dev {
		return nil, errors.New("master key: HOOKWIRE_MASTER_KEY is not set and HOOKWIRE_DEV is not true")
	}
	if cfg.DataDir == "" {
		return nil, errors.New("master key: dev mode without HOOKWIRE_MASTER_KEY needs HOOKWIRE_DATA_DIR (the registry's key file), or pass Deps.Box")
	}
	path := filepath.Join(cfg.DataDir, devKeyFile)
	key, err := devKey(path)
	if err != nil {
		return nil, err
	}
	log.Warn("DEV MODE: no HOOKWIRE_MASTER_KEY; opening secrets with the key file in the data dir, not for production", "key_file", path)
	return seal.New(key)
}

func devKey(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		key, err := seal.ParseKey(string(b))
		if err != nil {
			return nil, fmt.Errorf("dev master key %s: %w", path, err)
		}
		return key, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("dev master key: %w", err)
	}
	key := make([]byte, seal.KeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("dev master key: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("dev master key: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return devKey(path) // the registry won the race
	}
	if err != nil {
		return nil, fmt.Errorf("dev master key: %w", err)
	}
	_, werr := f.WriteString(hex.EncodeToString(key) + "\n")
	if err := errors.Join(werr, f.Close()); err != nil {
		return nil, fmt.Errorf("dev master key: %w", err)
	}
	return key, nil
}
