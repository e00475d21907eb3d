package dev

import (
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
)

func TestRedisSnapshotRoundTrip(t *testing.T) {
	src := miniredis.NewMiniRedis()
	src.ClockTTL(true)
	mustNil := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	mustNil(src.Set("dedup:evt_1", "1"))
	src.SetTTL("dedup:evt_1", time.Hour)
	_, err := src.ZAdd("retry", 1700000000.5, "task-a")
	mustNil(err)
	_, err = src.ZAdd("retry", 1700000100, "task-b")
	mustNil(err)
	// Tasks are binary (not UTF-8): the snapshot must keep every byte.
	binTask := "\x03\xff\xfe\x00\x80task"
	_, err = src.ZAdd("retry", 1700000200, binTask)
	mustNil(err)
	_, err = src.SAdd("parked", "sub_1", "sub_2")
	mustNil(err)
	src.HSet("h", "f1", "v1", "f2", "v2")
	_, err = src.Push("l", "a", "b", "c")
	mustNil(err)

	path := filepath.Join(t.TempDir(), redisSnapshotFile)
	mustNil(saveRedis(src, path))

	dst := miniredis.NewMiniRedis()
	n, err := loadRedis(dst, path)
	mustNil(err)
	if n != 5 {
		t.Fatalf("restored %d keys, want 5", n)
	}
	if v, _ := dst.Get("dedup:evt_1"); v != "1" {
		t.Errorf("string = %q", v)
	}
	if ttl := dst.TTL("dedup:evt_1"); ttl <= 59*time.Minute || ttl > time.Hour {
		t.Errorf("ttl = %s, want about 1h", ttl)
	}
	if dst.TTL("retry") != 0 {
		t.Errorf("retry got a ttl")
	}
	if s, _ := dst.ZScore("retry", "task-a"); s != 1700000000.5 {
		t.Errorf("zscore task-a = %v", s)
	}
	if m, _ := dst.ZMembers("retry"); !slices.Equal(m, []string{"task-a", "task-b", binTask}) {
		t.Errorf("zset = %v", m)
	}
	if m, _ := dst.Members("parked"); !slices.Equal(m, []string{"sub_1", "sub_2"}) {
		t.Errorf("set = %v", m)
	}
	if dst.HGet("h", "f2") != "v2" {
		t.Errorf("hash f2 = %q", dst.HGet("h", "f2"))
	}
	if l, _ := dst.List("l"); !slices.Equal(l, []string{"a", "b", "c"}) {
		t.Errorf("list = %v", l)
	}

	if n, err := loadRedis(miniredis.NewMiniRedis(), filepath.Join(t.TempDir(), "none.json")); n != 0 || err != nil {
		t.Fatalf("missing snapshot: %d, %v", n, err)
	}
}
