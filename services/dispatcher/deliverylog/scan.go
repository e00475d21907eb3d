package deliverylog

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// kvOperation is the header JetStream KV puts on delete and purge markers.
const kvOperation = "KV-Operation"

// scan reads one page from a consumer on the bucket's stream.
type scan struct {
	f        Filter
	pageSize int
	budget   int    // records this page may still read
	pending  uint64 // matching records after the last one read
	last     uint64 // stream sequence of the last record read
	out      []Delivery
}

func (s *scan) done() bool {
	return s.pending == 0 || s.budget == 0 || len(s.out) == s.pageSize
}

func (s *scan) run(ctx context.Context, cons jetstream.Consumer) error {
	for !s.done() {
		batch := int(min(s.pending, uint64(s.budget), 256))
		if s.f == (Filter{SubscriptionID: s.f.SubscriptionID}) {
			batch = min(batch, s.pageSize-len(s.out)) // every record read is kept
		}
		n, err := s.fetch(ctx, cons, batch)
		if err != nil {
			return err
		}
		if n == 0 {
			s.pending = 0 // records vanished (rewritten or expired) meanwhile
		}
	}
	return nil
}

// fetch reads one batch; the records are known to exist, so the wait is
// only a guard against ones rewritten or expired since the count.
func (s *scan) fetch(ctx context.Context, cons jetstream.Consumer, batch int) (int, error) {
	fctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	msgs, err := cons.Fetch(batch, jetstream.FetchContext(fctx))
	if err != nil {
		return 0, fmt.Errorf("list deliveries: fetch: %w", err)
	}
	n := 0
	var takeErr error
	for m := range msgs.Messages() {
		n++
		if takeErr == nil && !s.done() {
			takeErr = s.take(m)
		}
	}
	if takeErr != nil {
		return n, takeErr
	}
	if ctx.Err() != nil {
		return n, fmt.Errorf("list deliveries: %w", ctx.Err())
	}
	return n, nil
}

func (s *scan) take(m jetstream.Msg) error {
	meta, err := m.Metadata()
	if err != nil {
		return fmt.Errorf("list deliveries: %w", err)
	}
	s.last, s.pending = meta.Sequence.Stream, meta.NumPending
	s.budget--
	if op := m.Headers().Get(kvOperation); op != "" {
		return nil // a delete or purge marker
	}
	d, err := decode(m.Data())
	if err != nil {
		return fmt.Errorf("list deliveries: %s: %w", m.Subject(), err)
	}
	if s.f.Matches(d) {
		s.out = append(s.out, d)
	}
	return nil
}
