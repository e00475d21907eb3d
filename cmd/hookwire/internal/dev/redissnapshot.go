package dev

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"github.com/alicebob/miniredis/v2"
)

// redisSnapshotFile keeps the embedded Redis's data between runs of
// `hookwire dev`: miniredis lives in memory, and the dispatcher keeps its
// retry schedule and parked deliveries in Redis. The snapshot is written
// every second while running (redisStore.Run) and on a clean stop, and read
// at start; after a crash the last snapshot is at most about a second old,
// which at worst repeats a delivery (at-least-once) or loses a retry
// scheduled in that second — the guarantee of a real Redis with
// appendfsync everysec.
const redisSnapshotFile = "redis.json"

type redisSnapshot struct {
	Keys []snapshotKey `json:"keys"`
}

type snapshotKey struct {
	Key    string            `json:"key"`
	Type   string            `json:"type"`
	TTL    time.Duration     `json:"ttl,omitempty"`
	String string            `json:"string,omitempty"`
	Items  []string          `json:"items,omitempty"` // list or set
	Hash   map[string]string `json:"hash,omitempty"`
	ZSet   []zsetEntry       `json:"zset,omitempty"`
}

type zsetEntry struct {
	Member string  `json:"member"`
	Score  float64 `json:"score"`
}

// saveRedis writes every key of m's default database to path, atomically.
func saveRedis(m *miniredis.Miniredis, path string) error {
	var snap redisSnapshot
	for _, k := range m.Keys() {
		sk := snapshotKey{Key: k, Type: m.Type(k), TTL: m.TTL(k)}
		var err error
		switch sk.Type {
		case "string":
			sk.String, err = m.Get(k)
		case "list":
			sk.Items, err = m.List(k)
		case "set":
			sk.Items, err = m.Members(k)
		case "hash":
			var fields []string
			fields, err = m.HKeys(k)
			sk.Hash = make(map[string]string, len(fields))
			for _, f := range fields {
				sk.Hash[f] = m.HGet(k, f)
			}
		case "zset":
			var members []string
			members, err = m.ZMembers(k)
			for _, mem := range members {
				score, serr := m.ZScore(k, mem)
				err = errors.Join(err, serr)
				sk.ZSet = append(sk.ZSet, zsetEntry{Member: mem, Score: score})
			}
		default:
			continue // streams and other types are not used by Hookwire
		}
		if errors.Is(err, miniredis.ErrKeyNotFound) {
			continue // deleted or expired while the snapshot was taken
		}
		if err != nil {
			return fmt.Errorf("snapshot redis key %q: %w", k, err)
		}
		snap.Keys = append(snap.Keys, sk)
	}
	b, err := json.Marshal(snap)
	if err != nil {
		return fmt.Errorf("encode redis snapshot: %w", err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return fmt.Errorf("write redis snapshot: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write redis snapshot: %w", err)
	}
	return nil
}

// loadRedis restores a snapshot into m; a missing file is an empty start.
func loadRedis(m *miniredis.Miniredis, path string) (int, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read redis snapshot: %w", err)
	}
	var snap redisSnapshot
	if err := json.Unmarshal(b, &snap); err != nil {
		return 0, fmt.Errorf("decode redis snapshot %s: %w", path, err)
	}
	for _, sk := range snap.Keys {
		var err error
		switch sk.Type {
		case "string":
			err = m.Set(sk.Key, sk.String)
		case "list":
			_, err = m.Push(sk.Key, sk.Items...)
		case "set":
			_, err = m.SAdd(sk.Key, sk.Items...)
		case "hash":
			for f, v := range sk.Hash {
				m.HSet(sk.Key, f, v)
			}
		case "zset":
			for _, z := range sk.ZSet {
				_, zerr := m.ZAdd(sk.Key, z.Score, z.Member)
				err = errors.Join(err, zerr)
			}
		}
		if err != nil {
			return 0, fmt.Errorf("restore redis key %q: %w", sk.Key, err)
		}
		if sk.TTL > 0 {
			m.SetTTL(sk.Key, sk.TTL)
		}
	}
	return len(snap.Keys), nil
}
