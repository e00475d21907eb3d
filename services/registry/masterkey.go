package registry

import (
	"log/slog"
	"path/filepath"

	"github.com/hookwire/hookwire/pkg/seal"
)

// masterBox returns the Box that seals secrets at rest under the current
// master key and opens them under it or a previous one (see
// seal.ResolveKey for where the key comes from in dev mode); it warns when
// the key is not a configured one. Key ids are logged, never keys.
func masterBox(cfg Config, log *slog.Logger) (*seal.Box, error) {
	box, origin, err := seal.ResolveBox(cfg.MasterKey, cfg.MasterKeysPrevious, cfg.Dev, cfg.DataDir)
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
	log.Info("master keys", "sealing_key_id", box.KeyID(), "opening_key_ids", box.KeyIDs())
	return box, nil
}
