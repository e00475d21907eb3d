// Package pool runs a bounded number of goroutines over a JetStream pull
// consumer: the dispatcher's fan-out and delivery loops share it.
//
// # Why it fetches instead of iterating
//
// The pool pulls with Consumer.Fetch, one request at a time, for no more
// messages than it has room for (credit). It used Consumer.Messages, and
// that stalled: a recovered subscriber's backlog drained in steps 30 s
// apart, each after "pull from consumer: nats: no heartbeat received".
// The cause is in how the iterator buffers. Its pull requests are answered
// into a channel of PullMaxMessages entries that only Next reads, and
// nats.go drops whatever arrives at a full channel (a client-side slow
// consumer). The channel holds the messages a request brought and also
// the request's idle heartbeats and the status that ends it (408 Request
// Timeout, with how many messages it did not bring). When every handler
// is blocked — a router in Submit waiting for room or for a worker, which
// is the lanes' backpressure — nobody calls Next, the buffered messages
// and the heartbeats of a request still open at the server fill the
// channel, and the 408 is dropped (a message arriving then is dropped
// too, and waits for AckWait). The iterator still counts the dropped
// request's messages as coming, so it asks for no more until it notices
// two missing heartbeats: 30 s with the library's defaults, still about
// 2 s with the 5 s expiry and 1 s heartbeat that only shortened the step.
//
// A Fetch cannot drop: its own goroutine reads every reply of its request
// into a channel as large as the batch, whether or not the handlers read,
// and it ends with the request (expiry, a missing heartbeat, or a full
// batch). The pool fetches only when half of its credit (Workers + Buffer)
// is free, so the handlers always have the other half in hand while the
// next request travels, and while they are all blocked no request is open
// at all.
package pool

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Handler processes one message and settles it (ack, nak or term), or
// hands it to an owner that will.
type Handler func(ctx context.Context, msg jetstream.Msg)

// Options tune Run.
type Options struct {
	Workers int // goroutines calling the handler; default 1
	Buffer  int // messages pulled ahead of the handlers; default 1
	// KeepAlive, when positive, tells JetStream that a message whose
	// handler has run for KeepAlive is still in progress, and again every
	// KeepAlive (keep it well under the consumer's AckWait). Zero: the
	// handler's owner keeps its messages alive (package lane).
	KeepAlive time.Duration
}

// Run pulls from cons and calls handle on Options.Workers goroutines until
// ctx ends. It then stops pulling, passes what it holds and what its last
// request still brings to handle with ctx ended, once that request is over
// (at most pullExpiry), so that the handler hands it back to the consumer
// rather than leave it to AckWait; and waits for the handlers in progress. It returns an error when the connection is closed or the
// consumer deleted before ctx ends.
func Run(ctx context.Context, cons jetstream.Consumer, opts Options, log *slog.Logger, handle Handler) error {
	name := cons.CachedInfo().Name
	workers := max(opts.Workers, 1)
	cr := newCredit(workers + max(opts.Buffer, 1))
	msgs := make(chan jetstream.Msg, cr.total) // never full: each message holds a credit
	pulled := make(chan struct{})              // closed once no request is open
	slots := make([]slot, workers)
	var wg sync.WaitGroup
	for i := range slots {
		s := &slots[i]
		wg.Go(func() {
			for msg := range msgs {
				if ctx.Err() != nil {
					// Hand it back only once the last request is over: a
					// message handed back to a request still open would
					// come straight back to it.
					<-pulled
				}
				s.set(msg)
				handle(ctx, msg)
				s.set(nil)
				cr.put(1)
			}
		})
	}
	if opts.KeepAlive > 0 {
		done := make(chan struct{})
		defer close(done)
		go keepAlive(slots, opts.KeepAlive, done)
	}
	err := pull(ctx, cons, cr, msgs, log.With("consumer", name))
	close(pulled)
	close(msgs)
	wg.Wait()
	if err != nil {
		return fmt.Errorf("consume %s: %w", name, err)
	}
	return nil
}

// Pull requests expire after pullExpiry, with heartbeats every
// pullHeartbeat while they wait: a request the server lost (its node died,
// the consumer's leader moved) ends after two missing heartbeats, and the
// next is sent at once. The expiry also bounds how long Run takes to stop
// once its context ends.
const (
	pullExpiry    = time.Second
	pullHeartbeat = 500 * time.Millisecond
)

// Back-off between pull requests that fail at once (no connection).
const (
	minBackoff = 100 * time.Millisecond
	maxBackoff = time.Second
)

// pull fetches while the pool has room, forwarding every message to msgs,
// until ctx ends (nil) or the connection or consumer is gone (the error).
func pull(ctx context.Context, cons jetstream.Consumer, cr *credit, msgs chan<- jetstream.Msg, log *slog.Logger) error {
	backoff := minBackoff
	failing := false
	for {
		n, ok := cr.take(ctx, (cr.total+1)/2)
		if !ok {
			return nil
		}
		batch, err := cons.Fetch(n, jetstream.FetchMaxWait(pullExpiry), jetstream.FetchHeartbeat(pullHeartbeat))
		got := 0
		if err == nil {
			for msg := range batch.Messages() {
				msgs <- msg
				got++
			}
			err = batch.Error()
		}
		cr.put(n - got)
		if fatal(err) {
			return err
		}
		if err == nil || got > 0 {
			if failing {
				log.Info("pull from consumer: recovered")
				failing = false
			}
			backoff = minBackoff
			continue
		}
		if ctx.Err() != nil {
			return nil
		}
		if !failing {
			log.Warn("pull from consumer", "err", err)
			failing = true
		}
		if !errors.Is(err, jetstream.ErrNoHeartbeat) {
			// Failed at once: wait before asking again.
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, maxBackoff)
		}
	}
}

// fatal reports the errors after which no pull can succeed.
func fatal(err error) bool {
	return errors.Is(err, nats.ErrConnectionClosed) || errors.Is(err, jetstream.ErrConnectionClosed) ||
		errors.Is(err, jetstream.ErrConsumerDeleted) || errors.Is(err, jetstream.ErrConsumerNotFound)
}

// credit is how many more messages the pool may hold: each message pulled
// takes one until its handler returns.
type credit struct {
	total int
	mu    sync.Mutex
	free  int
	more  chan struct{} // a signal that free grew
}

func newCredit(total int) *credit {
	return &credit{total: total, free: total, more: make(chan struct{}, 1)}
}

func (c *credit) put(n int) {
	if n <= 0 {
		return
	}
	c.mu.Lock()
	c.free += n
	c.mu.Unlock()
	select {
	case c.more <- struct{}{}:
	default:
	}
}

// take waits until at least least credits are free and takes all that
// are; false when ctx ended first.
func (c *credit) take(ctx context.Context, least int) (int, bool) {
	for {
		if ctx.Err() != nil {
			return 0, false
		}
		c.mu.Lock()
		if n := c.free; n >= least {
			c.free = 0
			c.mu.Unlock()
			return n, true
		}
		c.mu.Unlock()
		select {
		case <-c.more:
		case <-ctx.Done():
			return 0, false
		}
	}
}

// slot is the message one handler goroutine is working on.
type slot struct {
	mu      sync.Mutex
	msg     jetstream.Msg
	touched time.Time // when msg was taken or last kept alive
}

func (s *slot) set(msg jetstream.Msg) {
	s.mu.Lock()
	s.msg, s.touched = msg, time.Now()
	s.mu.Unlock()
}

// keepAlive marks the slots' messages in progress once they have been
// worked on for every, until done.
func keepAlive(slots []slot, every time.Duration, done <-chan struct{}) {
	tick := time.NewTicker(every / 2)
	defer tick.Stop()
	for {
		select {
		case <-done:
			return
		case now := <-tick.C:
			for i := range slots {
				s := &slots[i]
				s.mu.Lock()
				if s.msg != nil && now.Sub(s.touched) >= every/2 {
					_ = s.msg.InProgress()
					s.touched = now
				}
				s.mu.Unlock()
			}
		}
	}
}
