package deliverylog_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookwire/hookwire/pkg/testkit"
	"github.com/hookwire/hookwire/services/dispatcher/deliverylog"
)

// clock is a test clock every store of a case shares: each reading moves
// it on by a millisecond, so deliveries get distinct creation times.
type clock struct{ us atomic.Int64 }

func newClock(t time.Time) *clock {
	c := &clock{}
	c.us.Store(t.UnixMicro())
	return c
}

func (c *clock) now() time.Time { return time.UnixMicro(c.us.Add(1000)).UTC() }

// set moves the clock to t.
func (c *clock) set(t time.Time) { c.us.Store(t.UnixMicro()) }

var contractStart = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

type storeMaker func(t *testing.T, c *clock) deliverylog.Store

// contractStores are the implementations of deliverylog.Store, each made
// fresh for a case: the KV bucket on an embedded JetStream, and PostgreSQL
// (one private server for the suite, one database per case).
func contractStores(t *testing.T) map[string]storeMaker {
	pg := testkit.StartPostgres(t)
	return map[string]storeMaker{
		"kv": func(t *testing.T, c *clock) deliverylog.Store {
			_, js := testkit.StartNATS(t).Connect(t)
			l, err := deliverylog.Open(context.Background(), js, defaultConfig(), deliverylog.WithClock(c.now))
			if err != nil {
				t.Fatal(err)
			}
			return l
		},
		"postgres": func(t *testing.T, c *clock) deliverylog.Store {
			cfg := defaultConfig()
			cfg.URL = pg.NewDatabase(t)
			p, err := deliverylog.OpenPostgres(context.Background(), cfg, deliverylog.WithPGClock(c.now))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(p.Close)
			return p
		},
	}
}

// TestStoreContract runs one suite against every Store: the same calls
// must give the same answers.
func TestStoreContract(t *testing.T) {
	cases := map[string]func(t *testing.T, s deliverylog.Store, c *clock){
		"record creates then appends": contractRecord,
		"missing and malformed ids":   contractMissing,
		"update and set state":        contractUpdate,
		"hold":                        contractHold,
		"list filters":                contractListFilters,
		"list pages":                  contractListPages,
		"count":                       contractCount,
		"concurrent attempts":         contractConcurrent,
		"failing":                     contractFailing,
	}
	for name, make := range contractStores(t) {
		t.Run(name, func(t *testing.T) {
			for cname, run := range cases {
				t.Run(cname, func(t *testing.T) {
					c := newClock(contractStart)
					run(t, make(t, c), c)
				})
			}
		})
	}
}

// did is a delivery id of subscription sub: ids are opaque to the stores.
func did(sub string, n int) string { return fmt.Sprintf("%s_%024x", sub, n) }

func delivery(sub string, n int, subScope string) deliverylog.Delivery {
	return deliverylog.Delivery{ID: did(sub, n), SubscriptionID: sub, EventID: fmt.Sprintf("evt-%d", n),
		EventType: "transaction.sale.success", Scope: subScope + "/terminals/1", SubscriptionScope: subScope, EventSeq: uint64(n)}
}

func attempt(status int, at time.Time) deliverylog.Attempt {
	return deliverylog.Attempt{Number: 1, StartedAt: at, Status: status, Latency: 12 * time.Millisecond,
		URL: "https://example.test/hook", Trigger: deliverylog.TriggerScheduled}
}

func record(t *testing.T, s deliverylog.Store, d deliverylog.Delivery, status int, state deliverylog.State) deliverylog.Delivery {
	t.Helper()
	got, err := s.RecordAttempt(context.Background(), d, attempt(status, contractStart), state, time.Time{})
	if err != nil {
		t.Fatalf("record %s: %v", d.ID, err)
	}
	return got
}

func contractRecord(t *testing.T, s deliverylog.Store, _ *clock) {
	ctx := context.Background()
	d := delivery("sub1", 1, "acquirers/1")
	start := contractStart.Add(123456789 * time.Nanosecond)
	next := start.Add(5 * time.Minute)
	a := attempt(500, start)
	a.Error, a.Excerpt = "HTTP 500", string(make([]byte, 10_000))
	first, err := s.RecordAttempt(ctx, d, a, deliverylog.Pending, next)
	if err != nil {
		t.Fatal(err)
	}
	if first.ID != d.ID || first.State != deliverylog.Pending || len(first.Attempts) != 1 || first.Attempts[0].Number != 1 ||
		!first.NextAttemptAt.Equal(next.Truncate(time.Microsecond)) || first.CreatedAt.IsZero() {
		t.Fatalf("after the first attempt: %+v", first)
	}
	if n := len(first.Attempts[0].Excerpt); n > deliverylog.MaxExcerpt {
		t.Fatalf("excerpt of %d bytes kept, want at most %d", n, deliverylog.MaxExcerpt)
	}
	second, err := s.RecordAttempt(ctx, d, attempt(200, start.Add(time.Minute)), deliverylog.Delivered, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Get(ctx, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range []deliverylog.Delivery{second, got} {
		if x.State != deliverylog.Delivered || len(x.Attempts) != 2 || x.Attempts[1].Number != 2 || x.Attempts[1].Status != 200 ||
			!x.NextAttemptAt.IsZero() || !x.CreatedAt.Equal(first.CreatedAt) || x.EventID != d.EventID ||
			x.SubscriptionScope != "acquirers/1" || x.EventSeq != 1 {
			t.Fatalf("after the second attempt: %+v", x)
		}
	}
	if at := got.Attempts[0]; at.Status != 500 || at.Error != "HTTP 500" || at.Latency != 12*time.Millisecond ||
		!at.StartedAt.Equal(start.Truncate(time.Microsecond)) || at.URL != a.URL || at.Trigger != deliverylog.TriggerScheduled {
		t.Fatalf("first attempt read back as %+v", at)
	}
	if _, err := s.RecordAttempt(ctx, d, a, "BOGUS", time.Time{}); err == nil {
		t.Fatal("an invalid state was recorded")
	}
}

func contractMissing(t *testing.T, s deliverylog.Store, _ *clock) {
	ctx := context.Background()
	if _, err := s.Get(ctx, did("nope", 1)); !errors.Is(err, deliverylog.ErrNotFound) {
		t.Fatalf("Get of a missing delivery: %v, want ErrNotFound", err)
	}
	if _, err := s.Get(ctx, "not an id"); !errors.Is(err, deliverylog.ErrBadID) {
		t.Fatalf("Get of a malformed id: %v, want ErrBadID", err)
	}
	if _, err := s.SetState(ctx, did("nope", 1), deliverylog.Discarded, time.Time{}); !errors.Is(err, deliverylog.ErrNotFound) {
		t.Fatalf("SetState of a missing delivery: %v, want ErrNotFound", err)
	}
	if _, err := s.Update(ctx, did("nope", 1), func(*deliverylog.Delivery) error { return nil }); !errors.Is(err, deliverylog.ErrNotFound) {
		t.Fatalf("Update of a missing delivery: %v, want ErrNotFound", err)
	}
}

func contractUpdate(t *testing.T, s deliverylog.Store, _ *clock) {
	ctx := context.Background()
	d := delivery("sub1", 1, "acquirers/1")
	record(t, s, d, 500, deliverylog.Failed)
	stop := errors.New("stop")
	if _, err := s.Update(ctx, d.ID, func(*deliverylog.Delivery) error { return stop }); err != stop {
		t.Fatalf("Update returned %v, want change's error as is", err)
	}
	next := contractStart.Add(time.Hour)
	u, err := s.Update(ctx, d.ID, func(cur *deliverylog.Delivery) error {
		if cur.State != deliverylog.Failed || len(cur.Attempts) != 1 {
			return fmt.Errorf("change saw %+v", cur)
		}
		cur.State, cur.NextAttemptAt = deliverylog.Pending, next
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Get(ctx, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range []deliverylog.Delivery{u, got} {
		if x.State != deliverylog.Pending || !x.NextAttemptAt.Equal(next) || len(x.Attempts) != 1 {
			t.Fatalf("after Update: %+v", x)
		}
	}
	if _, err := s.SetState(ctx, d.ID, deliverylog.Discarded, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Get(ctx, d.ID); got.State != deliverylog.Discarded || !got.NextAttemptAt.IsZero() {
		t.Fatalf("after SetState: %+v", got)
	}
}

func contractHold(t *testing.T, s deliverylog.Store, _ *clock) {
	ctx := context.Background()
	fresh := delivery("sub1", 1, "acquirers/1")
	h, err := s.Hold(ctx, fresh, deliverylog.HoldPaused)
	if err != nil {
		t.Fatal(err)
	}
	if h.State != deliverylog.Held || h.HoldReason != deliverylog.HoldPaused || len(h.Attempts) != 0 || h.EventID != fresh.EventID {
		t.Fatalf("Hold of a new delivery: %+v", h)
	}
	if h, _ = s.Hold(ctx, fresh, deliverylog.HoldSuspended); h.HoldReason != deliverylog.HoldSuspended {
		t.Fatalf("Hold again with another reason: %+v", h)
	}
	got, err := s.Get(ctx, fresh.ID)
	if err != nil || got.State != deliverylog.Held || got.HoldReason != deliverylog.HoldSuspended {
		t.Fatalf("Get of a held delivery: %+v, %v", got, err)
	}
	// Released: the next attempt overwrites the hold.
	after := record(t, s, fresh, 200, deliverylog.Delivered)
	if after.State != deliverylog.Delivered || after.HoldReason != "" || len(after.Attempts) != 1 || after.Attempts[0].Number != 1 {
		t.Fatalf("attempt after the hold: %+v", after)
	}
	// A finished delivery is not held (a re-run task of it parked).
	if h, _ = s.Hold(ctx, fresh, deliverylog.HoldPaused); h.State != deliverylog.Delivered || h.HoldReason != "" {
		t.Fatalf("Hold of a delivered delivery: %+v", h)
	}
	retrying := delivery("sub1", 2, "acquirers/1")
	if _, err := s.RecordAttempt(ctx, retrying, attempt(503, contractStart), deliverylog.Pending, contractStart.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if h, _ = s.Hold(ctx, retrying, deliverylog.HoldPaused); h.State != deliverylog.Held || !h.NextAttemptAt.IsZero() || len(h.Attempts) != 1 {
		t.Fatalf("Hold of a pending delivery: %+v", h)
	}
	ds, _, err := s.List(ctx, deliverylog.Filter{SubscriptionID: "sub1", State: deliverylog.Held}, 10, "")
	if err != nil || len(ds) != 1 || ds[0].ID != retrying.ID {
		t.Fatalf("List HELD: %v, %v", ids(ds), err)
	}
	if _, err := s.Hold(ctx, fresh, "lunch"); err == nil {
		t.Fatal("Hold with an unknown reason succeeded")
	}
}

func ids(ds []deliverylog.Delivery) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.ID
	}
	return out
}

// listAll pages through f with pages of size and returns the ids, sorted.
func listAll(t *testing.T, s deliverylog.Store, f deliverylog.Filter, size int) []string {
	t.Helper()
	var all []string
	tok := ""
	for range 1000 {
		ds, next, err := s.List(context.Background(), f, size, tok)
		if err != nil {
			t.Fatalf("List(%+v): %v", f, err)
		}
		if len(ds) > size {
			t.Fatalf("List(%+v) returned %d > page size %d", f, len(ds), size)
		}
		all = append(all, ids(ds)...)
		if next == "" {
			slices.Sort(all)
			return all
		}
		tok = next
	}
	t.Fatalf("List(%+v) did not end", f)
	return nil
}

// listFixture records deliveries of three subscriptions at two scopes,
// with every status class, and returns the creation time after the first
// three.
func listFixture(t *testing.T, s deliverylog.Store, c *clock) time.Time {
	t.Helper()
	record(t, s, delivery("subA", 1, "acquirers/1"), 200, deliverylog.Delivered)
	record(t, s, delivery("subA", 2, "acquirers/1"), 503, deliverylog.Pending)
	record(t, s, delivery("subA", 3, "acquirers/1"), 404, deliverylog.Failed)
	c.set(contractStart.Add(time.Hour))
	mid := contractStart.Add(time.Hour)
	record(t, s, delivery("subA", 4, "acquirers/1"), 0, deliverylog.Pending)
	record(t, s, delivery("subB", 5, "acquirers/1/merchants/2"), 200, deliverylog.Delivered)
	record(t, s, delivery("subB", 6, "acquirers/1/merchants/2"), 302, deliverylog.Failed)
	record(t, s, delivery("subC", 7, "acquirers/10"), 200, deliverylog.Delivered)
	// Same event id as subA's 1, delivered to subC.
	d := delivery("subC", 8, "acquirers/10")
	d.EventID = "evt-1"
	record(t, s, d, 500, deliverylog.Failed)
	return mid
}

func contractListFilters(t *testing.T, s deliverylog.Store, c *clock) {
	mid := listFixture(t, s, c)
	for _, tc := range []struct {
		name string
		f    deliverylog.Filter
		want []string
	}{
		{"subscription", deliverylog.Filter{SubscriptionID: "subA"}, []string{did("subA", 1), did("subA", 2), did("subA", 3), did("subA", 4)}},
		{"event", deliverylog.Filter{EventID: "evt-1"}, []string{did("subA", 1), did("subC", 8)}},
		{"state", deliverylog.Filter{State: deliverylog.Failed}, []string{did("subA", 3), did("subB", 6), did("subC", 8)}},
		{"subscription and state", deliverylog.Filter{SubscriptionID: "subA", State: deliverylog.Pending}, []string{did("subA", 2), did("subA", 4)}},
		{"2xx", deliverylog.Filter{Status: deliverylog.Status2xx}, []string{did("subA", 1), did("subB", 5), did("subC", 7)}},
		{"3xx", deliverylog.Filter{Status: deliverylog.Status3xx}, []string{did("subB", 6)}},
		{"4xx", deliverylog.Filter{Status: deliverylog.Status4xx}, []string{did("subA", 3)}},
		{"5xx", deliverylog.Filter{Status: deliverylog.Status5xx}, []string{did("subA", 2), did("subC", 8)}},
		{"no answer", deliverylog.Filter{Status: deliverylog.StatusNone}, []string{did("subA", 4)}},
		{"before", deliverylog.Filter{Until: mid}, []string{did("subA", 1), did("subA", 2), did("subA", 3)}},
		{"window", deliverylog.Filter{SubscriptionID: "subA", Since: mid, Until: mid.Add(time.Hour)}, []string{did("subA", 4)}},
		{"scope subtree", deliverylog.Filter{Scope: "acquirers/1"}, []string{did("subA", 1), did("subA", 2), did("subA", 3), did("subA", 4), did("subB", 5), did("subB", 6)}},
		{"scope leaf", deliverylog.Filter{Scope: "acquirers/1/merchants/2", State: deliverylog.Delivered}, []string{did("subB", 5)}},
		{"scope and event", deliverylog.Filter{Scope: "acquirers/10", EventID: "evt-1"}, []string{did("subC", 8)}},
		{"everything", deliverylog.Filter{}, []string{did("subA", 1), did("subA", 2), did("subA", 3), did("subA", 4), did("subB", 5), did("subB", 6), did("subC", 7), did("subC", 8)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			slices.Sort(tc.want)
			if got := listAll(t, s, tc.f, 100); !slices.Equal(got, tc.want) {
				t.Fatalf("List(%+v) = %v, want %v", tc.f, got, tc.want)
			}
		})
	}
	ds, _, err := s.List(context.Background(), deliverylog.Filter{SubscriptionID: "subA", Status: deliverylog.Status5xx}, 10, "")
	if err != nil || len(ds) != 1 || len(ds[0].Attempts) != 1 || ds[0].Attempts[0].Status != 503 {
		t.Fatalf("a listed delivery comes with its attempts: %+v, %v", ds, err)
	}
	if _, _, err := s.List(context.Background(), deliverylog.Filter{Status: "6xx"}, 10, ""); !errors.Is(err, deliverylog.ErrBadFilter) {
		t.Fatalf("unknown status class: %v, want ErrBadFilter", err)
	}
}

func contractListPages(t *testing.T, s deliverylog.Store, c *clock) {
	ctx := context.Background()
	var want []string
	for i := range 23 {
		d := delivery("subP", i, "acquirers/1")
		record(t, s, d, 200, deliverylog.Delivered)
		want = append(want, d.ID)
	}
	slices.Sort(want)
	for _, size := range []int{1, 5, 23, 100} {
		if got := listAll(t, s, deliverylog.Filter{SubscriptionID: "subP"}, size); !slices.Equal(got, want) {
			t.Fatalf("pages of %d listed %v, want %v", size, got, want)
		}
	}
	_, tok, err := s.List(ctx, deliverylog.Filter{SubscriptionID: "subP"}, 5, "")
	if err != nil || tok == "" {
		t.Fatalf("first page: token %q, %v", tok, err)
	}
	if _, _, err := s.List(ctx, deliverylog.Filter{SubscriptionID: "other"}, 5, tok); !errors.Is(err, deliverylog.ErrBadPageToken) {
		t.Fatalf("a token used with another filter: %v, want ErrBadPageToken", err)
	}
	if _, _, err := s.List(ctx, deliverylog.Filter{SubscriptionID: "subP"}, 5, "garbage!"); !errors.Is(err, deliverylog.ErrBadPageToken) {
		t.Fatalf("a malformed token: %v, want ErrBadPageToken", err)
	}
}

func contractCount(t *testing.T, s deliverylog.Store, c *clock) {
	mid := listFixture(t, s, c)
	ctx := context.Background()
	all, err := s.Count(ctx, deliverylog.CountFilter{Since: contractStart, Until: mid.Add(24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	want := []deliverylog.Count{
		{SubscriptionID: "subA", State: deliverylog.Delivered, N: 1}, {SubscriptionID: "subA", State: deliverylog.Failed, N: 1},
		{SubscriptionID: "subA", State: deliverylog.Pending, N: 2},
		{SubscriptionID: "subB", State: deliverylog.Delivered, N: 1}, {SubscriptionID: "subB", State: deliverylog.Failed, N: 1},
		{SubscriptionID: "subC", State: deliverylog.Delivered, N: 1}, {SubscriptionID: "subC", State: deliverylog.Failed, N: 1},
	}
	if !slices.Equal(all, want) {
		t.Fatalf("Count = %+v, want %+v", all, want)
	}
	got, err := s.Count(ctx, deliverylog.CountFilter{Scope: "acquirers/1", Since: mid, Until: mid.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	want = []deliverylog.Count{{SubscriptionID: "subA", State: deliverylog.Pending, N: 1},
		{SubscriptionID: "subB", State: deliverylog.Delivered, N: 1}, {SubscriptionID: "subB", State: deliverylog.Failed, N: 1}}
	if !slices.Equal(got, want) {
		t.Fatalf("Count in a scope and window = %+v, want %+v", got, want)
	}
	got, err = s.Count(ctx, deliverylog.CountFilter{SubscriptionID: "subA", Since: contractStart, Until: mid})
	if err != nil || !slices.Equal(got, []deliverylog.Count{{SubscriptionID: "subA", State: deliverylog.Delivered, N: 1},
		{SubscriptionID: "subA", State: deliverylog.Failed, N: 1}, {SubscriptionID: "subA", State: deliverylog.Pending, N: 1}}) {
		t.Fatalf("Count of one subscription = %+v, %v", got, err)
	}
}

// contractConcurrent: attempts of one delivery racing each other are all
// kept, numbered 1..n; many deliveries at once are all recorded.
func contractConcurrent(t *testing.T, s deliverylog.Store, _ *clock) {
	ctx := context.Background()
	const racers, many = 8, 200
	d := delivery("subR", 1, "acquirers/1")
	var wg sync.WaitGroup
	errs := make(chan error, racers+many)
	for i := range racers {
		wg.Go(func() {
			_, err := s.RecordAttempt(ctx, d, attempt(500+i, contractStart.Add(time.Duration(i)*time.Second)), deliverylog.Pending, time.Time{})
			errs <- err
		})
	}
	for i := range many {
		wg.Go(func() {
			_, err := s.RecordAttempt(ctx, delivery("subM", i, "acquirers/1"), attempt(200, contractStart), deliverylog.Delivered, time.Time{})
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.Get(ctx, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	var nums, statuses []int
	for _, a := range got.Attempts {
		nums, statuses = append(nums, a.Number), append(statuses, a.Status)
	}
	slices.Sort(statuses)
	if !slices.Equal(nums, []int{1, 2, 3, 4, 5, 6, 7, 8}) || !slices.Equal(statuses, []int{500, 501, 502, 503, 504, 505, 506, 507}) {
		t.Fatalf("racing attempts stored as numbers %v statuses %v", nums, statuses)
	}
	if n := len(listAll(t, s, deliverylog.Filter{SubscriptionID: "subM"}, 1000)); n != many {
		t.Fatalf("%d of %d concurrent deliveries listed", n, many)
	}
}

// contractFailing: failed attempts (no 2xx, no answer included) are
// counted by start time in the window, whatever their delivery's state or
// creation time, ranked, scoped and limited.
func contractFailing(t *testing.T, s deliverylog.Store, _ *clock) {
	ctx := context.Background()
	// Attempt times are in the recent past of the real clock, not the
	// stores' test clock: the KV store reads the records written since the
	// window opened by the NATS server's clock.
	base := time.Now().UTC().Add(-3 * time.Hour).Truncate(time.Second)
	at := func(m int) time.Time { return base.Add(time.Duration(m) * time.Minute) }
	type try struct {
		status int
		err    string
		min    int
	}
	for _, x := range []struct {
		sub, scope string
		n          int
		tries      []try
	}{
		{"subA", "acquirers/1", 1, []try{{500, "", 1}, {0, "dial tcp 10.0.0.1:443: connect: connection refused", 10}, {200, "", 20}}},
		{"subA", "acquirers/1", 2, []try{{503, "", -5}, {404, "", 30}}}, // the first is before the window
		{"subB", "acquirers/1/merchants/2", 3, []try{{500, "", 5}, {500, "", 6}, {500, "", 7}}},
		{"subB", "acquirers/1/merchants/2", 8, []try{{502, "", 7}}}, // same time as 3's last: the higher id is the last
		{"subC", "acquirers/10", 4, []try{{302, "", 40}}},
		{"subC", "acquirers/10", 5, []try{{500, "", 60}}}, // at the window's end: outside
		{"subD", "acquirers/1", 6, []try{{200, "", 15}}},
		{"subE", "acquirers/1", 7, []try{{500, "", 50}}},
		{"subF", "acquirers/10", 9, []try{{500, "", 40}}}, // ties subC: by id
	} {
		d := delivery(x.sub, x.n, x.scope)
		for _, tr := range x.tries {
			a := attempt(tr.status, at(tr.min))
			a.Error = tr.err
			state := deliverylog.Pending
			if tr.status == 200 {
				state = deliverylog.Delivered
			}
			if _, err := s.RecordAttempt(ctx, d, a, state, time.Time{}); err != nil {
				t.Fatal(err)
			}
		}
	}
	f := func(sub string, n int64, m, status int, summary string) deliverylog.Failures {
		return deliverylog.Failures{SubscriptionID: sub, Attempts: n, LastAt: at(m), LastStatus: status, LastError: summary}
	}
	all := []deliverylog.Failures{
		f("subB", 4, 7, 502, "HTTP 502 Bad Gateway"),
		f("subA", 3, 30, 404, "HTTP 404 Not Found"),
		f("subE", 1, 50, 500, "HTTP 500 Internal Server Error"),
		f("subC", 1, 40, 302, "HTTP 302 Found"),
		f("subF", 1, 40, 500, "HTTP 500 Internal Server Error"),
	}
	hour := deliverylog.FailureFilter{Since: at(0), Until: at(60)}
	for _, tc := range []struct {
		name  string
		f     deliverylog.FailureFilter
		limit int
		want  []deliverylog.Failures
	}{
		{"everything", hour, 0, all},
		{"limit", hour, 2, all[:2]},
		{"scope", deliverylog.FailureFilter{Scope: "acquirers/1", Since: hour.Since, Until: hour.Until}, 0, all[:3]},
		{"scope leaf", deliverylog.FailureFilter{Scope: "acquirers/1/merchants/2", Since: hour.Since, Until: hour.Until}, 0, all[:1]},
		{"next hour", deliverylog.FailureFilter{Since: at(60), Until: at(120)}, 0, []deliverylog.Failures{f("subC", 1, 60, 500, "HTTP 500 Internal Server Error")}},
		{"window of one attempt", deliverylog.FailureFilter{Since: at(10), Until: at(11)}, 0,
			[]deliverylog.Failures{f("subA", 1, 10, 0, "dial tcp 10.0.0.1:443: connect: connection refused")}},
		{"nothing", deliverylog.FailureFilter{Since: at(-60), Until: at(-30)}, 0, nil},
		// After continues the ranking past a subscription: by count, then
		// the latest failure, then the id (subC ties subF).
		{"after the first", deliverylog.FailureFilter{Since: hour.Since, Until: hour.Until, After: all[0]}, 2, all[1:3]},
		{"after a tie", deliverylog.FailureFilter{Since: hour.Since, Until: hour.Until, After: all[3]}, 0, all[4:]},
		{"after the last", deliverylog.FailureFilter{Since: hour.Since, Until: hour.Until, After: all[4]}, 0, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.Failing(ctx, tc.f, tc.limit)
			if err != nil {
				t.Fatal(err)
			}
			if got.Truncated || !slices.EqualFunc(got.Subscriptions, tc.want, func(a, b deliverylog.Failures) bool { return a == b && a.LastAt.Equal(b.LastAt) }) {
				t.Fatalf("Failing(%+v, %d) =\n%+v\nwant\n%+v", tc.f, tc.limit, got, tc.want)
			}
		})
	}
	for _, bad := range []deliverylog.FailureFilter{
		{Since: at(10), Until: at(10)},                                  // empty
		{Since: at(0).Add(-deliverylog.MaxFailingWindow), Until: at(1)}, // longer than a day
	} {
		if _, err := s.Failing(ctx, bad, 0); !errors.Is(err, deliverylog.ErrBadFilter) {
			t.Fatalf("window %v to %v: %v, want ErrBadFilter", bad.Since, bad.Until, err)
		}
	}
}
