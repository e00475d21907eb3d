package deliverylog

import (
	"context"
	"errors"
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

// DefaultScanBudget is how many records the KV store's Failing reads at
// most: a read token cannot make a dispatcher decode a whole bucket.
// BenchmarkKVFailingBudget read 100,000 records in 3.6 s (308 MB
// allocated) on 2 shared cores; half that bounds one request to about 2 s.
const DefaultScanBudget = 50_000

// emptyFetches is how many fetches in a row may come back empty while the
// consumer still counts records pending (a stream leader change) before
// Failing gives up with an error rather than short counts.
const emptyFetches = 3

// Failing reads the records written since the window's start (less
// clockSkew): an attempt is written after it starts, and a record's one
// message is its latest write, so any record holding an attempt of the
// window was written since. The work is the records written since the
// window opened, not the bucket, and at most the scan budget: past it,
// only the newest records are read and the ranking is Truncated.
func (l *Log) Failing(ctx context.Context, f FailureFilter, limit int) (Ranking, error) {
	if err := f.check(); err != nil {
		return Ranking{}, err
	}
	type last struct {
		at       time.Time
		delivery string
		n        int
	}
	bySub := map[string]*Failures{}
	lastOf := map[string]last{}
	truncated, err := l.each(ctx, f.Since.Add(-clockSkew), func(d Delivery) {
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
		return Ranking{}, fmt.Errorf("rank failing subscriptions: %w", err)
	}
	out := make([]Failures, 0, len(bySub))
	for _, x := range bySub {
		if f.After.SubscriptionID == "" || compareFailing(*x, f.After) > 0 {
			out = append(out, *x)
		}
	}
	slices.SortFunc(out, compareFailing)
	return Ranking{Subscriptions: out[:min(len(out), failingLimit(limit))], Truncated: truncated}, nil
}

// each calls fn with every record whose latest write is at or after
// since, through a short-lived ephemeral consumer on the bucket's stream,
// and reports whether it stopped at the scan budget. When more records
// than the budget were written since, it reads the newest ones: the
// consumer starts budget sequences before the stream's last.
func (l *Log) each(ctx context.Context, since time.Time, fn func(Delivery)) (truncated bool, err error) {
	cfg := jetstream.ConsumerConfig{
		FilterSubject:     "$KV." + Bucket + ".*.*",
		DeliverPolicy:     jetstream.DeliverByStartTimePolicy,
		OptStartTime:      &since,
		AckPolicy:         jetstream.AckNonePolicy,
		MemoryStorage:     true,
		InactiveThreshold: time.Minute,
	}
	cons, done, err := l.scanConsumer(ctx, cfg)
	if err != nil {
		return false, err
	}
	if cons.CachedInfo().NumPending > uint64(l.budget) {
		done()
		info, err := l.stream.Info(ctx)
		if err != nil {
			return false, fmt.Errorf("stream info: %w", err)
		}
		cfg.DeliverPolicy, cfg.OptStartTime = jetstream.DeliverByStartSequencePolicy, nil
		cfg.OptStartSeq = info.State.LastSeq - uint64(l.budget) + 1
		if cons, done, err = l.scanConsumer(ctx, cfg); err != nil {
			return false, err
		}
		truncated = true
	}
	defer done()
	name := cons.CachedInfo().Name
	read, empties := 0, 0
	for pending := cons.CachedInfo().NumPending; pending > 0; {
		if read == l.budget {
			return true, nil // records written since the scan began
		}
		n, left, err := l.batch(ctx, cons, int(min(pending, 256, uint64(l.budget-read))), fn)
		if err != nil {
			return false, err
		}
		if l.afterBatch != nil {
			l.afterBatch(name)
		}
		read += n
		if n > 0 {
			pending, empties = left, 0
			continue
		}
		// Nothing came: the records may have been rewritten or expired
		// since the count, or the stream may be between leaders. The
		// consumer's own count says which.
		info, err := cons.Info(ctx)
		if err != nil {
			return false, fmt.Errorf("an empty fetch with %d records pending: consumer info: %w", pending, err)
		}
		if pending = info.NumPending; pending > 0 {
			if empties++; empties == emptyFetches {
				return false, fmt.Errorf("%d empty fetches with %d records pending", empties, pending)
			}
		}
	}
	return truncated, nil
}

// scanConsumer creates the ephemeral consumer of a scan and returns it
// with the function that deletes it.
func (l *Log) scanConsumer(ctx context.Context, cfg jetstream.ConsumerConfig) (jetstream.Consumer, func(), error) {
	cons, err := l.stream.CreateOrUpdateConsumer(ctx, cfg)
	if err != nil {
		return nil, nil, fmt.Errorf("create consumer: %w", err)
	}
	name := cons.CachedInfo().Name
	return cons, func() {
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = l.stream.DeleteConsumer(dctx, name)
	}, nil
}

// batch fetches up to size records and calls fn with each; it returns how
// many messages came and the records pending after the last. A fetch that
// fails, other than by its own time running out, is an error: counts
// short of a batch would be wrong with no word.
func (l *Log) batch(ctx context.Context, cons jetstream.Consumer, size int, fn func(Delivery)) (n int, pending uint64, err error) {
	fctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	msgs, err := cons.Fetch(size, jetstream.FetchContext(fctx))
	if err != nil {
		return 0, 0, fmt.Errorf("fetch: %w", err)
	}
	var takeErr error
	for m := range msgs.Messages() {
		n++
		meta, err := m.Metadata()
		if err != nil {
			if takeErr == nil {
				takeErr = err
			}
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
	switch err := msgs.Error(); {
	case takeErr != nil:
		return n, pending, takeErr
	case ctx.Err() != nil:
		return n, pending, ctx.Err()
	case err != nil && !errors.Is(err, context.DeadlineExceeded):
		return n, pending, fmt.Errorf("fetch: %w", err)
	}
	return n, pending, nil
}
