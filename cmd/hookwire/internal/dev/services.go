package dev

import (
	"context"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookwire/hookwire/services/ingest"
)

// buildServices constructs the registry, ingest and dispatcher in dev mode
// over the shared JetStream, Redis and master key.
func (s *Stack) buildServices(ctx context.Context, js jetstream.JetStream, masterKey []byte) error {
	_ = masterKey
	icfg := ingest.DefaultConfig()
	icfg.Dev = true
	in, err := ingest.New(ctx, icfg, ingest.Deps{JS: js, Logger: s.log.With("service", "ingest")})
	if err != nil {
		return fmt.Errorf("start ingest: %w", err)
	}
	s.services = append(s.services, in)
	s.ready = append(s.ready, in.Ready())
	return nil
}
