package daemon

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
)

// natsWaitLog is how often connectNATS repeats that it is still waiting.
const natsWaitLog = 30 * time.Second

// connectNATS connects to url and reconnects for ever. A first connection
// that fails does not end the process (a fresh cluster, or a NATS node
// restarting, may take a while to answer): the client keeps trying and
// connectNATS waits for it until ctx ends, saying so in the log. The
// service is built, and /readyz served, only once NATS is connected.
func connectNATS(ctx context.Context, url, name string, log *slog.Logger) (*nats.Conn, error) {
	connected := make(chan struct{})
	var once sync.Once
	up := func() { once.Do(func() { close(connected) }) }
	nc, err := nats.Connect(url,
		nats.Name(name),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(time.Second),
		nats.RetryOnFailedConnect(true),
		nats.ConnectHandler(func(*nats.Conn) { up() }),
		nats.DisconnectErrHandler(func(c *nats.Conn, err error) {
			if !c.IsClosed() && !c.IsDraining() {
				log.Warn("nats disconnected", "error", err)
			}
		}),
		nats.ReconnectHandler(func(c *nats.Conn) {
			up()
			log.Info("nats reconnected", "server", c.ConnectedUrlRedacted())
		}),
	)
	if err != nil {
		return nil, fmt.Errorf("connect nats %s: %w", redactURLs(url), err)
	}
	if nc.IsConnected() {
		return nc, nil
	}
	start := time.Now()
	log.Warn("waiting for nats", "url", redactURLs(url))
	tick := time.NewTicker(natsWaitLog)
	defer tick.Stop()
	for {
		select {
		case <-connected:
			log.Info("nats connected", "server", nc.ConnectedUrlRedacted(), "waited", time.Since(start).Round(time.Millisecond).String())
			return nc, nil
		case <-tick.C:
			log.Warn("still waiting for nats", "url", redactURLs(url), "waited", time.Since(start).Round(time.Second).String())
		case <-ctx.Done():
			nc.Close()
			return nil, fmt.Errorf("connect nats %s: %w", redactURLs(url), ctx.Err())
		}
	}
}
