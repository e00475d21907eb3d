package task

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookwire/hookwire/pkg/testkit"
)

// BenchmarkEnqueueAll enqueues fan-outs of 10 tasks (W1 has 10
// subscriptions) on an embedded file-storage server, through the queue's
// per-message async path and through JetStream atomic and fast batch
// publish (ADR-50). Server and client share the process, so cpu-ns/task is
// the CPU of both; msgs/task counts the client's NATS messages both ways.
//
// It is the evidence for keeping the per-message path (2 msgs/task):
// nats-server 2.15 stages an R1 file-storage atomic batch in a file store
// of its own, created, flushed and deleted per batch, which costs about six
// times the CPU per task; and a duplicate Nats-Msg-Id (a re-run fan-out)
// fails the whole atomic batch (err_code 10201). A fast batch (1.2
// msgs/task) skips duplicates and costs about a fifth less CPU per task,
// but needs a routed reply inbox and flow control in the queue.
func BenchmarkEnqueueAll(b *testing.B) {
	const fanout = 10
	async := func(ctx context.Context, q *Queue, _ *nats.Conn, ts []Task) error { return q.EnqueueAll(ctx, ts) }
	paths := []struct {
		name     string
		enqueue  func(ctx context.Context, q *Queue, nc *nats.Conn, ts []Task) error
		parallel bool
	}{
		{"async", async, false},
		{"atomic", publishAtomic, false},
		{"fast", publishFast, false},
		{"async-parallel", async, true},
		{"atomic-parallel", publishAtomic, true},
		{"fast-parallel", publishFast, true},
	}
	for _, p := range paths {
		b.Run(p.name, func(b *testing.B) {
			ctx := context.Background()
			nc, js := testkit.StartNATS(b).Connect(b)
			q, err := OpenQueue(ctx, js, QueueConfig{})
			if err != nil {
				b.Fatal(err)
			}
			cfg := StreamConfig(QueueConfig{})
			cfg.AllowAtomicPublish, cfg.AllowBatchPublish = true, true
			if _, err := js.UpdateStream(ctx, cfg); err != nil {
				b.Fatal(err)
			}
			if err := openFastInbox(nc); err != nil {
				b.Fatal(err)
			}
			var next atomic.Uint64
			fanOut := func() error {
				ts := make([]Task, fanout)
				ev := strconv.FormatUint(next.Add(1), 10)
				for j := range ts {
					sub := "sub" + strconv.Itoa(j)
					ts[j] = Task{DeliveryID: sub + "_" + ev, SubscriptionID: sub, EventID: "e" + ev, EventSeq: 1, Trigger: Scheduled}
				}
				return p.enqueue(ctx, q, nc, ts)
			}
			st0 := nc.Stats()
			cpu0 := processCPU()
			b.ResetTimer()
			if p.parallel {
				// Fan-outs of several events in flight at once, as in the dispatcher.
				b.SetParallelism(4)
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						if err := fanOut(); err != nil {
							b.Error(err)
							return
						}
					}
				})
			} else {
				for range b.N {
					if err := fanOut(); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.StopTimer()
			cpu := processCPU() - cpu0
			st := nc.Stats()
			tasks := float64(b.N * fanout)
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/tasks, "ns/task")
			b.ReportMetric(float64(cpu.Nanoseconds())/tasks, "cpu-ns/task")
			b.ReportMetric(float64(st.InMsgs-st0.InMsgs+st.OutMsgs-st0.OutMsgs)/tasks, "msgs/task")
			info, err := q.Stream().Info(ctx)
			if err != nil {
				b.Fatal(err)
			}
			if info.State.Msgs != uint64(tasks) {
				b.Fatalf("stream holds %d tasks, want %d", info.State.Msgs, b.N*fanout)
			}
		})
	}
}

// processCPU is the user and system CPU the process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		panic(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

type batchAck struct {
	Error *jetstream.APIError `json:"error"`
	Type  string              `json:"type"`
	Seq   uint64              `json:"seq"`
	Count uint64              `json:"count"`
}

// publishAtomic sends ts as one atomic batch: the messages before the
// commit carry no reply subject, so only the commit is answered.
func publishAtomic(ctx context.Context, _ *Queue, nc *nats.Conn, ts []Task) error {
	id := nats.NewInbox()[len(nats.InboxPrefix):]
	for i, t := range ts {
		m, err := message(ctx, t)
		if err != nil {
			return err
		}
		m.Header["Nats-Batch-Id"] = []string{id}
		m.Header["Nats-Batch-Sequence"] = []string{strconv.Itoa(i + 1)}
		if i < len(ts)-1 {
			if err := nc.PublishMsg(m); err != nil {
				return err
			}
			continue
		}
		m.Header["Nats-Batch-Commit"] = []string{"1"}
		r, err := nc.RequestMsgWithContext(ctx, m)
		if err != nil {
			return err
		}
		var ack batchAck
		if err := json.Unmarshal(r.Data, &ack); err != nil {
			return err
		}
		if ack.Error != nil {
			return ack.Error
		}
		if ack.Count != uint64(len(ts)) {
			return fmt.Errorf("batch count %d, want %d", ack.Count, len(ts))
		}
	}
	return nil
}

// fastInbox routes the replies of fast batches by batch id.
var fastInbox struct {
	prefix string
	mu     sync.Mutex
	wait   map[string]chan *nats.Msg
}

// openFastInbox subscribes nc to the replies of publishFast.
func openFastInbox(nc *nats.Conn) error {
	fastInbox.prefix = nats.NewInbox()
	fastInbox.wait = map[string]chan *nats.Msg{}
	_, err := nc.Subscribe(fastInbox.prefix+".>", func(m *nats.Msg) {
		id, _, _ := strings.Cut(m.Subject[len(fastInbox.prefix)+1:], ".")
		fastInbox.mu.Lock()
		c := fastInbox.wait[id]
		fastInbox.mu.Unlock()
		if c != nil {
			c <- m
		}
	})
	return err
}

// publishFast sends ts as one fast batch (gap mode fail) through the
// inbox of openFastInbox: every message carries the batch in its reply
// subject; the server answers the first with a flow ack and the commit
// with the PubAck. Flow acks are counted, not waited for (a batch of 10 is
// within any window the server grants).
func publishFast(ctx context.Context, _ *Queue, nc *nats.Conn, ts []Task) error {
	id := nats.NewInbox()[len(nats.InboxPrefix):]
	c := make(chan *nats.Msg, len(ts)+1)
	fastInbox.mu.Lock()
	fastInbox.wait[id] = c
	fastInbox.mu.Unlock()
	defer func() {
		fastInbox.mu.Lock()
		delete(fastInbox.wait, id)
		fastInbox.mu.Unlock()
	}()
	for i, t := range ts {
		m, err := message(ctx, t)
		if err != nil {
			return err
		}
		op := 1
		switch {
		case i == len(ts)-1:
			op = 2
		case i == 0:
			op = 0
		}
		m.Reply = fmt.Sprintf("%s.%s.%d.fail.%d.%d.$FI", fastInbox.prefix, id, 100, i+1, op)
		if err := nc.PublishMsg(m); err != nil {
			return err
		}
	}
	for {
		select {
		case r := <-c:
			var ack batchAck
			if err := json.Unmarshal(r.Data, &ack); err != nil {
				return err
			}
			if ack.Error != nil {
				return ack.Error
			}
			if ack.Type == "" {
				if ack.Count != uint64(len(ts)) {
					return fmt.Errorf("batch count %d, want %d", ack.Count, len(ts))
				}
				return nil
			}
			if ack.Type != "ack" {
				return fmt.Errorf("batch %s: %s", ack.Type, r.Data)
			}
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
