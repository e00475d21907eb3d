package registry

import (
	"fmt"
	"log/slog"
	"path/filepath"

	"github.com/hookwire/hookwire/pkg/seal"
)

// masterBox returns the Box that seals secrets at rest (see seal.ResolveKey
// for where the key comes from in dev mode) and warns when it is not a
// configured key.
func masterBox(cfg Config, log *slog.Logger) (*seal.Box, error) {
	key, origin, err := seal.ResolveKey(cfg.MasterKey, cfg.Dev, cfg.DataDir)
	if err != nil {
		return nil, err
	}
	switch origin {
	case seal.DevKeyFile:
		log.Warn("DEV MODE: no HOOKWIRE_MASTER_KEY; sealing secrets with the key file in the data dir, not for production",
			"key_file", filepath.Join(cfg.DataDir, seal.KeyFileName))
	case seal.Ephemeral:
		log.Warn("DEV MODE: no HOOKWIRE_MASTER_KEY and no HOOKWIRE_DATA_DIR; sealing secrets with an EPHEMERAL key, stored secrets become unreadable after a restart")
	}
	box, err := seal.New(key)
	if err != nil {
		return nil, fmt.Errorf("master key: %w", err)
	}
	return box, nil
}
