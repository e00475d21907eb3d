package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookwire/hookwire/pkg/publisher"
)

// chaosScenario is one fault injected under load. faulty are the
// receivers the fault itself touches: they are left out of the healthy
// receivers' gap, and their backlog's drain after the fault is measured.
type chaosScenario struct {
	tag, name, target string
	fault             func(ctx context.Context) error
	faulty            []int
	// drain: measure how the backlog of events published before the
	// fault ended reaches the faulty receivers (every receiver when
	// faulty is empty) after it.
	drain bool
	// misses lists what of the target the row did not meet.
	misses func(r chaosRow) []string
}

// chaosRow is one scenario's outcome. Times are from the receivers' clock
// (one process): the load window is from the first publish to the last,
// the fault window from the fault's start to its end (the process or
// receivers back).
type chaosRow struct {
	Name, Target          string
	Accepted, NotAccepted int
	Expected, Delivered   int64
	Lost, Duplicates      int64
	KeptID                bool
	P99MS                 float64 // every delivery of the scenario
	FaultSeconds          float64
	// GapMS: the longest time in the load window with no delivery to
	// one healthy receiver (GapReceiver).
	GapMS       float64
	GapReceiver int
	// Latency of events published during the fault: healthy receivers'
	// p99, every receiver's p99 and max.
	FaultP99HealthyMS, FaultP99MS, FaultMaxMS float64
	// After the fault: the first delivery to a faulty receiver (every
	// receiver when none is), when the last event published before the
	// fault ended reached them, and the longest gap in between.
	FirstAfterMS, DrainMS, DrainGapMS float64
	// LogLines: WARN and ERROR lines every service logged during the
	// scenario.
	LogLines int
	Note     string // what the fault hit, when it says more than the name
	Misses   []string
	Err      string
}

// Targets of issue 15, checked per row.
const (
	healthyGapTarget  = 2 * time.Second
	natsGapTarget     = 5 * time.Second
	drainGapTarget    = time.Second
	redisResumeTarget = 2 * time.Second
	killDelayTarget   = 15 * time.Second
)

func (c *chaosStack) scenarios() []chaosScenario {
	faulty := []int{0, 1, 2} // 3 of the receivers
	return []chaosScenario{
		{tag: "rolling", name: "rolling SIGTERM restart of each dispatcher", target: "0 lost, 0 duplicates, healthy gap <= 2 s",
			fault: c.rolling, misses: func(r chaosRow) []string {
				return append(missGap(r, healthyGapTarget), missIf(r.Duplicates > 0, "%d duplicates", r.Duplicates)...)
			}},
		{tag: "kill9", name: fmt.Sprintf("kill -9 of a dispatcher x%d", c.cfg.kills), target: "0 lost, duplicates keep their webhook-id, healthy gap <= 2 s, dead replica's work delivered <= 15 s",
			fault: c.killDispatchers, misses: func(r chaosRow) []string {
				return append(missGap(r, healthyGapTarget), missIf(r.FaultMaxMS > ms(killDelayTarget), "slowest delivery %.1f s", r.FaultMaxMS/1e3)...)
			}},
		{tag: "natskill", name: fmt.Sprintf("kill -9 of one NATS node, back after %s", c.cfg.natsDown), target: "0 lost, gap <= 5 s",
			fault: c.killNATS, misses: func(r chaosRow) []string { return missGap(r, natsGapTarget) }},
		{tag: "redis", name: fmt.Sprintf("Redis stopped %s", c.cfg.faultFor), target: "0 lost, delivery resumes <= 2 s after Redis returns",
			fault: c.stopRedis, drain: true, misses: func(r chaosRow) []string {
				return missIf(r.FirstAfterMS > ms(redisResumeTarget), "first delivery %.1f s after Redis returned", r.FirstAfterMS/1e3)
			}},
		{tag: "fail503", name: fmt.Sprintf("3 of %d receivers answer 503 for %s", c.cfg.subs, c.cfg.faultFor), target: "0 lost, healthy gap <= 2 s, backlog drains with no gap > 1 s",
			fault: c.receiverFault(faulty, "status=503"), faulty: faulty, drain: true, misses: func(r chaosRow) []string {
				return append(missGap(r, healthyGapTarget), missIf(r.DrainGapMS > ms(drainGapTarget), "drain gap %.1f s", r.DrainGapMS/1e3)...)
			}},
		{tag: "slow", name: fmt.Sprintf("3 of %d receivers take 3 s per request for %s", c.cfg.subs, c.cfg.faultFor), target: "0 lost, healthy gap <= 2 s",
			fault: c.receiverFault(faulty, "delay=3s"), faulty: faulty, drain: true, misses: func(r chaosRow) []string {
				return missGap(r, healthyGapTarget)
			}},
	}
}

func ms(d time.Duration) float64 { return float64(d) / 1e6 }

func missGap(r chaosRow, target time.Duration) []string {
	return missIf(r.GapMS > ms(target), "gap %.1f s at receiver %d", r.GapMS/1e3, r.GapReceiver)
}

func missIf(miss bool, format string, a ...any) []string {
	if !miss {
		return nil
	}
	return []string{fmt.Sprintf(format, a...)}
}

// run offers the load for before + the fault + after, then waits for the
// deliveries to settle, counts them and measures the windows.
func (c *chaosStack) run(ctx context.Context, sc chaosScenario) chaosRow {
	row := chaosRow{Name: sc.name, Target: sc.target}
	logf("%s: %d events/s x %d subscriptions", sc.name, c.cfg.rate, c.cfg.subs)
	logs := c.logOffsets()
	faultDone := make(chan struct{})
	var faultErr error
	var faultStart, faultEnd time.Time
	go func() {
		defer close(faultDone)
		t := time.NewTimer(c.cfg.before)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		faultStart = time.Now()
		faultErr = sc.fault(ctx)
		faultEnd = time.Now()
	}()
	loadStart := time.Now()
	var loadEnd time.Time
	row.Accepted, row.NotAccepted, loadEnd = c.publish(ctx, sc.tag, faultDone)
	<-faultDone
	row.FaultSeconds = faultEnd.Sub(faultStart).Seconds()
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
	if err := c.measure(ctx, sc, &row, loadStart, loadEnd, faultStart, faultEnd); err != nil && row.Err == "" {
		row.Err = err.Error()
	}
	row.LogLines = c.logLinesSince(logs)
	row.Note, c.note = c.note, ""
	row.Misses = append(missIf(row.Lost > 0, "%d lost", row.Lost), missIf(!row.KeptID, "a duplicate with a new webhook-id")...)
	if sc.misses != nil {
		row.Misses = append(row.Misses, sc.misses(row)...)
	}
	logf("  accepted %d (%d not), delivered %d of %d, lost %d, duplicates %d, p99 %.1f ms; healthy gap %.2f s; during the fault p99 %.1f ms (healthy %.1f), max %.1f ms; after it first %.2f s, drained %.2f s, drain gap %.2f s; %d WARN/ERROR lines; misses: %v",
		row.Accepted, row.NotAccepted, row.Delivered, row.Expected, row.Lost, row.Duplicates, row.P99MS, row.GapMS/1e3,
		row.FaultP99MS, row.FaultP99HealthyMS, row.FaultMaxMS, row.FirstAfterMS/1e3, row.DrainMS/1e3, row.DrainGapMS/1e3, row.LogLines, row.Misses)
	return row
}

// measure asks the receivers about the scenario's windows.
func (c *chaosStack) measure(ctx context.Context, sc chaosScenario, row *chaosRow, loadStart, loadEnd, faultStart, faultEnd time.Time) error {
	if faultStart.IsZero() {
		return nil
	}
	var healthy, all []int
	for i := range c.cfg.subs {
		all = append(all, i)
		if !slices.Contains(sc.faulty, i) {
			healthy = append(healthy, i)
		}
	}
	w, err := c.b.stats.window(ctx, sc.tag, healthy, loadStart, loadEnd, faultStart, faultEnd)
	if err != nil {
		return err
	}
	row.GapMS, row.GapReceiver, row.FaultP99HealthyMS = w.GapMS, w.GapIndex, w.LatencyMS.P99
	if w, err = c.b.stats.window(ctx, sc.tag, all, loadStart, loadEnd, faultStart, faultEnd); err != nil {
		return err
	}
	row.FaultP99MS, row.FaultMaxMS = w.LatencyMS.P99, w.LatencyMS.Max
	if !sc.drain {
		return nil
	}
	drained := sc.faulty
	if len(drained) == 0 {
		drained = all
	}
	// The backlog: events published before the fault ended.
	farEnd := time.Now()
	if w, err = c.b.stats.window(ctx, sc.tag, drained, faultEnd, farEnd, loadStart, faultEnd); err != nil {
		return err
	}
	row.FirstAfterMS = ms(farEnd.Sub(faultEnd))
	if w.FirstNS != 0 {
		row.FirstAfterMS = float64(w.FirstNS-faultEnd.UnixNano()) / 1e6
	}
	row.DrainMS = float64(w.LastNS-faultEnd.UnixNano()) / 1e6
	if w, err = c.b.stats.window(ctx, sc.tag, drained, faultEnd, time.Unix(0, w.LastNS), loadStart, faultEnd); err != nil {
		return err
	}
	row.DrainGapMS = w.GapMS
	return nil
}

// publish offers cfg.rate events/s until the fault is over and cfg.after
// has passed since, and counts the events ingest accepted. A broken
// stream is replaced; every loop is bounded by the scenario's length.
func (c *chaosStack) publish(ctx context.Context, tag string, faultDone <-chan struct{}) (accepted, rejected int, last time.Time) {
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
	last = time.Now()
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
	return accepted, rejected, last
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

// leadersOn lists the streams and the dispatcher's consumers whose
// cluster leader is node, asked of node 0.
func (c *chaosStack) leadersOn(ctx context.Context, node string) string {
	nc, err := nats.Connect(c.natsURLs[0], nats.Timeout(2*time.Second))
	if err != nil {
		return "unknown (" + err.Error() + ")"
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return "unknown (" + err.Error() + ")"
	}
	consumers := map[string][]string{"EVENTS": {"fanout"}, "DELIVERIES": {"deliver", "deliver-later"}}
	var led []string
	names := js.StreamNames(ctx)
	for name := range names.Name() {
		st, err := js.Stream(ctx, name)
		if err != nil {
			continue
		}
		if cl := st.CachedInfo().Cluster; cl != nil && cl.Leader == node {
			led = append(led, name)
		}
		for _, cn := range consumers[name] {
			if co, err := st.Consumer(ctx, cn); err == nil {
				if cl := co.CachedInfo().Cluster; cl != nil && cl.Leader == node {
					led = append(led, name+"/"+cn)
				}
			}
		}
	}
	if len(led) == 0 {
		return "nothing"
	}
	slices.Sort(led)
	return strings.Join(led, ", ")
}

// stopRedis stops Redis (SIGTERM: it writes its append-only file and
// exits), keeps it down for cfg.faultFor and starts it again over its
// data on the same port.
func (c *chaosStack) stopRedis(ctx context.Context) error {
	p := c.st.redis
	_ = syscall.Kill(p.pid(), syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		return fmt.Errorf("redis did not exit within 30s of SIGTERM")
	}
	logf("  redis stopped")
	t := time.NewTimer(c.cfg.faultFor)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
		return ctx.Err()
	}
	return c.st.restartRedis(ctx)
}

// receiverFault makes the receivers idx answer as query says (see
// receivers' POST /fault) for cfg.faultFor, then heals them.
func (c *chaosStack) receiverFault(idx []int, query string) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		if err := c.b.stats.fault(ctx, idx, query); err != nil {
			return err
		}
		logf("  receivers %v: %s", idx, query)
		t := time.NewTimer(c.cfg.faultFor)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
		}
		// Heal even when the run is stopping: the receivers outlive nothing, but say so.
		hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		return c.b.stats.fault(hctx, idx, "")
	}
}

// logOffsets notes how long each process's log is.
func (c *chaosStack) logOffsets() map[string]int64 {
	off := map[string]int64{}
	for _, p := range c.st.ps.all() {
		if fi, err := os.Stat(p.log); err == nil {
			off[p.log] = fi.Size()
		}
	}
	return off
}

// logLinesSince counts the WARN and ERROR lines the services logged after
// off (a process started since counts from its first line).
func (c *chaosStack) logLinesSince(off map[string]int64) int {
	n := 0
	for _, p := range c.st.ps.all() {
		if !isService(p.name) {
			continue
		}
		f, err := os.Open(p.log)
		if err != nil {
			continue
		}
		if _, err := f.Seek(off[p.log], io.SeekStart); err == nil {
			sc := bufio.NewScanner(f)
			sc.Buffer(make([]byte, 64*1024), 1024*1024)
			for sc.Scan() {
				if l := sc.Bytes(); bytes.Contains(l, []byte(`"level":"WARN"`)) || bytes.Contains(l, []byte(`"level":"ERROR"`)) {
					n++
				}
			}
		}
		f.Close()
	}
	return n
}

func isService(procName string) bool {
	for _, s := range chaosServices {
		if strings.HasPrefix(procName, s+"-") {
			return true
		}
	}
	return false
}

// killNATS kill -9s the second node and starts it again over its data
// after cfg.natsDown. What that node led (streams and consumers wait for
// a new leader: JetStream's election timeout is 4 to 9 s) goes in the
// scenario's note.
func (c *chaosStack) killNATS(ctx context.Context) error {
	c.note = "the killed node led: " + c.leadersOn(ctx, "n1")
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
