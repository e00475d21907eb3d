// Package pool runs a bounded number of goroutines over a JetStream pull
// consumer: the dispatcher's fan-out and delivery loops share it.
package pool

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/nats-io/nats.go/jetstream"
)

// Handler processes one message and settles it (ack, nak or term).
type Handler func(ctx context.Context, msg jetstream.Msg)

// Run pulls from cons, buffering up to buffer messages, and calls handle on
// n goroutines until ctx ends; it then stops pulling and waits for the
// handlers in progress (they see ctx cancelled). Messages left unsettled
// are redelivered by JetStream after the consumer's AckWait.
func Run(ctx context.Context, cons jetstream.Consumer, n, buffer int, log *slog.Logger, handle Handler) error {
	it, err := cons.Messages(jetstream.PullMaxMessages(max(buffer, 1)))
	if err != nil {
		return fmt.Errorf("consume %s: %w", cons.CachedInfo().Name, err)
	}
	stop := context.AfterFunc(ctx, it.Stop)
	defer stop()
	var wg sync.WaitGroup
	for range max(n, 1) {
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
					log.Warn("pull from consumer", "consumer", cons.CachedInfo().Name, "err", err)
					continue
				}
				handle(ctx, msg)
			}
		})
	}
	wg.Wait()
	it.Stop()
	if ctx.Err() != nil {
		return nil
	}
	return fmt.Errorf("consume %s: message iterator closed", cons.CachedInfo().Name)
}
