package deliveryapi

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookwire/hookwire/pkg/bus"
	"github.com/hookwire/hookwire/pkg/eventtype"
	"github.com/hookwire/hookwire/pkg/subscription"
	"github.com/hookwire/hookwire/services/dispatcher/deliverylog"
	"github.com/hookwire/hookwire/services/dispatcher/match"
	"github.com/hookwire/hookwire/services/dispatcher/task"
)

const replayBatch = 256

// replay is one Replay request's scan of EVENTS.
type replay struct {
	s       *Server
	rec     *subscription.Record
	w       window
	run     string
	matched int64
	queued  int64
	batch   []task.Task
}

// scan reads the window's events with an ephemeral consumer that receives
// headers only (routing facts live there) on just the subjects of the
// subscription's event types, starting at the window's start time.
func (r *replay) scan(ctx context.Context) error {
	cons, err := r.s.events.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{
		FilterSubjects:    subjects(r.rec.EventTypes),
		DeliverPolicy:     jetstream.DeliverByStartTimePolicy,
		OptStartTime:      &r.w.start,
		AckPolicy:         jetstream.AckNonePolicy,
		HeadersOnly:       true,
		MemoryStorage:     true,
		InactiveThreshold: time.Minute,
	})
	if err != nil {
		return fmt.Errorf("replay: create consumer on %s: %w", bus.EventsStream, err)
	}
	name := cons.CachedInfo().Name
	defer func() {
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = r.s.events.DeleteConsumer(dctx, name) // else it expires after InactiveThreshold
	}()
	pending, past := cons.CachedInfo().NumPending, false
	for pending > 0 && !past {
		fctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		msgs, err := cons.Fetch(int(min(pending, replayBatch)), jetstream.FetchContext(fctx))
		if err != nil {
			cancel()
			return fmt.Errorf("replay: fetch events: %w", err)
		}
		n := 0
		for m := range msgs.Messages() {
			n++
			if past || err != nil {
				continue // drain
			}
			pending, past, err = r.take(ctx, m)
		}
		cancel()
		if err != nil {
			return err
		}
		if ctx.Err() != nil {
			return fmt.Errorf("replay: %w", ctx.Err())
		}
		if n == 0 {
			break // events expired meanwhile
		}
	}
	return r.flush(ctx)
}

// take handles one event: past is true once the window's end is passed.
func (r *replay) take(ctx context.Context, m jetstream.Msg) (pending uint64, past bool, err error) {
	md, err := m.Metadata()
	if err != nil {
		return 0, false, fmt.Errorf("replay: %w", err)
	}
	if md.Timestamp.After(r.w.end) {
		return 0, true, nil
	}
	meta, err := bus.ReadMeta(m.Headers())
	if err != nil {
		r.s.logger.WarnContext(ctx, "replay: skipping unreadable event", "seq", md.Sequence.Stream, "error", err)
		return md.NumPending, false, nil
	}
	if !match.Matches(r.rec, meta) {
		return md.NumPending, false, nil
	}
	r.matched++
	id := deliverylog.ID(r.rec.ID, meta.Scope, meta.ID)
	if !r.w.includeDelivered {
		d, err := r.s.log.Get(ctx, id)
		if err == nil && d.State == deliverylog.Delivered {
			return md.NumPending, false, nil
		}
		if err != nil && !errors.Is(err, deliverylog.ErrNotFound) {
			return 0, false, err
		}
	}
	r.batch = append(r.batch, task.Task{DeliveryID: id, SubscriptionID: r.rec.ID, EventID: meta.ID,
		EventSeq: md.Sequence.Stream, Step: 0, Trigger: task.Replay, Run: r.run})
	if len(r.batch) >= replayBatch {
		return md.NumPending, false, r.flush(ctx)
	}
	return md.NumPending, false, nil
}

// flush enqueues the collected tasks, in one batch when the queue can.
func (r *replay) flush(ctx context.Context) error {
	if len(r.batch) == 0 {
		return nil
	}
	if b, ok := r.s.queue.(batchEnqueuer); ok {
		if err := b.EnqueueAll(ctx, r.batch); err != nil {
			return err
		}
	} else {
		for _, t := range r.batch {
			if err := r.s.queue.Enqueue(ctx, t); err != nil {
				return err
			}
		}
	}
	r.queued += int64(len(r.batch))
	r.batch = r.batch[:0]
	return nil
}

// subjects are the EVENTS subjects a subscription's patterns cover, without
// overlaps (a consumer refuses overlapping filters): "a.b.*" is the subject
// "…a.b.>", which covers "…a.b.c" and "…a.b.c.*".
func subjects(patterns []string) []string {
	set := map[string]bool{}
	for _, p := range patterns {
		if p == eventtype.Wildcard {
			return []string{bus.EventsSubjectPrefix + ">"}
		}
		if prefix, ok := strings.CutSuffix(p, ".*"); ok {
			set[bus.EventsSubjectPrefix+prefix+".>"] = true
		} else {
			set[bus.EventsSubjectPrefix+p] = true
		}
	}
	var out []string
	for x := range set {
		if !coveredByOther(x, set) {
			out = append(out, x)
		}
	}
	if len(out) == 0 {
		return []string{bus.EventsSubjectPrefix + ">"}
	}
	slices.Sort(out)
	return out
}

func coveredByOther(x string, set map[string]bool) bool {
	for y := range set {
		if stem, ok := strings.CutSuffix(y, ">"); ok && y != x && strings.HasPrefix(x, stem) {
			return true
		}
	}
	return false
}
