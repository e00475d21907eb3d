package main

import (
	"context"
	"fmt"
	"hash/fnv"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"golang.org/x/sync/errgroup"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	hookwirev1 "github.com/hookwire/hookwire/pkg/gen/hookwire/v1"
	"github.com/hookwire/hookwire/services/dispatcher/deliverylog"
)

// W6Result is a retained history of -w6-records deliveries in the
// PostgreSQL store: what it costs the broker (nothing, it is not there),
// PostgreSQL's disk, and ListDeliveries of the subscription holding
// -w6-big-sub of them, through the dispatcher's DeliveryService.
type W6Result struct {
	Loaded        int64   `json:"loaded_deliveries"`
	LoadedAtt     int64   `json:"loaded_attempts"`
	Subscriptions int     `json:"subscriptions"`
	BigSub        int     `json:"big_subscription_deliveries"`
	Days          int     `json:"days"`
	LoadSeconds   float64 `json:"load_s"`
	LoadPerSec    float64 `json:"load_deliveries_per_s"`
	AnalyzeSecs   float64 `json:"analyze_s"`
	// Rows, AttemptRows and the disk figures cover the whole log: the
	// loaded history and the earlier workloads' deliveries.
	Rows               int64   `json:"deliveries_total"`
	AttemptRows        int64   `json:"attempts_total"`
	DiskDeliveries     int64   `json:"disk_bytes_deliveries"`
	DiskAttempts       int64   `json:"disk_bytes_attempts"`
	DiskBytesPerRecord float64 `json:"disk_bytes_per_delivery"`
	NATSBeforeMiB      float64 `json:"nats_rss_before_mib"`
	NATSAfterMiB       float64 `json:"nats_rss_after_mib"`
	NATSDeltaMiB       float64 `json:"nats_rss_delta_mib"`
	DispBeforeMiB      float64 `json:"dispatcher_rss_before_mib"`
	DispAfterMiB       float64 `json:"dispatcher_rss_after_mib"`
	PostgresMemMiB     float64 `json:"postgres_pss_mib"`
	PageSize           int     `json:"page_size"`
	FirstPageMS        Latency `json:"first_page_ms"`
	DeepPageMS         Latency `json:"deep_page_ms"`
	DeepOffset         int64   `json:"deep_page_offset"` // the subscription's deliveries newer than the deep page
	WalkSeconds        float64 `json:"walk_s"`           // paging there, MaxPageSize per call
	WalkPages          int     `json:"walk_pages"`
	Warmup             int     `json:"warmup_calls"`
	// Healthy is W2's load again beside the retained history: every
	// write now looks in 30 days of partitions (five or six weekly ones).
	Healthy *W2Result `json:"healthy,omitempty"`
}

// w6Page is the page size timed: the DeliveryService default.
const w6Page = deliverylog.DefaultPageSize

func (b *bench) w6(ctx context.Context) (*W6Result, error) {
	cfg := b.cfg
	r := &W6Result{BigSub: min(cfg.w6BigSub, cfg.w6Records), Days: max(cfg.w6Days, 1), PageSize: w6Page, Warmup: 5}
	logf("W6: %d deliveries over %d days in PostgreSQL (one subscription holding %d), then ListDeliveries", cfg.w6Records, r.Days, r.BigSub)
	// The subscription that is listed is a real one: DeliveryService
	// checks it exists and is visible. The others are made-up ids, like
	// deleted subscriptions' (only a root caller sees theirs).
	created, err := b.reg.CreateSubscription(ctx, &hookwirev1.CreateSubscriptionRequest{Subscription: &hookwirev1.Subscription{
		Label: "bench w6 history", Url: b.url(0, "w6"), EventTypes: []string{EventType},
		AttributeFilters: map[string]*hookwirev1.AttributeValues{"workload": {Values: []string{"w6"}}},
	}})
	if err != nil {
		return nil, fmt.Errorf("create the W6 subscription: %w", err)
	}
	big := created.GetSubscription()
	gen := newHistory(int64(cfg.w6Records), r.BigSub, big.GetId(), big.GetScope(), r.Days, time.Now())

	store, err := deliverylog.OpenPostgres(ctx, deliverylog.Config{URL: b.st.pg.url, Retention: deliverylog.DefaultRetention, Replicas: 1})
	if err != nil {
		return nil, err
	}
	err = store.EnsurePartitions(ctx, gen.start, time.Now())
	store.Close()
	if err != nil {
		return nil, err
	}
	r.NATSBeforeMiB, r.DispBeforeMiB = b.procRSS("nats"), b.procRSS("dispatcher")

	start := time.Now()
	if r.Loaded, r.LoadedAtt, err = gen.load(ctx, b.st.pg.url); err != nil {
		return nil, err
	}
	r.LoadSeconds = secs(time.Since(start))
	r.LoadPerSec = round(float64(r.Loaded)/time.Since(start).Seconds(), 0)
	logf("  loaded %d deliveries, %d attempts in %.0fs (%.0f deliveries/s)", r.Loaded, r.LoadedAtt, r.LoadSeconds, r.LoadPerSec)
	c, err := pgx.Connect(ctx, b.st.pg.url)
	if err != nil {
		return nil, err
	}
	defer c.Close(context.Background())
	start = time.Now()
	// What autovacuum would have done over 30 days; the planner needs it.
	if _, err := c.Exec(ctx, "ANALYZE deliveries, delivery_attempts"); err != nil {
		return nil, fmt.Errorf("analyze: %w", err)
	}
	r.AnalyzeSecs = secs(time.Since(start))
	if err := c.QueryRow(ctx, "SELECT (SELECT count(*) FROM deliveries), (SELECT count(*) FROM delivery_attempts)").Scan(&r.Rows, &r.AttemptRows); err != nil {
		return nil, err
	}
	if r.DiskDeliveries, r.DiskAttempts, err = logDisk(ctx, c); err != nil {
		return nil, err
	}
	r.DiskBytesPerRecord = round(float64(r.DiskDeliveries+r.DiskAttempts)/float64(max(r.Rows, 1)), 0)
	logf("  %d deliveries, %d attempts on disk: %.2f GiB = %.0f B per delivery (with its attempts and indexes)",
		r.Rows, r.AttemptRows, float64(r.DiskDeliveries+r.DiskAttempts)/(1<<30), r.DiskBytesPerRecord)

	if err := b.w6List(ctx, r, big.GetId()); err != nil {
		return nil, err
	}
	r.NATSAfterMiB, r.DispAfterMiB = b.procRSS("nats"), b.procRSS("dispatcher")
	r.NATSDeltaMiB = round(r.NATSAfterMiB-r.NATSBeforeMiB, 1)
	if f := b.pgFigures(ctx); f != nil {
		r.PostgresMemMiB = f.MemMiB
	}
	logf("  nats RSS %.1f → %.1f MiB (%+.1f); dispatcher %.1f → %.1f MiB; PostgreSQL %.0f MiB (Pss)",
		r.NATSBeforeMiB, r.NATSAfterMiB, r.NATSDeltaMiB, r.DispBeforeMiB, r.DispAfterMiB, r.PostgresMemMiB)
	// After the broker's figure: this load runs through NATS.
	if r.Healthy, err = b.w2(ctx, "w6h"); err != nil {
		return nil, err
	}
	return r, nil
}

// w6List pages to a position deep in the subscription's history with the
// largest pages, then times the first page and that deep page (the
// DeliveryService's default page size), interleaved, as a client calls
// them: over gRPC to the dispatcher.
func (b *bench) w6List(ctx context.Context, r *W6Result, sub string) error {
	conn, err := grpc.NewClient(b.st.disAddr, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(64<<20)))
	if err != nil {
		return err
	}
	defer conn.Close()
	dc := hookwirev1.NewDeliveryServiceClient(conn)
	list := func(size int, token string) (*hookwirev1.ListDeliveriesResponse, time.Duration, error) {
		cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		t0 := time.Now()
		resp, err := dc.ListDeliveries(cctx, &hookwirev1.ListDeliveriesRequest{SubscriptionId: sub, PageSize: int32(size), PageToken: token})
		return resp, time.Since(t0), err
	}
	deep := int64(r.BigSub) * 9 / 10 // nine tenths back: the oldest days
	start := time.Now()
	token := ""
	for r.DeepOffset < deep {
		resp, _, err := list(deliverylog.MaxPageSize, token)
		if err != nil {
			return fmt.Errorf("walk to page %d: %w", r.WalkPages, err)
		}
		r.WalkPages++
		r.DeepOffset += int64(len(resp.GetDeliveries()))
		if token = resp.GetNextPageToken(); token == "" {
			break
		}
	}
	r.WalkSeconds = secs(time.Since(start))
	logf("  paged %d deliveries deep in %d calls of %d (%.1fs)", r.DeepOffset, r.WalkPages, deliverylog.MaxPageSize, r.WalkSeconds)
	if token == "" {
		return fmt.Errorf("the subscription's history ended after %d deliveries, want %d", r.DeepOffset, deep)
	}
	var first, deepNS []int64
	for i := range r.Warmup + b.cfg.w6Queries {
		for _, q := range []struct {
			token string
			into  *[]int64
		}{{"", &first}, {token, &deepNS}} {
			resp, d, err := list(w6Page, q.token)
			if err != nil {
				return fmt.Errorf("ListDeliveries: %w", err)
			}
			if len(resp.GetDeliveries()) != w6Page {
				return fmt.Errorf("ListDeliveries: %d deliveries on a page, want %d", len(resp.GetDeliveries()), w6Page)
			}
			if i >= r.Warmup {
				*q.into = append(*q.into, d.Nanoseconds())
			}
		}
	}
	r.FirstPageMS, r.DeepPageMS = percentiles(first), percentiles(deepNS)
	logf("  ListDeliveries (%d per page, %d calls each): first page p50 %.2f p99 %.2f ms; deep page p50 %.2f p99 %.2f ms",
		w6Page, b.cfg.w6Queries, r.FirstPageMS.P50, r.FirstPageMS.P99, r.DeepPageMS.P50, r.DeepPageMS.P99)
	return nil
}

// procRSS is the RSS in MiB of the stack's process name.
func (b *bench) procRSS(name string) float64 {
	for _, p := range b.st.processes() {
		if p.name == name {
			u, _ := usageOf(p)
			return round(float64(u.RSSKiB)/1024, 1)
		}
	}
	return 0
}

// history generates n deliveries shaped like the dispatcher's, in order of
// creation, evenly over days up to now: every (n / big)-th belongs to the
// subscription bigSub, the others to otherSubs made-up subscriptions. Most
// are delivered at the first attempt; some after a retry; some failed
// after the default schedule's four attempts.
type history struct {
	n         int64
	every     int64 // one in every this many is bigSub's
	bigSub    string
	bigScope  string
	start     time.Time
	step      time.Duration
	otherSubs int
}

const historySubs = 99

func newHistory(n int64, big int, bigSub, bigScope string, days int, now time.Time) *history {
	span := time.Duration(days)*24*time.Hour - 2*time.Hour // the last failed attempts (65 min after creation) still in the past
	return &history{n: n, every: max(n/int64(max(big, 1)), 1), bigSub: bigSub, bigScope: bigScope,
		start: now.Add(-span).Truncate(time.Microsecond), step: span / time.Duration(max(n, 1)), otherSubs: historySubs}
}

var historyTypes = []string{"transaction.sale.success", "transaction.sale.failed", "transaction.refund.success", "ach.returned", "product.inventory.adjusted"}

// at returns delivery i, with its attempts; the same i gives the same
// delivery.
func (h *history) at(i int64) deliverylog.Delivery {
	sub, subScope := h.bigSub, h.bigScope
	if i%h.every != 0 {
		k := int(mix(uint64(i)) % uint64(h.otherSubs))
		sub, subScope = fmt.Sprintf("sub_01JW6H1ST0RY%012d", k), fmt.Sprintf("acquirers/%d", 100+k%10)
	}
	x := mix(uint64(i) ^ 0x9e3779b97f4a7c15)
	scope := fmt.Sprintf("%s/merchants/%d/terminals/%d", subScope, 2000+x%50, x%7)
	if subScope == "" {
		scope = fmt.Sprintf("acquirers/100/merchants/%d/terminals/%d", 2000+x%50, x%7)
	}
	eventID := fmt.Sprintf("evt_01JW6%021d", i)
	created := h.start.Add(time.Duration(i) * h.step)
	d := deliverylog.Delivery{ID: deliverylog.ID(sub, scope, eventID), EventID: eventID, EventType: historyTypes[x%uint64(len(historyTypes))],
		SubscriptionID: sub, Scope: scope, SubscriptionScope: subScope, EventSeq: uint64(i) + 1, CreatedAt: created}
	// 94 % delivered at once, 4 % after one retry (5 min), 2 % failed
	// after four attempts (now, 5, 15, 45 min apart).
	statuses := []int{200}
	switch p := x % 100; {
	case p >= 98:
		statuses = []int{500, 500, 503, 500}
	case p >= 94:
		statuses = []int{503, 200}
	}
	delays := []time.Duration{0, 5 * time.Minute, 20 * time.Minute, 65 * time.Minute}
	url := fmt.Sprintf("https://hooks.merchant-%d.example/webhooks/hookwire", x%1000)
	var atts []deliverylog.Attempt
	for n, st := range statuses {
		a := deliverylog.Attempt{Number: n + 1, StartedAt: created.Add(delays[n] + 3*time.Millisecond), Status: st,
			Latency: time.Duration(20+x%180) * time.Millisecond, URL: url, Trigger: deliverylog.TriggerScheduled}
		if st == 200 {
			a.Excerpt = `{"received":true}`
		} else {
			a.Excerpt = `{"error":"upstream unavailable","retry":true}`
			a.Error = fmt.Sprintf("HTTP %d", st)
		}
		atts = append(atts, a)
	}
	last := atts[len(atts)-1]
	d.UpdatedAt = last.StartedAt.Add(last.Latency)
	d.State = deliverylog.Delivered
	if last.Status != 200 {
		d.State = deliverylog.Failed
	}
	d.Attempts = atts
	return d
}

func mix(v uint64) uint64 {
	h := fnv.New64a()
	var b [8]byte
	for i := range b {
		b[i] = byte(v >> (8 * i))
	}
	_, _ = h.Write(b[:])
	return h.Sum64()
}

var (
	deliveryCols = []string{"id", "created_at", "updated_at", "subscription_id", "subscription_scope", "event_id", "event_type",
		"scope", "event_seq", "state", "hold_reason", "attempts", "last_status", "next_attempt_at"}
	attemptCols = []string{"delivery_id", "created_at", "n", "started_at", "status", "latency_ns", "error", "excerpt", "url", "trigger"}
)

// load COPYs the history into the store's tables (migrations applied,
// partitions made), in chunks of consecutive deliveries handed to two
// loaders: each generates its chunk once, then COPYs its deliveries and
// its attempts, one transaction per COPY.
func (h *history) load(ctx context.Context, url string) (deliveries, attempts int64, err error) {
	const chunk = 100_000
	var next, nd, na, logged atomic.Int64
	t0 := time.Now()
	g, gctx := errgroup.WithContext(ctx)
	for range 2 {
		g.Go(func() error {
			c, err := pgx.Connect(gctx, url)
			if err != nil {
				return err
			}
			defer c.Close(context.Background())
			var drows, arows [][]any
			for {
				from := next.Add(chunk) - chunk
				if from >= h.n {
					return nil
				}
				to := min(from+chunk, h.n)
				drows, arows = drows[:0], arows[:0]
				for i := from; i < to; i++ {
					d := h.at(i)
					drows = append(drows, []any{d.ID, d.CreatedAt, d.UpdatedAt, d.SubscriptionID, d.SubscriptionScope, d.EventID, d.EventType,
						d.Scope, int64(d.EventSeq), string(d.State), "", int32(len(d.Attempts)), int32(d.LastStatus()), nil})
					for _, a := range d.Attempts {
						arows = append(arows, []any{d.ID, d.CreatedAt, int32(a.Number), a.StartedAt, int32(a.Status), a.Latency.Nanoseconds(),
							a.Error, a.Excerpt, a.URL, a.Trigger})
					}
				}
				n, err := c.CopyFrom(gctx, pgx.Identifier{"deliveries"}, deliveryCols, pgx.CopyFromRows(drows))
				if err != nil {
					return fmt.Errorf("copy deliveries %d-%d: %w", from, to, err)
				}
				nd.Add(n)
				if n, err = c.CopyFrom(gctx, pgx.Identifier{"delivery_attempts"}, attemptCols, pgx.CopyFromRows(arows)); err != nil {
					return fmt.Errorf("copy attempts %d-%d: %w", from, to, err)
				}
				na.Add(n)
				if done, last := nd.Load(), logged.Load(); done-last >= 1_000_000 && logged.CompareAndSwap(last, done) {
					logf("  %d of %d deliveries loaded (%.0f/s)", done, h.n, float64(done)/time.Since(t0).Seconds())
				}
			}
		})
	}
	err = g.Wait()
	return nd.Load(), na.Load(), err
}
