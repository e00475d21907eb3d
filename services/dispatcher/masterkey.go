package dispatcher

import (
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"

	"github.com/hookwire/hookwire/pkg/seal"
)

// masterBox returns the Box that opens the registry's sealed secrets: from
// HOOKWIRE_MASTER_KEY, or in dev mode from the key file the registry keeps
// in the data dir (seal.ResolveKey). An ephemeral key could open nothing the
// registry sealed, so dev mode without a data dir needs Deps.Box.
func masterBox(cfg Config, log *slog.Logger) (*seal.Box, error) {
	if cfg.MasterKey == "" && cfg.Dev && cfg.DataDir == "" {
		return nil, errors.New("master key: dev mode without HOOKWIRE_MASTER_KEY needs HOOKWIRE_DATA_DIR (the registry's key file), or pass Deps.Box")
	}
	key, origin, err := seal.ResolveKey(cfg.MasterKey, cfg.Dev, cfg.DataDir)
	if err != nil {
		return nil, err
	}
	if origin == seal.DevKeyFile {
		log.Warn("DEV MODE: no HOOKWIRE_MASTER_KEY; opening secrets with the key file in the data dir, not for production",
			"key_file", filepath.Join(cfg.DataDir, seal.KeyFileName))
	}
	box, err := seal.New(key)
	if err != nil {
		return nil, fmt.Errorf("master key: %w", err)
	}
	return box, nil
}
