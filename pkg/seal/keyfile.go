package seal

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// KeyFileName is where dev mode keeps its master key inside the data dir
// (HOOKWIRE_DATA_DIR, `hookwire dev --data-dir`). Every service of one dev
// stack reads the same file.
const KeyFileName = "master.key"

// Origin says where a master key came from.
type Origin int

const (
	// Configured: HOOKWIRE_MASTER_KEY.
	Configured Origin = iota + 1
	// DevKeyFile: dev mode, the key file in the data dir (created on first
	// start, 0600). A key next to the data protects nothing, which is fine on
	// a developer machine and why dev mode has no production role.
	DevKeyFile
	// Ephemeral: dev mode without a data dir; the data lives no longer than
	// the process, so a random key loses nothing.
	Ephemeral
)

// ErrNoMasterKey is returned outside dev mode when no key is configured.
var ErrNoMasterKey = errors.New("master key: HOOKWIRE_MASTER_KEY is not set and HOOKWIRE_DEV is not true")

// ResolveKey returns the master key a service should use: the configured
// one; else, in dev mode, the key file in dataDir; else, in dev mode
// without a data dir, a random one. Services log a warning for any Origin
// but Configured.
func ResolveKey(configured string, dev bool, dataDir string) ([]byte, Origin, error) {
	switch {
	case configured != "":
		key, err := ParseKey(configured)
		if err != nil {
			return nil, 0, fmt.Errorf("master key: %w", err)
		}
		return key, Configured, nil
	case !dev:
		return nil, 0, ErrNoMasterKey
	case dataDir != "":
		key, err := LoadOrCreateKeyFile(filepath.Join(dataDir, KeyFileName))
		return key, DevKeyFile, err
	default:
		key := make([]byte, KeySize)
		if _, err := rand.Read(key); err != nil {
			return nil, 0, fmt.Errorf("master key: %w", err)
		}
		return key, Ephemeral, nil
	}
}

// ParseKeyList parses previous master keys (HOOKWIRE_MASTER_KEYS_PREVIOUS):
// comma-separated, each like ParseKey; "" is none. An error names the entry
// by its position, never by its value.
func ParseKeyList(s string) ([][]byte, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var keys [][]byte
	for i, part := range strings.Split(s, ",") {
		k, err := ParseKey(part)
		if err != nil {
			return nil, fmt.Errorf("entry %d: %w", i+1, err)
		}
		keys = append(keys, k)
	}
	return keys, nil
}

// ResolveBox is the Box of a service: the current key from ResolveKey and
// the previous keys of ParseKeyList, which only open.
func ResolveBox(configured, previous string, dev bool, dataDir string) (*Box, Origin, error) {
	current, origin, err := ResolveKey(configured, dev, dataDir)
	if err != nil {
		return nil, 0, err
	}
	prev, err := ParseKeyList(previous)
	if err != nil {
		return nil, 0, fmt.Errorf("previous master keys: %w", err)
	}
	box, err := New(current, prev...)
	if err != nil {
		return nil, 0, fmt.Errorf("master keys: %w", err)
	}
	return box, origin, nil
}

// LoadOrCreateKeyFile reads a key file (64 hex characters), creating it with
// a random key the first time. The key is written to a temporary file and
// linked into place, which fails if the file exists: two processes starting
// together agree on one key, and neither ever reads a half-written file.
func LoadOrCreateKeyFile(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		key, err := ParseKey(string(b))
		if err != nil {
			return nil, fmt.Errorf("master key file %s: %w", path, err)
		}
		return key, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("master key file: %w", err)
	}
	key := make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("master key file: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("master key file: %w", err)
	}
	f, err := os.CreateTemp(filepath.Dir(path), KeyFileName+".new-*") // mode 0600
	if err != nil {
		return nil, fmt.Errorf("master key file: %w", err)
	}
	defer os.Remove(f.Name())
	_, werr := f.WriteString(hex.EncodeToString(key) + "\n")
	if err := errors.Join(werr, f.Sync(), f.Close()); err != nil {
		return nil, fmt.Errorf("master key file: %w", err)
	}
	err = os.Link(f.Name(), path)
	if errors.Is(err, fs.ErrExist) {
		return LoadOrCreateKeyFile(path) // another process won the race
	}
	if err != nil {
		return nil, fmt.Errorf("master key file: %w", err)
	}
	return key, nil
}
