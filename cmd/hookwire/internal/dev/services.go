package dev

import (
	"context"
	"encoding/hex"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookwire/hookwire/pkg/seal"
	"github.com/hookwire/hookwire/services/dispatcher"
	"github.com/hookwire/hookwire/services/ingest"
	"github.com/hookwire/hookwire/services/registry"
)

// buildServices constructs the registry, ingest and dispatcher in dev mode
// over the shared JetStream, Redis and master key. Dev mode: no tokens
// needed unless a tokens file is given, http:// and loopback endpoints
// allowed (each service logs a warning), the reference catalog preloaded.
func (s *Stack) buildServices(ctx context.Context, js jetstream.JetStream, masterKey []byte) error {
	rcfg := registry.DefaultConfig()
	rcfg.Dev = true
	rcfg.AllowHTTP = true
	rcfg.DataDir = s.opts.DataDir
	rcfg.MasterKey = hex.EncodeToString(masterKey)
	rcfg.MasterKeysPrevious = s.opts.MasterKeysPrevious
	rcfg.TokensFile = s.opts.TokensFile
	reg, err := registry.New(ctx, rcfg, registry.Deps{JS: js, Logger: s.log.With("service", "registry")})
	if err != nil {
		return fmt.Errorf("start registry: %w", err)
	}
	s.services = append(s.services, reg)
	s.readyWhen("registry", reg.Ready())

	icfg := ingest.DefaultConfig()
	icfg.Dev = true
	icfg.TokensFile = s.opts.TokensFile
	icfg.RedisURL = s.redis.URL // the event records, shared with the dispatcher
	in, err := ingest.New(ctx, icfg, ingest.Deps{JS: js, Redis: s.redis.Client, Logger: s.log.With("service", "ingest")})
	if err != nil {
		return fmt.Errorf("start ingest: %w", err)
	}
	s.services = append(s.services, in)
	s.readyWhen("ingest", in.Ready())

	box, _, err := seal.ResolveBox(rcfg.MasterKey, rcfg.MasterKeysPrevious, true, "")
	if err != nil {
		return err
	}
	dcfg := dispatcher.DefaultConfig()
	dcfg.Dev = true
	dcfg.DataDir = s.opts.DataDir
	dcfg.MasterKey = rcfg.MasterKey
	dcfg.TokensFile = s.opts.TokensFile
	dcfg.RedisURL = s.redis.URL
	dcfg.DeliveryLog.URL = s.opts.DeliveryLogURL
	disp, err := dispatcher.New(ctx, dcfg, dispatcher.Deps{
		JS: js, Redis: s.redis.Client, Box: box, Logger: s.log.With("service", "dispatcher"),
	})
	if err != nil {
		return fmt.Errorf("start dispatcher: %w", err)
	}
	s.services = append(s.services, disp)
	s.readyWhen("dispatcher", disp.Ready())
	return nil
}

// readyWhen makes WaitReady and /readyz wait for ready.
func (s *Stack) readyWhen(service string, ready <-chan struct{}) {
	s.ready = append(s.ready, ready)
	s.readyNames = append(s.readyNames, service)
}
