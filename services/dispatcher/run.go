package dispatcher

import (
	"context"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
	"golang.org/x/sync/errgroup"

	"github.com/hookwire/hookwire/services/dispatcher/deliverylog"
	"github.com/hookwire/hookwire/services/dispatcher/lane"
	"github.com/hookwire/hookwire/services/dispatcher/match"
	"github.com/hookwire/hookwire/services/dispatcher/pool"
	"github.com/hookwire/hookwire/services/dispatcher/task"
)

// Run keeps the match index current and, once it holds every subscription,
// fans out events, delivers tasks, releases due retries and parked tasks,
// until ctx ends. Then it stops pulling, hands back every message it has
// not started (nak without delay: another replica takes it at once), and
// gives the attempts in flight HOOKWIRE_SHUTDOWN_GRACE to finish and be
// recorded (package lane). Whatever is still unsettled when the process
// dies is redelivered by JetStream after AckWait, so stopping at any
// moment loses nothing.
func (s *Service) Run(ctx context.Context) error {
	reg, err := (&gauges{s: s}).register()
	if err != nil {
		return fmt.Errorf("dispatcher metrics: %w", err)
	}
	defer func() { _ = reg.Unregister() }()
	g, ctx := errgroup.WithContext(ctx)
	synced := make(chan struct{})
	g.Go(func() error { return s.notifier.Run(ctx) })
	if s.notices != nil {
		g.Go(func() error { return s.notices.Run(ctx) })
	}
	g.Go(func() error { return s.watch(ctx, synced) })
	g.Go(func() error { return s.dlog.Run(ctx) }) // partitions ahead, retention
	g.Go(func() error {
		select {
		case <-ctx.Done():
			return nil
		case <-synced:
		}
		s.log.Info("dispatcher running", "subscriptions", s.index.Len(), "delivery_workers", s.cfg.DeliveryWorkers,
			"retry_workers", s.cfg.RetryWorkers, "fanout_workers", s.cfg.FanoutWorkers)
		g.Go(func() error {
			return pool.Run(ctx, s.fanCons, pool.Options{Workers: s.cfg.FanoutWorkers, Buffer: fanoutBuffer(s.cfg),
				KeepAlive: s.cfg.AckWait / 3}, s.log, s.fanout.Handle)
		})
		g.Go(func() error { return s.lanes.Run(ctx) })
		for c, cons := range map[lane.Class]jetstream.Consumer{lane.First: s.delCons, lane.Later: s.retCons} {
			buffer := s.cfg.DeliveryWorkers
			if c == lane.Later {
				buffer = s.cfg.RetryWorkers
			}
			g.Go(func() error {
				// No KeepAlive: the lanes keep their messages alive from Submit on.
				return pool.Run(ctx, cons, pool.Options{Workers: routers, Buffer: buffer}, s.log,
					func(ctx context.Context, msg jetstream.Msg) { s.lanes.Submit(ctx, c, msg) })
			})
		}
		g.Go(func() error { return s.retries.Run(ctx) })
		g.Go(func() error { return s.releaser.Run(ctx) })
		close(s.ready)
		return nil
	})
	err = g.Wait()
	s.sender.CloseIdleConnections()
	s.dlog.Close() // after the lanes: attempts in flight are recorded first
	return err
}

// Ready is closed once Run has synced the index and started consuming.
func (s *Service) Ready() <-chan struct{} { return s.ready }

// Queue is the DELIVERIES queue (Redeliver and Replay enqueue on it).
func (s *Service) Queue() *task.Queue { return s.queue }

// DeliveryLog is the delivery log the workers write.
func (s *Service) DeliveryLog() deliverylog.Store { return s.dlog }

// Index is the match index of subscriptions.
func (s *Service) Index() *match.Index { return s.index }
