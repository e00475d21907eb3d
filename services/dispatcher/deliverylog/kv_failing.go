package deliverylog

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookwire/hookwire/pkg/scope"
)

// clockSkew is how far the dispatchers' clocks (attempt start times) may
// run ahead of the NATS server's (message times); Failing reads that much
// earlier than its window.
const clockSkew = 5 * time.Minute

// Failing reads the records written since the window's start (less
// clockSkew): an attempt is written after it starts, and a record's one
// message is its latest write, so any record holding an attempt of the
// window was written since. The work is the records written since the
// window opened, not the bucket.
func (l *Log) Failing(ctx context.Context, f FailureFilter, limit int) ([]Failures, error) {
	if err := f.check(); err != nil {
		return nil, err
	}
	type last struct {
		at       time.Time
		delivery string
		n        int
	}
	bySub := map[string]*Failures{}
	lastOf := map[string]last{}
	err := l.each(ctx, f.Since.Add(-clockSkew), func(d Delivery) {
		if !scope.Within(d.SubscriptionScope, f.Scope) {
			return
		}
		for _, a := range d.Attempts {
			if !a.Failed() || a.StartedAt.Before(f.Since) || !a.StartedAt.Before(f.Until) {
				continue
			}
			x := bySub[d.SubscriptionID]
			if x == nil {
				x = &Failures{SubscriptionID: d.SubscriptionID}
				bySub[d.SubscriptionID] = x
			}
			x.Attempts++
			cur, key := lastOf[d.SubscriptionID], last{a.StartedAt, d.ID, a.Number}
			if x.Attempts == 1 || key.at.After(cur.at) || key.at.Equal(cur.at) &&
				(key.delivery > cur.delivery || key.delivery == cur.delivery && key.n > cur.n) {
				lastOf[d.SubscriptionID] = key
				x.LastAt, x.LastStatus, x.LastError = a.StartedAt, a.Status, a.Summary()
			}
		}
	})
	if err != nil {
		return nil, fmt.Errorf("rank failing subscriptions: %w", err)
	}
	out := make([]Failures, 0, len(bySub))
	for _, x := range bySub {
		out = append(out, *x)
	}
	slices.SortFunc(out, compareFailing)
	return out[:min(len(out), failingLimit(limit))], nil
}

// each calls fn with every record whose latest write is at or after
// since, through a short-lived ephemeral consumer on the bucket's stream.
func (l *Log) each(ctx context.Context, since time.Time, fn func(Delivery)) error {
	cons, err := l.stream.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{
		FilterSubject:     "$KV." + Bucket + ".*.*",
		DeliverPolicy:     jetstream.DeliverByStartTimePolicy,
		OptStartTime:      &since,
		AckPolicy:         jetstream.AckNonePolicy,
		MemoryStorage:     true,
		InactiveThreshold: time.Minute,
	})
	if err != nil {
		return fmt.Errorf("create consumer: %w", err)
	}
	info := cons.CachedInfo()
	defer func() {
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = l.stream.DeleteConsumer(dctx, info.Name)
	}()
	for pending := info.NumPending; pending > 0; {
		fctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		msgs, err := cons.Fetch(int(min(pending, 256)), jetstream.FetchContext(fctx))
		if err != nil {
			cancel()
			return fmt.Errorf("fetch: %w", err)
		}
		n, takeErr := 0, error(nil)
		for m := range msgs.Messages() {
			n++
			meta, err := m.Metadata()
			if err != nil {
				takeErr = err
				continue
			}
			pending = meta.NumPending
			if m.Headers().Get(kvOperation) != "" || takeErr != nil {
				continue // a delete or purge marker
			}
			d, err := decode(m.Data())
			if err != nil {
				takeErr = fmt.Errorf("%s: %w", strings.TrimPrefix(m.Subject(), "$KV."+Bucket+"."), err)
				continue
			}
			fn(d)
		}
		cancel()
		switch {
		case takeErr != nil:
			return takeErr
		case ctx.Err() != nil:
			return ctx.Err()
		case n == 0:
			pending = 0 // records rewritten or expired since the count
		}
	}
	return nil
}
