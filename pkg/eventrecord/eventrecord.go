// Package eventrecord is the one Redis record of an accepted event, shared
// by ingest and the dispatcher for the whole dedup horizon (72 h by
// default, far beyond the broker's two-minute duplicate window). Its key is
// the event's identity, (scope, event_id) (bus.MsgID), so two tenants that
// use the same event_id never meet in it. It is a hash of two fields:
//
//   - c, the content: what the first publish said (ingest's per-field
//     hashes), written by ingest before it publishes (Reserve);
//   - q, the EVENTS sequence that first stored the event, set once, by
//     whichever comes first: ingest after its publish is acknowledged
//     (Claim), or the dispatcher's fan-out of the message (Claim).
//
// Ingest answers from it: content differs → ALREADY_EXISTS naming the
// fields; same content and q set → duplicate with the original sequence;
// same content, q unset → publish (again; the Nats-Msg-Id is the identity,
// so inside the broker window JetStream stores nothing twice) and Claim.
// The dispatcher fans a message out only when Claim answers its own
// sequence: the first message of the event, or a redelivery of it.
//
// Every crash point, and why nothing is lost or delivered twice:
//
//   - Reserved, publish failed (or ingest died before it): the record has
//     c and no q. The producer got no OK and retries; the identical retry
//     finds its content and publishes. A different event under the same id
//     is refused: ingest cannot know that the first publish was not stored.
//   - Publish acknowledged, Claim not written (ingest died, Redis blipped):
//     the dispatcher's fan-out Claims the sequence. A repeat arriving before
//     that publishes again: inside the broker window JetStream answers the
//     original sequence; after it (the dispatcher more than a window behind)
//     a second copy is stored and whichever sequence Claims first is the
//     one delivered, once; ingest answers the sequence that Claim recorded.
//   - Two concurrent publishes of one id: Reserve is atomic, so the second
//     sees the first's content. Same content: both publish, the broker
//     window stores one message, both Claim the same sequence (one answer
//     says duplicate). Different content: the second gets ALREADY_EXISTS.
//   - Redis unavailable: ingest refuses the publish (Unavailable) rather
//     than store an event it could not answer truthfully for later; the
//     dispatcher retries the fan-out.
//   - A record with q and no c (an event the dispatcher published itself,
//     e.g. hookwire.* operational events): a producer's publish under that
//     identity is refused, its content being unknown.
//
// The record lives for the TTL given when it is created (ingest's and the
// dispatcher's HOOKWIRE_DEDUP_TTL, which should be equal); later writes
// keep it.
package eventrecord

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/hookwire/hookwire/pkg/bus"
)

// KeyPrefix + bus.MsgID(scope, event_id) is an event's key.
const KeyPrefix = "hookwire:event:"

// DefaultTTL is how long an event is remembered.
const DefaultTTL = 72 * time.Hour

// Key is the Redis key of the event (scope, eventID).
func Key(scope, eventID string) string { return KeyPrefix + bus.MsgID(scope, eventID) }

// Record is what Redis holds for an event.
type Record struct {
	// Content is what the first publish said ("" when the event was not
	// published through ingest).
	Content string
	// Seq is the EVENTS sequence that stored the event first (0: not known
	// to be stored yet).
	Seq uint64
}

// reserveScript creates the record with its content and TTL if there is
// none, and returns the record's content and sequence ("" when unset).
var reserveScript = `
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('HSET', KEYS[1], 'c', ARGV[1])
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return {ARGV[1], ''}
end
return {redis.call('HGET', KEYS[1], 'c') or '', redis.call('HGET', KEYS[1], 'q') or ''}
`

// claimScript sets the record's sequence unless one is set (creating the
// record, with its TTL, if there is none) and returns the sequence it holds.
var claimScript = `
local q = redis.call('HGET', KEYS[1], 'q')
if q then return q end
redis.call('HSET', KEYS[1], 'q', ARGV[1])
if redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return ARGV[1]
`

// Reserve writes content as the event's unless the record exists, and
// returns the record as it is now.
func Reserve(ctx context.Context, rdb redis.Scripter, key, content string, ttl time.Duration) (Record, error) {
	if content == "" {
		return Record{}, errors.New("reserve event record: empty content")
	}
	v, err := rdb.Eval(ctx, reserveScript, []string{key}, content, ttl.Milliseconds()).StringSlice()
	if err != nil {
		return Record{}, fmt.Errorf("reserve event record: %w", err)
	}
	if len(v) != 2 {
		return Record{}, fmt.Errorf("reserve event record: %d values in the reply", len(v))
	}
	r := Record{Content: v[0]}
	if v[1] != "" {
		if r.Seq, err = strconv.ParseUint(v[1], 10, 64); err != nil {
			return Record{}, fmt.Errorf("reserve event record: sequence %q: %w", v[1], err)
		}
	}
	return r, nil
}

// Claim records seq as the sequence that stored the event, unless one is
// recorded already, and returns the recorded one. On a pipeline, call
// Claimed on the returned command once it has run.
func Claim(ctx context.Context, rdb redis.Scripter, key string, seq uint64, ttl time.Duration) *redis.Cmd {
	return rdb.Eval(ctx, claimScript, []string{key}, seq, ttl.Milliseconds())
}

// Claimed is the sequence a Claim command answered.
func Claimed(cmd *redis.Cmd) (uint64, error) {
	s, err := cmd.Text()
	if err != nil {
		return 0, fmt.Errorf("claim event record: %w", err)
	}
	seq, err := strconv.ParseUint(s, 10, 64)
	if err != nil || seq == 0 {
		return 0, fmt.Errorf("claim event record: sequence %q", s)
	}
	return seq, nil
}
