package bus

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Creating a stream or bucket on a fresh cluster fails in passing: the
// meta leader is still being elected, not every peer is up for an R3
// placement, or two processes create the same new stream at once and one
// of them times out or finds the name taken by its twin ("already in use").
// Every opener of a stream or bucket goes through EnsureStream or
// EnsureKeyValue, which retry such failures with back-off until
// EnsureTimeout passes, so services started together on a new cluster
// converge instead of exiting.
const (
	// EnsureTimeout bounds the whole retry of one stream or bucket.
	EnsureTimeout = 2 * time.Minute
	// ensureAttempt bounds one create-or-update request.
	ensureAttempt      = 5 * time.Second
	ensureFirstBackoff = 100 * time.Millisecond
	ensureMaxBackoff   = 2 * time.Second
)

// JetStream error codes that a retry can get past (nats-server's
// JSClusterNoPeersErrF, JSInsufficientResourcesErr, JSClusterNotAvailErr).
const (
	codeNoSuitablePeers      jetstream.ErrorCode = 10005
	codeInsufficientResource jetstream.ErrorCode = 10023
	codeClusterNotAvailable  jetstream.ErrorCode = 10008
	// JSStreamReplicasNotSupportedErr is a 500 that no retry mends.
	codeReplicasNotSupported jetstream.ErrorCode = 10074
)

// EnsureStream creates stream cfg or updates it to cfg, retrying passing
// failures (see EnsureTimeout).
func EnsureStream(ctx context.Context, js jetstream.JetStream, cfg jetstream.StreamConfig) (jetstream.Stream, error) {
	var s jetstream.Stream
	err := ensure(ctx, func(ctx context.Context) (err error) {
		s, err = js.CreateOrUpdateStream(ctx, cfg)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("ensure stream %s: %w", cfg.Name, err)
	}
	return s, nil
}

// FindOrCreateStream returns stream cfg.Name as it is when it exists (its
// owner may have set it up otherwise: the dispatcher finds the EVENTS
// stream ingest made) and creates it from cfg when it does not, retrying
// passing failures of either, the lookup included (see EnsureTimeout): on
// a fresh cluster a lookup times out like a creation does. A twin that
// creates it at the same moment makes the creation fail with "already in
// use", which is retried and then finds it.
func FindOrCreateStream(ctx context.Context, js jetstream.JetStream, cfg jetstream.StreamConfig) (jetstream.Stream, error) {
	var s jetstream.Stream
	err := ensure(ctx, func(ctx context.Context) (err error) {
		s, err = js.Stream(ctx, cfg.Name)
		if errors.Is(err, jetstream.ErrStreamNotFound) {
			s, err = js.CreateStream(ctx, cfg)
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("find or create stream %s: %w", cfg.Name, err)
	}
	return s, nil
}

// FindStream looks stream name up, retrying passing failures (see
// EnsureTimeout); a stream that does not exist is reported at once
// (jetstream.ErrStreamNotFound).
func FindStream(ctx context.Context, js jetstream.JetStream, name string) (jetstream.Stream, error) {
	var s jetstream.Stream
	err := ensure(ctx, func(ctx context.Context) (err error) {
		s, err = js.Stream(ctx, name)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("find stream %s: %w", name, err)
	}
	return s, nil
}

// EnsureKeyValue creates bucket cfg or updates it to cfg, retrying passing
// failures (see EnsureTimeout).
func EnsureKeyValue(ctx context.Context, js jetstream.JetStream, cfg jetstream.KeyValueConfig) (jetstream.KeyValue, error) {
	var kv jetstream.KeyValue
	err := ensure(ctx, func(ctx context.Context) (err error) {
		kv, err = js.CreateOrUpdateKeyValue(ctx, cfg)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("ensure kv bucket %s: %w", cfg.Bucket, err)
	}
	return kv, nil
}

// ensure runs op until it succeeds, fails for good, ctx ends or
// EnsureTimeout passes, sleeping a doubling back-off between attempts.
func ensure(ctx context.Context, op func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, EnsureTimeout)
	defer cancel()
	backoff := ensureFirstBackoff
	for attempt := 1; ; attempt++ {
		actx, acancel := context.WithTimeout(ctx, ensureAttempt)
		err := op(actx)
		acancel()
		if err == nil {
			return nil
		}
		if !Transient(err) {
			return err
		}
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("gave up after %d attempts: %w", attempt, err)
		case <-t.C:
		}
		backoff = min(2*backoff, ensureMaxBackoff)
	}
}

// Transient reports whether a JetStream management request that failed
// with err may succeed when tried again: a timeout or a missing
// responder, a connection that is (re)connecting, a server answering 5xx,
// an R>1 placement without enough peers yet, or a stream name taken by a
// twin that created it at the same moment.
func Transient(err error) bool {
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, nats.ErrTimeout),
		errors.Is(err, nats.ErrNoResponders), errors.Is(err, jetstream.ErrNoStreamResponse),
		errors.Is(err, nats.ErrDisconnected), errors.Is(err, nats.ErrConnectionReconnecting),
		errors.Is(err, jetstream.ErrJetStreamNotEnabled), errors.Is(err, jetstream.ErrStreamNameAlreadyInUse):
		return true
	}
	var api *jetstream.APIError
	if errors.As(err, &api) {
		switch api.ErrorCode {
		case jetstream.JSErrCodeStreamNameInUse, codeNoSuitablePeers, codeInsufficientResource, codeClusterNotAvailable:
			return true
		}
		return api.Code >= 500 && api.ErrorCode != codeReplicasNotSupported
	}
	return false
}
