package task

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookwire/hookwire/pkg/testkit"
	"github.com/hookwire/hookwire/services/dispatcher/deliverylog"
)

func fanoutTask(sub string, ev int) Task {
	id := fmt.Sprintf("evt-%d", ev)
	return Task{DeliveryID: deliverylog.ID(sub, "acquirers/1", id), SubscriptionID: sub, EventID: id, EventSeq: uint64(ev),
		Trigger: Scheduled, TP: tp}
}

func TestSharedFormRoundTrip(t *testing.T) {
	ts := []Task{fanoutTask("s1", 1), fanoutTask("s1", 2), fanoutTask("s1", 3)}
	ts[1].Rerun = true
	b, err := encodeShared(ts)
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeAll(b, nil)
	if err != nil || !slices.Equal(got, ts) {
		t.Fatalf("DecodeAll = %+v, %v; want %+v", got, err, ts)
	}
	for n := range len(b) {
		if _, err := DecodeAll(b[:n], nil); err == nil {
			t.Fatalf("DecodeAll accepted the first %d of %d bytes", n, len(b))
		}
	}
	if _, err := DecodeAll(append(b, 0), nil); err == nil {
		t.Fatal("DecodeAll accepted a trailing byte")
	}
	one, _ := ts[0].Encode()
	if got, err := DecodeAll(one, nil); err != nil || len(got) != 1 || got[0] != ts[0] {
		t.Fatalf("DecodeAll(single) = %+v, %v", got, err)
	}
}

// drain reads every message of the first-attempt subjects and returns the
// tasks and how many messages carried them.
func drain(t *testing.T, ctx context.Context, q *Queue) (tasks []Task, msgs int) {
	t.Helper()
	cons, err := q.Stream().CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{
		Durable: "drain", AckPolicy: jetstream.AckExplicitPolicy, FilterSubject: SubjectPrefix + ">",
	})
	if err != nil {
		t.Fatal(err)
	}
	for {
		batch, err := cons.FetchNoWait(500)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for m := range batch.Messages() {
			n++
			ts, err := DecodeAll(m.Data(), m.Headers())
			if err != nil {
				t.Fatal(err)
			}
			for _, tk := range ts {
				if SubjectPrefix+tk.SubscriptionID != m.Subject() {
					t.Fatalf("task of %s in a message on %s", tk.SubscriptionID, m.Subject())
				}
			}
			tasks = append(tasks, ts...)
			_ = m.Ack()
		}
		msgs += n
		if n == 0 {
			return tasks, msgs
		}
	}
}

func TestEnqueueFanoutStoresEveryTaskOnceAndShares(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, js := testkit.StartNATS(t).Connect(t)
	q, err := OpenQueue(ctx, js, QueueConfig{})
	if err != nil {
		t.Fatal(err)
	}
	const events, subs = 400, 5
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16) // the fan-out's concurrency
	var want []Task
	for ev := 1; ev <= events; ev++ {
		var ts []Task
		for s := range subs {
			ts = append(ts, fanoutTask(fmt.Sprintf("s%d", s), ev))
		}
		want = append(want, ts...)
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			if err := q.EnqueueFanout(ctx, ts); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	got, msgs := drain(t, ctx, q)
	byID := func(a, b Task) int { return strings.Compare(a.DeliveryID, b.DeliveryID) }
	slices.SortFunc(got, byID)
	slices.SortFunc(want, byID)
	if !slices.Equal(got, want) {
		t.Fatalf("stored %d tasks, want exactly the %d enqueued", len(got), len(want))
	}
	t.Logf("%d tasks in %d messages", len(got), msgs)
	if msgs >= len(want) {
		t.Fatalf("%d tasks took %d messages: concurrent fan-outs shared none", len(want), msgs)
	}
}

// Alone, a fan-out's tasks keep a message each, with its Nats-Msg-Id: a
// repeat within the duplicate window stores nothing.
func TestEnqueueFanoutAloneKeepsDedup(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, js := testkit.StartNATS(t).Connect(t)
	q, err := OpenQueue(ctx, js, QueueConfig{})
	if err != nil {
		t.Fatal(err)
	}
	ts := []Task{fanoutTask("a", 1), fanoutTask("b", 1)}
	for range 2 {
		if err := q.EnqueueFanout(ctx, ts); err != nil {
			t.Fatal(err)
		}
	}
	got, msgs := drain(t, ctx, q)
	if len(got) != 2 || msgs != 2 {
		t.Fatalf("%d tasks in %d messages, want 2 in 2", len(got), msgs)
	}
}

// fetchOne publishes body and fetches it from a fresh consumer.
func fetchOne(t *testing.T, ctx context.Context, js jetstream.JetStream) (jetstream.Consumer, jetstream.Msg) {
	t.Helper()
	s, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "P", Subjects: []string{"p"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.Publish(ctx, "p", []byte("x")); err != nil {
		t.Fatal(err)
	}
	cons, err := s.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{Durable: "c", AckPolicy: jetstream.AckExplicitPolicy, AckWait: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	return cons, next(t, cons)
}

func next(t *testing.T, cons jetstream.Consumer) jetstream.Msg {
	t.Helper()
	m, err := cons.Next(jetstream.FetchMaxWait(5 * time.Second))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func pending(t *testing.T, ctx context.Context, cons jetstream.Consumer) int {
	t.Helper()
	info, err := cons.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return info.NumAckPending
}

func TestPartsAckTheMessageWhenAllAreDone(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, js := testkit.StartNATS(t).Connect(t)
	cons, msg := fetchOne(t, ctx, js)
	parts := Parts(msg, 3)
	_ = parts[0].Ack()
	_ = parts[0].Ack() // settling a part twice counts once
	_ = parts[1].Term()
	if n := pending(t, ctx, cons); n != 1 {
		t.Fatalf("ack pending %d with a part unsettled, want 1", n)
	}
	_ = parts[2].Ack()
	testkit.Eventually(t, 5*time.Second, func() bool { return pending(t, ctx, cons) == 0 }, "message not acked once every part was")
}

func TestPartsNakTheMessageWhenOneFails(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, js := testkit.StartNATS(t).Connect(t)
	cons, msg := fetchOne(t, ctx, js)
	parts := Parts(msg, 3)
	_ = parts[0].Ack()
	_ = parts[1].NakWithDelay(200 * time.Millisecond)
	_ = parts[2].Ack()
	again := next(t, cons) // redelivered after the delay, not after AckWait
	md, err := again.Metadata()
	if err != nil || md.NumDelivered != 2 {
		t.Fatalf("redelivery metadata %+v, %v; want the second delivery", md, err)
	}
	if got := Parts(msg, 1); len(got) != 1 || got[0] != msg {
		t.Fatal("Parts of one is not the message itself")
	}
}

// A round whose messages cannot be stored (here: the stream is gone) fails
// every call with tasks in them, after one more try; none hangs or
// reports success.
func TestEnqueueFanoutReportsFailure(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, js := testkit.StartNATS(t).Connect(t)
	q, err := OpenQueue(ctx, js, QueueConfig{AckTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := js.DeleteStream(ctx, Stream); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for ev := range 20 {
		wg.Go(func() {
			if err := q.EnqueueFanout(ctx, []Task{fanoutTask("a", ev+1), fanoutTask("b", ev+1)}); err == nil {
				t.Errorf("event %d: enqueue reported success with no stream", ev+1)
			}
		})
	}
	wg.Wait()
}
