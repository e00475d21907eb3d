package dev

import (
	"encoding/base64"
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
// Keys, values and members are byte strings (tasks are binary): each is
// kept as base64 (bin), since a JSON string cannot hold invalid UTF-8.
const redisSnapshotFile = "redis-snapshot.json"

// bin is a Redis byte string, written to JSON as standard base64.
type bin string

func (b bin) MarshalText() ([]byte, error) {
	return []byte(base64.StdEncoding.EncodeToString([]byte(b))), nil
}

func (b *bin) UnmarshalText(t []byte) error {
	d, err := base64.StdEncoding.DecodeString(string(t))
	*b = bin(d)
	return err
}

func bins(ss []string) []bin {
	out := make([]bin, len(ss))
	for i, s := range ss {
		out[i] = bin(s)
	}
	return out
}

func strs(bs []bin) []string {
	out := make([]string, len(bs))
	for i, b := range bs {
		out[i] = string(b)
	}
	return out
}

type redisSnapshot struct {
	Keys []snapshotKey `json:"keys"`
}

type snapshotKey struct {
	Key    bin           `json:"key"`
	Type   string        `json:"type"`
	TTL    time.Duration `json:"ttl,omitempty"`
	String bin           `json:"string,omitempty"`
	Items  []bin         `json:"items,omitempty"` // list or set
	Hash   []hashField   `json:"hash,omitempty"`
	ZSet   []zsetEntry   `json:"zset,omitempty"`
}

// hashField is one field of a hash (a list, since JSON object keys of a
// string type are not written through bin).
type hashField struct {
	Field bin `json:"field"`
	Value bin `json:"value"`
}

type zsetEntry struct {
	Member bin     `json:"member"`
	Score  float64 `json:"score"`
}

// saveRedis writes every key of m's default database to path, atomically.
func saveRedis(m *miniredis.Miniredis, path string) error {
	var snap redisSnapshot
	for _, k := range m.Keys() {
		sk := snapshotKey{Key: bin(k), Type: m.Type(k), TTL: m.TTL(k)}
		var err error
		var items []string
		switch sk.Type {
		case "string":
			var v string
			v, err = m.Get(k)
			sk.String = bin(v)
		case "list":
			items, err = m.List(k)
			sk.Items = bins(items)
		case "set":
			items, err = m.Members(k)
			sk.Items = bins(items)
		case "hash":
			var fields []string
			fields, err = m.HKeys(k)
			for _, f := range fields {
				sk.Hash = append(sk.Hash, hashField{Field: bin(f), Value: bin(m.HGet(k, f))})
			}
		case "zset":
			var members []string
			members, err = m.ZMembers(k)
			for _, mem := range members {
				score, serr := m.ZScore(k, mem)
				err = errors.Join(err, serr)
				sk.ZSet = append(sk.ZSet, zsetEntry{Member: bin(mem), Score: score})
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
		key := string(sk.Key)
		switch sk.Type {
		case "string":
			err = m.Set(key, string(sk.String))
		case "list":
			_, err = m.Push(key, strs(sk.Items)...)
		case "set":
			_, err = m.SAdd(key, strs(sk.Items)...)
		case "hash":
			for _, h := range sk.Hash {
				m.HSet(key, string(h.Field), string(h.Value))
			}
		case "zset":
			for _, z := range sk.ZSet {
				_, zerr := m.ZAdd(key, z.Score, string(z.Member))
				err = errors.Join(err, zerr)
			}
		}
		if err != nil {
			return 0, fmt.Errorf("restore redis key %q: %w", sk.Key, err)
		}
		if sk.TTL > 0 {
			m.SetTTL(key, sk.TTL)
		}
	}
	return len(snap.Keys), nil
}
