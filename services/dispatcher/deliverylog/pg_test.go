package deliverylog_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hookwire/hookwire/pkg/testkit"
	"github.com/hookwire/hookwire/services/dispatcher/deliverylog"
)

func openPG(t *testing.T, url string, c *clock) *deliverylog.PG {
	t.Helper()
	cfg := defaultConfig()
	cfg.URL = url
	p, err := deliverylog.OpenPostgres(context.Background(), cfg, deliverylog.WithPGClock(c.now))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

// TestPGConcurrentStarts: dispatchers starting at once on an empty
// database all open it; the migrations are applied once.
func TestPGConcurrentStarts(t *testing.T) {
	pg := testkit.StartPostgres(t)
	url := pg.NewDatabase(t)
	c := newClock(contractStart)
	const starts = 6
	var wg sync.WaitGroup
	stores := make([]*deliverylog.PG, starts)
	errs := make([]error, starts)
	cfg := defaultConfig()
	cfg.URL = url
	for i := range starts {
		wg.Go(func() {
			stores[i], errs[i] = deliverylog.OpenPostgres(context.Background(), cfg, deliverylog.WithPGClock(c.now))
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("start %d: %v", i, err)
		}
		defer stores[i].Close()
	}
	files, err := filepath.Glob("migrations/*.sql")
	if err != nil || len(files) == 0 {
		t.Fatalf("migration files: %v, %v", files, err)
	}
	var n int
	if err := stores[0].Pool().QueryRow(context.Background(), `SELECT count(*) FROM hookwire_schema_migrations`).Scan(&n); err != nil || n != len(files) {
		t.Fatalf("%d migrations recorded (%v), want %d, each once", n, err, len(files))
	}
	if applied, err := deliverylog.MigrateURL(context.Background(), url); err != nil || len(applied) != 0 {
		t.Fatalf("migrating again applied %v (%v), want nothing", applied, err)
	}
	// Every store writes, and sees the others' writes.
	for i, s := range stores {
		record(t, s, delivery("sub1", i, "acquirers/1"), 200, deliverylog.Delivered)
	}
	if got := listAll(t, stores[starts-1], deliverylog.Filter{SubscriptionID: "sub1"}, 100); len(got) != starts {
		t.Fatalf("listed %d deliveries, want %d", len(got), starts)
	}
}

func partitions(t *testing.T, p *deliverylog.PG) []string {
	t.Helper()
	rows, err := p.Pool().Query(context.Background(), `SELECT c.relname FROM pg_inherits i
		JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
		WHERE p.relname = 'deliveries' ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

// TestPGRetentionDropsWholeDays: a day's partition is dropped once the day
// is past the retention, with its deliveries and their attempts; newer
// days stay; the days ahead exist before they come.
func TestPGRetentionDropsWholeDays(t *testing.T) {
	pg := testkit.StartPostgres(t)
	c := newClock(contractStart)
	cfg := defaultConfig()
	cfg.URL, cfg.Retention = pg.NewDatabase(t), 48*time.Hour
	open := func() *deliverylog.PG {
		p, err := deliverylog.OpenPostgres(context.Background(), cfg, deliverylog.WithPGClock(c.now))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(p.Close)
		return p
	}
	p := open()
	if got := partitions(t, p); len(got) != 4 || got[0] != "deliveries_p20261123" || got[3] != "deliveries_p20261126" {
		t.Fatalf("partitions at start %v, want today and three days ahead", got)
	}
	old := record(t, p, delivery("sub1", 1, "acquirers/1"), 500, deliverylog.Failed)
	c.set(contractStart.AddDate(0, 0, 1))
	kept := record(t, p, delivery("sub1", 2, "acquirers/1"), 200, deliverylog.Delivered)
	// Three days later: the 23rd ended more than 48 h ago, the 24th did not.
	c.set(contractStart.AddDate(0, 0, 3))
	p.Close()
	p = open()
	ctx := context.Background()
	if _, err := p.Get(ctx, old.ID); !errors.Is(err, deliverylog.ErrNotFound) {
		t.Fatalf("a delivery past the retention: %v, want ErrNotFound", err)
	}
	if d, err := p.Get(ctx, kept.ID); err != nil || len(d.Attempts) != 1 {
		t.Fatalf("a delivery within the retention: %+v, %v", d, err)
	}
	got := partitions(t, p)
	if got[0] != "deliveries_p20261124" || got[len(got)-1] != "deliveries_p20261129" {
		t.Fatalf("partitions after three days %v, want 24th to 29th", got)
	}
	var attempts int
	if err := p.Pool().QueryRow(ctx, `SELECT count(*) FROM delivery_attempts`).Scan(&attempts); err != nil || attempts != 1 {
		t.Fatalf("%d attempts left (%v), want the kept delivery's 1", attempts, err)
	}
}

// ranges lists the deliveries table's partitions with their days (of
// November 2026, or of a later month shown with it: Dec4).
func ranges(t *testing.T, p *deliverylog.PG) string { return tableRanges(t, p, "deliveries") }

func tableRanges(t *testing.T, p *deliverylog.PG, table string) string {
	t.Helper()
	ctx := context.Background()
	conn, err := p.Pool().Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	type part struct {
		from time.Time
		text string
	}
	var parts []part
	bound := regexp.MustCompile(`^FOR VALUES FROM \((.+)\) TO \((.+)\)$`)
	end := func(b string) (time.Time, string) {
		switch b {
		case "MINVALUE":
			return time.Time{}, "min"
		case "MAXVALUE":
			return time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC), "max"
		}
		at, err := time.Parse("2006-01-02 15:04:05-07", strings.Trim(b, "'"))
		if err != nil {
			t.Fatalf("bound %s: %v", b, err)
		}
		return at, day(at)
	}
	err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SET LOCAL TimeZone = 'UTC'; SET LOCAL DateStyle = 'ISO, YMD'`); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i
			JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = $1`, table)
		if err != nil {
			return err
		}
		var name, b string
		_, err = pgx.ForEachRow(rows, []any{&name, &b}, func() error {
			m := bound.FindStringSubmatch(b)
			if m == nil { // DEFAULT: last
				parts = append(parts, part{time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC), name + " " + strings.ToLower(b)})
				return nil
			}
			from, f := end(m[1])
			_, to := end(m[2])
			parts = append(parts, part{from, fmt.Sprintf("%s [%s %s)", name, f, to)})
			return nil
		})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(parts, func(a, b part) int { return a.from.Compare(b.from) })
	var out []string
	for _, x := range parts {
		out = append(out, x.text)
	}
	return strings.Join(out, " ")
}

func day(t time.Time) string {
	t = t.UTC()
	if t.Month() == time.November {
		return fmt.Sprint(t.Day())
	}
	return t.Format("Jan2")
}

// TestPGRetentionDropsWholeWeeks: at the default retention (30 days) a
// partition spans a week; it is dropped, with its deliveries and their
// attempts, once the whole week is past the retention, and not before:
// a delivery is kept 30 days and at most a week more.
func TestPGRetentionDropsWholeWeeks(t *testing.T) {
	pg := testkit.StartPostgres(t)
	c := newClock(contractStart)
	url := pg.NewDatabase(t)
	p := openPG(t, url, c)
	if got := ranges(t, p); got != "deliveries_p20261123 [23 30)" {
		t.Fatalf("partitions at start %s, want the week from the 23rd", got)
	}
	old := record(t, p, delivery("sub1", 1, "acquirers/1"), 500, deliverylog.Failed)
	c.set(contractStart.AddDate(0, 0, 7))
	p.Close()
	p = openPG(t, url, c)
	kept := record(t, p, delivery("sub1", 2, "acquirers/1"), 200, deliverylog.Delivered)
	ctx := context.Background()
	// The 29th of December: the week of the 23rd ends on the 30th of
	// November, less than 30 days ago, so both deliveries are kept.
	c.set(time.Date(2026, 12, 29, 23, 0, 0, 0, time.UTC))
	p.Close()
	p = openPG(t, url, c)
	for _, id := range []string{old.ID, kept.ID} {
		if _, err := p.Get(ctx, id); err != nil {
			t.Fatalf("on the 29th of December %s: %v, want it kept", id, err)
		}
	}
	// The 30th: the week of the 23rd is past the retention.
	c.set(time.Date(2026, 12, 30, 0, 0, 0, 0, time.UTC))
	p.Close()
	p = openPG(t, url, c)
	if _, err := p.Get(ctx, old.ID); !errors.Is(err, deliverylog.ErrNotFound) {
		t.Fatalf("a delivery whose week is past the retention: %v, want ErrNotFound", err)
	}
	if d, err := p.Get(ctx, kept.ID); err != nil || len(d.Attempts) != 1 {
		t.Fatalf("a delivery of the next week: %+v, %v", d, err)
	}
	if got := ranges(t, p); !strings.HasPrefix(got, "deliveries_p20261130 [30 Dec7) ") {
		t.Fatalf("partitions on the 30th of December %s, want the week of the 30th first", got)
	}
	var attempts int
	if err := p.Pool().QueryRow(ctx, `SELECT count(*) FROM delivery_attempts`).Scan(&attempts); err != nil || attempts != 1 {
		t.Fatalf("%d attempts left (%v), want the kept delivery's 1", attempts, err)
	}
}

// TestPGDailyPartitionsThenWeekly: a log whose partitions are daily (a
// short retention, or a version that made one a day) goes on with weekly
// ones after the last daily one when the retention grows; deliveries in
// either are found by id.
func TestPGDailyPartitionsThenWeekly(t *testing.T) {
	pg := testkit.StartPostgres(t)
	c := newClock(contractStart)
	cfg := defaultConfig()
	cfg.URL, cfg.Retention = pg.NewDatabase(t), 48*time.Hour
	p, err := deliverylog.OpenPostgres(context.Background(), cfg, deliverylog.WithPGClock(c.now))
	if err != nil {
		t.Fatal(err)
	}
	daily := record(t, p, delivery("sub1", 1, "acquirers/1"), 200, deliverylog.Delivered)
	p.Close()
	c.set(contractStart.AddDate(0, 0, 2))
	p = openPG(t, cfg.URL, c)
	want := "deliveries_p20261123 [23 24) deliveries_p20261124 [24 25) deliveries_p20261125 [25 26) deliveries_p20261126 [26 27) deliveries_p20261127 [27 Dec4)"
	if got := ranges(t, p); got != want {
		t.Fatalf("partitions %s, want %s", got, want)
	}
	c.set(contractStart.AddDate(0, 0, 5)) // the 28th: in the weekly partition
	weekly := record(t, p, delivery("sub1", 2, "acquirers/1"), 200, deliverylog.Delivered)
	// A retry of the first delivery is appended to its row in its daily
	// partition, not inserted into the weekly one.
	a := attempt(500, contractStart.Add(time.Hour))
	a.Number = 2
	if _, err := p.RecordAttempt(context.Background(), delivery("sub1", 1, "acquirers/1"), a, deliverylog.Pending, time.Time{}); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for id, n := range map[string]int{daily.ID: 2, weekly.ID: 1} {
		if d, err := p.Get(ctx, id); err != nil || len(d.Attempts) != n {
			t.Fatalf("%s: %+v, %v, want %d attempts", id, d, err, n)
		}
	}
	for id, want := range map[string]string{daily.ID: "deliveries_p20261123", weekly.ID: "deliveries_p20261127"} {
		var parts []string
		rows, err := p.Pool().Query(ctx, `SELECT tableoid::regclass::text FROM deliveries WHERE id = $1`, id)
		if err == nil {
			parts, err = pgx.CollectRows(rows, pgx.RowTo[string])
		}
		if err != nil || len(parts) != 1 || parts[0] != want {
			t.Fatalf("%s in partitions %v (%v), want one row in %s", id, parts, err, want)
		}
	}
}

// TestPGPartitionsMadeByHand: a partition attached by hand (an archive
// under another name) is planned around and never dropped by retention;
// a pair left half made (its attempts partition missing) is completed.
func TestPGPartitionsMadeByHand(t *testing.T) {
	pg := testkit.StartPostgres(t)
	c := newClock(contractStart)
	url := pg.NewDatabase(t)
	p := openPG(t, url, c)
	ctx := context.Background()
	for _, q := range []string{
		`CREATE TABLE archive_2025 PARTITION OF deliveries FOR VALUES FROM ('2025-01-01') TO ('2025-02-01')`,
		`CREATE TABLE archive_2025_attempts PARTITION OF delivery_attempts FOR VALUES FROM ('2025-01-01') TO ('2025-02-01')`,
		`CREATE TABLE deliveries_future PARTITION OF deliveries FOR VALUES FROM ('2027-06-01') TO (MAXVALUE)`,
		`CREATE TABLE deliveries_rest PARTITION OF deliveries DEFAULT`,
		`DROP TABLE delivery_attempts_p20261123`,
	} {
		if _, err := p.Pool().Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	p.Close()
	p = openPG(t, url, c)
	if got := tableRanges(t, p, "delivery_attempts"); got != "archive_2025_attempts [Jan1 Feb1) delivery_attempts_p20261123 [23 30)" {
		t.Fatalf("attempts partitions %s, want the archive and the week of the 23rd made again", got)
	}
	record(t, p, delivery("sub1", 1, "acquirers/1"), 200, deliverylog.Delivered)
	c.set(time.Date(2027, 1, 15, 0, 0, 0, 0, time.UTC))
	p.Close()
	p = openPG(t, url, c)
	got := ranges(t, p)
	if want := "archive_2025 [Jan1 Feb1) deliveries_p20270115 [Jan15 Jan22) deliveries_future [Jun1 max) deliveries_rest default"; got != want {
		t.Fatalf("partitions on the 15th of January %s, want %s: the archive and the hand-made ones kept, the week of the 23rd dropped", got, want)
	}
}

// TestPGOutage: PostgreSQL stops while attempts are being recorded and
// comes back; the calls wait meanwhile, and every attempt is stored once.
func TestPGOutage(t *testing.T) {
	pg := testkit.StartPostgres(t)
	c := newClock(contractStart)
	p := openPG(t, pg.NewDatabase(t), c)
	ctx := context.Background()
	const writers, each = 8, 30
	var wg sync.WaitGroup
	var mu sync.Mutex
	done := 0
	errs := make(chan error, writers*each)
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				d := delivery("subO", w*each+i, "acquirers/1")
				if _, err := p.RecordAttempt(ctx, d, attempt(200, contractStart.Add(time.Duration(i)*time.Second)), deliverylog.Delivered, time.Time{}); err != nil {
					errs <- fmt.Errorf("record %s: %w", d.ID, err)
					return
				}
				mu.Lock()
				done++
				mu.Unlock()
			}
		})
	}
	progress := func() int { mu.Lock(); defer mu.Unlock(); return done }
	testkit.Eventually(t, 20*time.Second, func() bool { return progress() >= writers*each/4 }, "writes before the outage")
	pg.Stop()
	testkit.Eventually(t, 10*time.Second, func() bool { return p.Pool().Ping(ctx) != nil }, "server down")
	stalled := progress()
	if stalled == writers*each || len(errs) > 0 {
		t.Fatalf("with the server down %d of %d writes done, %d failed: they must wait", stalled, writers*each, len(errs))
	}
	if err := pg.Start(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	got := listAll(t, p, deliverylog.Filter{SubscriptionID: "subO"}, 1000)
	if len(got) != writers*each {
		t.Fatalf("%d deliveries stored, want %d", len(got), writers*each)
	}
	var attempts int
	if err := p.Pool().QueryRow(ctx, `SELECT count(*) FROM delivery_attempts`).Scan(&attempts); err != nil || attempts != writers*each {
		t.Fatalf("%d attempts stored (%v), want %d: none lost, none twice", attempts, err, writers*each)
	}
}

// EnsurePartitions makes past days' partitions (loading older history):
// a delivery created five days ago can then be written and read, with its
// attempts, in the partition of its day.
func TestPGEnsurePartitionsForPastDays(t *testing.T) {
	pg := testkit.StartPostgres(t)
	c := newClock(contractStart)
	p := openPG(t, pg.NewDatabase(t), c)
	ctx := context.Background()
	if err := p.EnsurePartitions(ctx, contractStart.AddDate(0, 0, -5), contractStart.AddDate(0, 0, -1)); err != nil {
		t.Fatal(err)
	}
	// The store made one weekly partition at start (the 23rd to the 30th);
	// the past days fill the five days before it.
	if got := ranges(t, p); got != "deliveries_p20261118 [18 23) deliveries_p20261123 [23 30)" {
		t.Fatalf("partitions %s, want the 18th to the 23rd and the 23rd to the 30th", got)
	}
	c.set(contractStart.AddDate(0, 0, -5))
	d := record(t, p, delivery("sub1", 1, "acquirers/1"), 200, deliverylog.Delivered)
	var part string
	if err := p.Pool().QueryRow(ctx, `SELECT tableoid::regclass::text FROM delivery_attempts WHERE delivery_id = $1`, d.ID).Scan(&part); err != nil || part != "delivery_attempts_p20261118" {
		t.Fatalf("attempt in %q (%v), want delivery_attempts_p20261118", part, err)
	}
}

// Writes, retries' re-reads and Get find deliveries and attempts through
// the indexes of each partition, never by scanning one: a day's partition
// fills from empty, so its statistics (and a connection's cached plans)
// lag far behind its size, and a planner left to them hash-joined each
// batch with a sequential scan of the whole partition (W1 on PostgreSQL:
// 190,000 rows read per batch of 40, 10 % of the plain client's rate).
func TestPGLookupsUseIndexes(t *testing.T) {
	pg := testkit.StartPostgres(t)
	c := newClock(contractStart)
	p := openPG(t, pg.NewDatabase(t), c)
	ctx := context.Background()
	var wg sync.WaitGroup
	each := func(from, to int, fn func(i int) error) {
		for w := range 40 { // concurrent: batches of several
			wg.Go(func() {
				for i := from + w; i < to; i += 40 {
					if err := fn(i); err != nil {
						t.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
	}
	first := func(i int) error {
		_, err := p.RecordAttempt(ctx, delivery("sub1", i, "acquirers/1"), attempt(200, contractStart), deliverylog.Delivered, time.Time{})
		return err
	}
	// Counters reach pg_stat_user_tables when each backend flushes them (at
	// the latest when it ends: the pool's connections are closed), all of
	// them at once: a phase's inserts all counted means its scans are too.
	today := []string{"deliveries_p20261123", "delivery_attempts_p20261123"}
	scans := func(inserted int64) (seq, idx int64) {
		t.Helper()
		p.Pool().Reset()
		testkit.Eventually(t, 20*time.Second, func() bool {
			var ins int64
			if err := p.Pool().QueryRow(ctx, `SELECT coalesce(sum(seq_scan), 0), coalesce(sum(idx_scan), 0), coalesce(sum(n_tup_ins), 0)
				FROM pg_stat_user_tables WHERE relname = ANY($1)`, today).Scan(&seq, &idx, &ins); err != nil {
				t.Fatal(err)
			}
			return ins == inserted
		}, "%d inserts counted in pg_stat_user_tables", inserted)
		return seq, idx
	}
	each(0, 3000, first) // today's partition grows from empty, its statistics behind
	seq0, idx0 := scans(2 * 3000)
	each(3000, 4000, first)
	each(0, 500, func(i int) error { // retries: their earlier attempts are read back
		a := attempt(500, contractStart.Add(time.Minute))
		a.Number = 2
		_, err := p.RecordAttempt(ctx, delivery("sub1", i, "acquirers/1"), a, deliverylog.Pending, time.Time{})
		return err
	})
	each(0, 500, func(i int) error { _, err := p.Get(ctx, delivery("sub1", i, "acquirers/1").ID); return err })
	seq, idx := scans(2*4000 + 500)
	if seq > seq0 || idx == idx0 {
		t.Fatalf("1000 writes, 500 retries and 500 reads scanned today's partitions %d times (index scans %d)", seq-seq0, idx-idx0)
	}
}
