package dispatcher

import (
	"errors"
	"log/slog"
	"path/filepath"

	"github.com/hookwire/hookwire/pkg/seal"
)

// masterBox returns the Box that opens the registry's sealed secrets: from
// HOOKWIRE_MASTER_KEY and HOOKWIRE_MASTER_KEYS_PREVIOUS, or in dev mode from
// the key file the registry keeps in the data dir (seal.ResolveBox). An
// ephemeral key could open nothing the registry sealed, so dev mode without
// a data dir needs Deps.Box. Key ids are logged, never keys.
func masterBox(cfg Config, log *slog.Logger) (*seal.Box, error) {
	if cfg.MasterKey == "" && cfg.Dev && cfg.DataDir == "" {
		return nil, errors.New("master key: dev mode without HOOKWIRE_MASTER_KEY needs HOOKWIRE_DATA_DIR (the registry's key file), or pass Deps.Box")
	}
	box, origin, err := seal.ResolveBox(cfg.MasterKey, cfg.MasterKeysPrevious, cfg.Dev, cfg.DataDir)
	if err != nil {
		return nil, err
	}
	if origin == seal.DevKeyFile {
		log.Warn("DEV MODE: no HOOKWIRE_MASTER_KEY; opening secrets with the key file in the data dir, not for production",
			"key_file", filepath.Join(cfg.DataDir, seal.KeyFileName))
	}
	log.Info("master keys", "opening_key_ids", box.KeyIDs())
	return box, nil
}
