// Package dispatcher is the dispatcher service: it fans each accepted event
// out to the matching subscriptions and delivers it, signed, with retries.
//
//	EVENTS --fanout--> DELIVERIES --lanes--> workers --> POST subscriber
//	                       ^            |  (per-subscription cap and rate limit;
//	                       |            |   overflow held in Redis, released as
//	                       |            |   the lane drains)
//	                       |            +--> retry (Redis ZSET) --due--+
//	                       +-------------------------------------------+
//	                       +---- park (Redis, per paused subscription) on resume
//
// First attempts and retries use separate subjects, consumers and worker
// shares (package lane). Repeatedly exhausted subscriptions are suspended,
// and Hookwire's own operational events are published back to EVENTS
// (package ops).
//
// Subscriptions come from an in-memory match index kept current by
// watching the registry's KV bucket; every attempt goes to the delivery log.
// See packages fanout, worker, retry, park and task.
package dispatcher

import (
	"time"

	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/redis/go-redis/v9"
	"google.golang.org/grpc"

	"github.com/hookwire/hookwire/pkg/auth"
	"github.com/hookwire/hookwire/pkg/bus"
	"github.com/hookwire/hookwire/pkg/deliver"
	"github.com/hookwire/hookwire/pkg/seal"
	"github.com/hookwire/hookwire/pkg/subscription"
	"github.com/hookwire/hookwire/services/dispatcher/clock"
	"github.com/hookwire/hookwire/services/dispatcher/dedup"
	"github.com/hookwire/hookwire/services/dispatcher/deliveryapi"
	"github.com/hookwire/hookwire/services/dispatcher/deliverylog"
	"github.com/hookwire/hookwire/services/dispatcher/fanout"
	"github.com/hookwire/hookwire/services/dispatcher/lane"
	"github.com/hookwire/hookwire/services/dispatcher/mail"
	"github.com/hookwire/hookwire/services/dispatcher/match"
	"github.com/hookwire/hookwire/services/dispatcher/notice"
	"github.com/hookwire/hookwire/services/dispatcher/ops"
	"github.com/hookwire/hookwire/services/dispatcher/park"
	"github.com/hookwire/hookwire/services/dispatcher/ratelimit"
	"github.com/hookwire/hookwire/services/dispatcher/retry"
	"github.com/hookwire/hookwire/services/dispatcher/streak"
	"github.com/hookwire/hookwire/services/dispatcher/task"
	"github.com/hookwire/hookwire/services/dispatcher/worker"
)

// Deps are the dispatcher's dependencies.
type Deps struct {
	JS     jetstream.JetStream   // required
	Redis  redis.UniversalClient // required
	Logger *slog.Logger          // nil: slog.Default()
	Clock  clock.Clock           // nil: the system clock
	// Box opens sealed secrets; nil: built from Config.MasterKey (or the
	// dev key file). `hookwire dev` may pass the registry's.
	Box *seal.Box
}

// Service is the dispatcher.
type Service struct {
	cfg      Config
	log      *slog.Logger
	clock    clock.Clock
	store    *subscription.Store
	index    *match.Index
	queue    *task.Queue
	events   jetstream.Stream
	dlog     deliverylog.Store
	retries  *retry.Scheduler
	lot      *park.Lot
	held     *park.Lot // tasks held at their subscription's in-flight cap (package lane)
	releaser *park.Releaser
	fanout   *fanout.Fanout
	worker   *worker.Worker
	sender   *deliver.Client
	fanCons  jetstream.Consumer
	delCons  jetstream.Consumer
	retCons  jetstream.Consumer
	lanes    *lane.Lanes
	notifier *ops.Notifier
	notices  *notice.Runner // nil without an SMTP server
	api      *deliveryapi.Server
	ready    chan struct{}
}

// Durable consumer names on DELIVERIES: first attempts, and Later tasks.
const (
	DeliverConsumer = "deliver"
	RetryConsumer   = "deliver-later"
)

// routers is how many goroutines per consumer hand messages to the lanes.
const routers = 4

// New opens the streams, buckets and consumers the dispatcher uses. Call
// Run to start fanning out and delivering.
func New(ctx context.Context, cfg Config, deps Deps) (*Service, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if deps.JS == nil || deps.Redis == nil {
		return nil, errors.New("dispatcher: Deps.JS and Deps.Redis are required")
	}
	s := &Service{cfg: cfg, log: deps.Logger, clock: deps.Clock, index: match.New(), ready: make(chan struct{})}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.clock == nil {
		s.clock = clock.System{}
	}
	box := deps.Box
	if box == nil {
		var err error
		if box, err = masterBox(cfg, s.log); err != nil {
			return nil, err
		}
	}
	if err := s.open(ctx, deps.JS); err != nil {
		return nil, err
	}
	allow := cfg.AllowCIDRs
	if cfg.Dev {
		allow = append(allow, netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128"))
		s.log.Warn("DEV MODE: deliveries may reach loopback addresses")
	}
	s.sender = deliver.NewClient(deliver.Options{AllowCIDRs: allow, HTTPSOnly: cfg.HTTPSOnly, Now: s.clock.Now})
	s.retries = retry.New(deps.Redis, s.queue, s.clock, s.log, cfg.RetryPollInterval)
	s.lot = park.New(deps.Redis, s.queue, s.clock, s.log)
	s.releaser = park.NewReleaser(s.lot, s.index, s.log, 0)
	s.fanout = fanout.New(s.index, dedup.New(deps.Redis, cfg.DedupTTL), s.queue, s.log,
		fanout.Options{DuplicateWindow: cfg.DeliveriesDuplicateWindow, Seen: func(seq uint64, accepted time.Time, m bus.Meta, body []byte, tp string) {
			s.worker.Remember(seq, accepted, m, body, tp) // s.worker is set below, before Run
		}})
	pub := ops.NewPublisher(deps.JS)
	streaks := streak.New(deps.Redis)
	s.notices = s.noticeRunner(deps.Redis)
	var outbox ops.Outbox
	if s.notices != nil {
		outbox = s.notices.Outbox()
	}
	s.notifier = ops.NewNotifier(ops.NotifierDeps{Publisher: pub, Outbox: outbox, Streaks: streaks, Redis: deps.Redis,
		Logger: s.log, Recovered: cfg.Notices.Recovered})
	s.worker = worker.New(worker.Deps{
		Index: s.index, Events: s.events, Sender: s.sender, Log: s.dlog,
		Retries: s.retries, Parking: s.lot, Box: box, Clock: s.clock, Logger: s.log,
		Suspender: suspender{store: s.store, index: s.index, clock: s.clock, log: s.log, notifier: s.notifier, streaks: streaks},
		Streaks:   streaks, Announcer: pub,
		Wake: s.releaser.Wake,
	}, worker.Options{Timeout: cfg.DeliveryTimeout, Jitter: cfg.RetryJitter, SuspendAfter: cfg.SuspendAfter})
	s.held = park.NewWithKeys(deps.Redis, s.queue, s.clock, s.log, lane.HeldPrefix, lane.HeldListKey)
	s.lanes = lane.New(s.index, ratelimit.New(deps.Redis), s.held, s.worker.Attempt, s.log, s.laneOptions())
	s.api = deliveryapi.New(deliveryapi.Deps{
		Log: s.dlog, Subscriptions: s.store, Events: s.events, Enqueuer: s.queue,
		Clock: s.clock.Now, Logger: s.log,
	})
	return s, nil
}

// noticeRunner is the sender of the notice e-mails' outbox; nil without an
// SMTP server. What bounds held deliveries is what EVENTS really keeps.
func (s *Service) noticeRunner(rdb redis.UniversalClient) *notice.Runner {
	if s.cfg.SMTP.Addr == "" {
		s.log.Info("no HOOKWIRE_SMTP_ADDR: notice e-mails (suspended, recovered) will not be sent")
		return nil
	}
	comp := mail.Composer{From: s.cfg.SMTP.From, ConsoleURL: s.cfg.Notices.ConsoleURL, EventsMaxAge: s.events.CachedInfo().Config.MaxAge}
	return notice.NewRunner(notice.Deps{
		Outbox: notice.NewOutbox(rdb, s.clock), Sender: mail.New(s.cfg.SMTP), Composer: comp,
		Held: s.lot, Clock: s.clock, Logger: s.log,
	}, s.cfg.Notices.WarnAfter)
}

// open creates (or finds) the streams, buckets and durable consumers.
func (s *Service) open(ctx context.Context, js jetstream.JetStream) error {
	var err error
	if s.store, err = subscription.Open(ctx, js, s.cfg.StreamReplicas); err != nil {
		return err
	}
	if s.events, err = bus.FindOrCreateStream(ctx, js, bus.EventsConfig(s.cfg.StreamReplicas, s.cfg.EventsDuplicateWindow, s.cfg.EventsMaxAge)); err != nil {
		return err // names the stream
	}
	qcfg := task.QueueConfig{Replicas: s.cfg.StreamReplicas, Dedup: s.cfg.DeliveriesDuplicateWindow, AckTimeout: s.cfg.PublishAckTimeout}
	if s.queue, err = task.OpenQueue(ctx, js, qcfg); err != nil {
		return err
	}
	if s.dlog, err = deliverylog.OpenStore(ctx, js, s.cfg.DeliveryLog, s.clock.Now, s.log); err != nil {
		return err
	}
	fcfg := fanout.ConsumerConfig(s.cfg.AckWait, replicaHeadroom*(fanoutBuffer(s.cfg)+s.cfg.FanoutWorkers))
	if s.fanCons, err = s.events.CreateOrUpdateConsumer(ctx, fcfg); err != nil {
		return fmt.Errorf("open consumer %s on %s: %w", fanout.Consumer, bus.EventsStream, err)
	}
	if s.delCons, err = s.deliveryConsumer(ctx, DeliverConsumer, task.SubjectPrefix, lane.First); err != nil {
		return err
	}
	s.retCons, err = s.deliveryConsumer(ctx, RetryConsumer, task.RetrySubjectPrefix, lane.Later)
	return err
}

// replicaHeadroom is how many replicas' worth of unsettled messages a
// consumer's MaxAckPending allows. Each process bounds what it owns itself
// (the fan-out by its pull buffer and workers, the lanes by
// lane.Options.MaxUnsettled), so MaxAckPending is no budget that replicas
// share: a replica killed with all it owned holds 1/replicaHeadroom of it
// until AckWait, and the others go on.
const replicaHeadroom = 16

// fanoutBuffer is the fan-out pull buffer.
func fanoutBuffer(cfg Config) int { return 4 * cfg.FanoutWorkers }

// deliveryConsumer opens the durable consumer of the tasks of class c
// (under prefix). What one process owns of it is at most the lanes'
// MaxUnsettled plus its pull buffer (the class's workers).
func (s *Service) deliveryConsumer(ctx context.Context, name, prefix string, c lane.Class) (jetstream.Consumer, error) {
	own := s.laneOptions().MaxUnsettled[c] + s.laneOptions().Workers[c]
	cons, err := s.queue.Stream().CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{
		Durable:       name,
		Description:   "Hookwire delivery workers (" + prefix + "*)",
		FilterSubject: prefix + ">",
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       s.cfg.AckWait,
		MaxAckPending: replicaHeadroom * own,
		MaxDeliver:    -1,
	})
	if err != nil {
		return nil, fmt.Errorf("open consumer %s on %s: %w", name, task.Stream, err)
	}
	return cons, nil
}

// laneOptions are the lanes' settings from the config.
func (s *Service) laneOptions() lane.Options {
	workers := [2]int{s.cfg.DeliveryWorkers, s.cfg.RetryWorkers}
	waiting := 4 * (workers[lane.First] + workers[lane.Later])
	return lane.Options{
		MaxInFlight: s.cfg.MaxInFlight,
		Workers:     workers,
		MaxWaiting:  waiting,
		Touch:       s.cfg.AckWait / 3,
		Grace:       s.cfg.ShutdownGrace,
	}.Resolved()
}

// Register registers the gRPC DeliveryService (package deliveryapi).
func (s *Service) Register(g grpc.ServiceRegistrar) { s.api.Register(g) }

// AuthRules maps each DeliveryService method to the permission it requires.
func (s *Service) AuthRules() auth.Rules { return deliveryapi.AuthRules() }
