package registry

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

// devKeyFile is where dev mode keeps its master key inside HOOKWIRE_DATA_DIR.
const devKeyFile = "master.key"

func parseMasterKey(s string) ([]byte, error) { return seal.ParseKey(s) }

// masterBox returns the Box that seals secrets at rest.
//
// Outside dev mode the key must be configured (Config.Validate enforces it).
// In dev mode without a key the choice is between losing data and pretending
// to be secure: the key is kept in DATA_DIR/master.key (0600, created on
// first start) so that `hookwire dev --data-dir` keeps working subscriptions
// across restarts; a key file next to the data is no protection, which is
// fine for a developer machine and why dev mode is refused a production role.
// Without a data dir the data itself lives only as long as the process (the
// embedded NATS store is temporary), so an ephemeral random key loses
// nothing; a loud warning says so anyway.
func masterBox(cfg Config, log *slog.Logger) (*seal.Box, error) {
	if cfg.MasterKey != "" {
		key, err := parseMasterKey(cfg.MasterKey)
		if err != nil {
			return nil, fmt.Errorf("master key: %w", err)
		}
		return seal.New(key)
	}
	if !cfg.Dev {
		return nil, errors.New("master key: HOOKWIRE_MASTER_KEY is not set and HOOKWIRE_DEV is not true")
	}
	if cfg.DataDir == "" {
		log.Warn("DEV MODE: no HOOKWIRE_MASTER_KEY and no HOOKWIRE_DATA_DIR; sealing secrets with an EPHEMERAL key, stored secrets become unreadable after a restart")
		key := make([]byte, seal.KeySize)
		if _, err := rand.Read(key); err != nil {
			return nil, fmt.Errorf("master key: %w", err)
		}
		return seal.New(key)
	}
	key, err := devKey(filepath.Join(cfg.DataDir, devKeyFile))
	if err != nil {
		return nil, err
	}
	log.Warn("DEV MODE: no HOOKWIRE_MASTER_KEY; sealing secrets with the key file in the data dir, not for production",
		"key_file", filepath.Join(cfg.DataDir, devKeyFile))
	return seal.New(key)
}

// devKey reads the key file, creating it with a random key the first time.
func devKey(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		key, err := parseMasterKey(string(b))
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
		return devKey(path) // another process won the race
	}
	if err != nil {
		return nil, fmt.Errorf("dev master key: %w", err)
	}
	if _, err := f.WriteString(hex.EncodeToString(key) + "\n"); err != nil {
		f.Close()
		return nil, fmt.Errorf("dev master key: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("dev master key: %w", err)
	}
	return key, nil
}
