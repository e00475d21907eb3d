package main

import (
	"context"
	"fmt"
	"syscall"
	"time"

	"github.com/hookwire/hookwire/pkg/publisher"
)

// chaosScenario is one fault injected under load.
type chaosScenario struct {
	tag, name, target string
	fault             func(ctx context.Context) error
}

// chaosRow is one scenario's outcome.
type chaosRow struct {
	Name, Target          string
	Accepted, NotAccepted int
	Expected, Delivered   int64
	Lost, Duplicates      int64
	KeptID                bool
	P99MS                 float64
	FaultSeconds          float64
	Err                   string
}

func (c *chaosStack) scenarios() []chaosScenario {
	return []chaosScenario{
		{tag: "rolling", name: "rolling SIGTERM restart of each dispatcher", target: "0 lost, 0 duplicates", fault: c.rolling},
		{tag: "kill9", name: fmt.Sprintf("kill -9 of a dispatcher x%d", c.cfg.kills), target: "0 lost, duplicates keep their webhook-id", fault: c.killDispatchers},
		{tag: "natskill", name: fmt.Sprintf("kill -9 of one NATS node, back after %s", c.cfg.natsDown), target: "0 lost", fault: c.killNATS},
	}
}

// run offers the load for before + the fault + after, then waits for the
// deliveries to settle and counts them.
func (c *chaosStack) run(ctx context.Context, sc chaosScenario) chaosRow {
	row := chaosRow{Name: sc.name, Target: sc.target}
	logf("%s: %d events/s x %d subscriptions", sc.name, c.cfg.rate, c.cfg.subs)
	faultDone := make(chan struct{})
	var faultErr error
	var faultTook time.Duration
	go func() {
		defer close(faultDone)
		t := time.NewTimer(c.cfg.before)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		start := time.Now()
		faultErr = sc.fault(ctx)
		faultTook = time.Since(start)
	}()
	row.Accepted, row.NotAccepted = c.publish(ctx, sc.tag, faultDone)
	<-faultDone
	row.FaultSeconds = faultTook.Seconds()
	if faultErr != nil {
		row.Err = faultErr.Error()
		logf("  fault failed: %v", faultErr)
	}
	row.Expected = int64(row.Accepted * c.cfg.subs)
	s, err := c.b.stats.waitDeliveries(ctx, sc.tag, row.Expected, 60*time.Second, 5*time.Minute)
	if err != nil && row.Err == "" {
		row.Err = err.Error()
	}
	row.Delivered, row.Duplicates, row.P99MS = s.Unique, s.Duplicates, s.LatencyMS.P99
	row.Lost = max(row.Expected-s.Unique, 0)
	// A redelivery with a new webhook-id would count as one more unique id.
	row.KeptID = s.Unique <= row.Expected
	logf("  accepted %d (%d not), delivered %d of %d, lost %d, duplicates %d, p99 %.1f ms",
		row.Accepted, row.NotAccepted, row.Delivered, row.Expected, row.Lost, row.Duplicates, row.P99MS)
	return row
}

// publish offers cfg.rate events/s until the fault is over and cfg.after
// has passed since, and counts the events ingest accepted. A broken
// stream is replaced; every loop is bounded by the scenario's length.
func (c *chaosStack) publish(ctx context.Context, tag string, faultDone <-chan struct{}) (accepted, rejected int) {
	interval := time.Second / time.Duration(c.cfg.rate)
	var pending []*publisher.Pending
	var streams []*publisher.Stream
	s := c.b.pub.NewStream(ctx)
	streams = append(streams, s)
	start := time.Now()
	var end time.Time
	for n := 0; ctx.Err() == nil; n++ {
		if end.IsZero() {
			select {
			case <-faultDone:
				end = time.Now().Add(c.cfg.after)
			default:
			}
		} else if time.Now().After(end) {
			break
		}
		if w := time.Until(start.Add(time.Duration(n) * interval)); w > 0 {
			time.Sleep(w)
		}
		p, err := s.Send(ctx, event(tag, n, c.b.cfg.payload))
		if err != nil {
			rejected++
			s = c.b.pub.NewStream(ctx)
			streams = append(streams, s)
			continue
		}
		pending = append(pending, p)
	}
	for _, s := range streams {
		cctx, cancel := context.WithTimeout(ctx, time.Minute)
		_ = s.Close(cctx)
		cancel()
	}
	for _, p := range pending {
		wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		res, err := p.Wait(wctx)
		cancel()
		if err == nil && res.Err == nil {
			accepted++
		} else {
			rejected++
		}
	}
	return accepted, rejected
}

// rolling stops each dispatcher with SIGTERM, waits for it to exit and
// starts it again, one after the other.
func (c *chaosStack) rolling(ctx context.Context) error {
	for _, name := range []string{"dispatcher-a", "dispatcher-b"} {
		if err := c.restart(ctx, name, syscall.SIGTERM); err != nil {
			return err
		}
	}
	return nil
}

// killDispatchers kill -9s the dispatchers in turn, restarting each at
// once and waiting for it to be healthy before the next kill.
func (c *chaosStack) killDispatchers(ctx context.Context) error {
	for i := range c.cfg.kills {
		name := []string{"dispatcher-a", "dispatcher-b"}[i%2]
		if err := c.restart(ctx, name, syscall.SIGKILL); err != nil {
			return err
		}
	}
	return nil
}

func (c *chaosStack) restart(ctx context.Context, name string, sig syscall.Signal) error {
	p := c.svc[name]
	_ = syscall.Kill(p.pid(), sig)
	select {
	case <-p.done:
	case <-time.After(60 * time.Second):
		return fmt.Errorf("%s did not exit within 60s of %s", name, sig)
	case <-ctx.Done():
		return ctx.Err()
	}
	logf("  %s stopped with %s; starting it again", name, sig)
	if err := c.startService(name); err != nil {
		return err
	}
	return c.waitService(ctx, name)
}

// killNATS kill -9s the second node and starts it again over its data
// after cfg.natsDown.
func (c *chaosStack) killNATS(ctx context.Context) error {
	p := c.nats[1]
	_ = syscall.Kill(-p.pid(), syscall.SIGKILL)
	<-p.done
	logf("  nats node 1 killed")
	t := time.NewTimer(c.cfg.natsDown)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
		return ctx.Err()
	}
	self := c.nats[0].cmd.Path
	np, err := c.st.ps.start(c.st.dir, "nats1-again", self, c.natsArgs[1], nil)
	if err != nil {
		return err
	}
	c.nats[1] = np
	return waitFor(ctx, 60*time.Second, np, func(ctx context.Context) error { return pingNATS(ctx, c.natsURLs[1]) })
}
