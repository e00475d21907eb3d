// Package pool runs a bounded number of goroutines over a JetStream pull
// consumer: the dispatcher's fan-out and delivery loops share it.
package pool

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

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
// ctx ends. It then stops pulling, passes what the client had buffered
// already to handle with ctx ended (so the handler hands it back at once
// rather than leave it to AckWait), and waits for the handlers in
// progress.
func Run(ctx context.Context, cons jetstream.Consumer, opts Options, log *slog.Logger, handle Handler) error {
	name := cons.CachedInfo().Name
	it, err := cons.Messages(pullOptions(opts.Buffer)...)
	if err != nil {
		return fmt.Errorf("consume %s: %w", name, err)
	}
	stop := context.AfterFunc(ctx, it.Drain)
	defer stop()
	slots := make([]slot, max(opts.Workers, 1))
	var wg sync.WaitGroup
	for i := range slots {
		s := &slots[i]
		wg.Go(func() {
			for {
				msg, err := it.Next()
				if errors.Is(err, jetstream.ErrMsgIteratorClosed) {
					return
				}
				if err != nil {
					if ctx.Err() != nil {
						return
					}
					log.Warn("pull from consumer", "consumer", name, "err", err)
					continue
				}
				s.set(msg)
				handle(ctx, msg)
				s.set(nil)
			}
		})
	}
	if opts.KeepAlive > 0 {
		done := make(chan struct{})
		defer close(done)
		go keepAlive(slots, opts.KeepAlive, done)
	}
	wg.Wait()
	it.Stop()
	if ctx.Err() != nil {
		return nil
	}
	return fmt.Errorf("consume %s: message iterator closed", name)
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

// Pull requests expire after pullExpiry, with heartbeats every
// pullHeartbeat while they wait. nats.go counts the messages a pull has
// yet to bring and asks for more only once that count is low; if the
// server's answer that ends a pull is missed, the client waits for the
// rest of a pull the server has forgotten, until it notices two missing
// heartbeats and pulls again. With the library's defaults (30 s expiry,
// 15 s heartbeat) that wait was 30 s: the step a recovered subscriber's
// backlog drained in. Two seconds of silence now end it, and the client
// re-pulls on its own (WithMessagesErrOnMissingHeartbeat(false)) instead
// of reporting an error per wait.
const (
	pullExpiry    = 5 * time.Second
	pullHeartbeat = time.Second
)

func pullOptions(buffer int) []jetstream.PullMessagesOpt {
	return []jetstream.PullMessagesOpt{
		jetstream.PullMaxMessages(max(buffer, 1)),
		jetstream.PullExpiry(pullExpiry),
		jetstream.PullHeartbeat(pullHeartbeat),
		jetstream.WithMessagesErrOnMissingHeartbeat(false),
	}
}
