package deliverylog

import (
	"fmt"
	"testing"
	"time"
)

func TestPartitionDays(t *testing.T) {
	for _, tc := range []struct {
		retention time.Duration
		want      int
	}{
		{time.Hour, 1}, {48 * time.Hour, 1}, {7 * 24 * time.Hour, 1}, {8 * 24 * time.Hour, 2},
		{14 * 24 * time.Hour, 3}, {DefaultRetention, 7}, {90 * 24 * time.Hour, 7}, {365 * 24 * time.Hour, 7},
	} {
		if got := PartitionDays(tc.retention); got != tc.want {
			t.Errorf("PartitionDays(%s) = %d, want %d", tc.retention, got, tc.want)
		}
	}
}

// planPartitions covers every day asked for, once, with partitions of the
// width asked for, and never overlaps one that exists (hand-made,
// non-midnight bounds included).
func TestPlanPartitions(t *testing.T) {
	d := func(day int) time.Time { return time.Date(2026, 11, day, 0, 0, 0, 0, time.UTC) }
	s := func(from, to time.Time) span {
		return span{name: partitionName("deliveries", from), from: from, to: to}
	}
	str := func(ss []span) string {
		out := ""
		for _, x := range ss {
			out += fmt.Sprintf("[%s %s %s)", x.name, x.from.Format("02T15"), x.to.Format("02T15"))
		}
		return out
	}
	noon := d(10).Add(12 * time.Hour)
	for _, tc := range []struct {
		name        string
		existing    []span
		first, last time.Time
		days        int
		want        []span
	}{
		{"fresh, weekly", nil, d(3).Add(10 * time.Hour), d(6), 7, []span{s(d(3), d(10))}},
		{"fresh, daily", nil, d(3), d(5), 1, []span{s(d(3), d(4)), s(d(4), d(5)), s(d(5), d(6))}},
		{"covered", []span{s(d(3), d(10))}, d(4), d(9), 7, nil},
		{"after the last", []span{s(d(3), d(10))}, d(8), d(11), 7, []span{s(d(10), d(17))}},
		{"daily ones first (an upgrade)", []span{s(d(3), d(4)), s(d(4), d(5)), s(d(5), d(6))}, d(4), d(7), 7,
			[]span{s(d(6), d(13))}},
		{"past days up to the first existing", []span{s(d(10), d(17))}, d(1), d(9), 7, []span{s(d(1), d(8)), s(d(8), d(10))}},
		{"a gap between two", []span{s(d(1), d(3)), s(d(5), d(9))}, d(1), d(8), 7, []span{s(d(3), d(5))}},
		{"a hand-made one ending at noon", []span{s(d(3), noon)}, d(3), d(11), 7,
			[]span{{name: "deliveries_p20261110_1200", from: noon, to: d(17)}}},
		{"up to an unbounded one", []span{s(d(9), afterAll)}, d(3), d(20), 7, []span{s(d(3), d(9))}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := planPartitions("deliveries", tc.existing, tc.first, tc.last, tc.days)
			if str(got) != str(tc.want) {
				t.Fatalf("planned %s, want %s", str(got), str(tc.want))
			}
			all := append(append([]span{}, tc.existing...), got...)
			for day := tc.first; day.Before(tc.last.AddDate(0, 0, 1)); day = day.Add(time.Hour) {
				n := 0
				for _, x := range all {
					if !day.Before(x.from) && day.Before(x.to) {
						n++
					}
				}
				if n != 1 {
					t.Fatalf("%s is in %d partitions of %s", day, n, str(all))
				}
			}
		})
	}
}

func TestParseBound(t *testing.T) {
	for in, want := range map[string]time.Time{
		"'2026-12-03 00:00:00+00'":   time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC),
		"'2026-12-03 12:30:00.5+00'": time.Date(2026, 12, 3, 12, 30, 0, 5e8, time.UTC),
		"'2026-12-03 01:00:00+01'":   time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC),
		"MINVALUE":                   beforeAll,
		"'-infinity'":                beforeAll,
		"MAXVALUE":                   afterAll,
		"'infinity'":                 afterAll,
	} {
		if got, err := parseBound(in); err != nil || !got.Equal(want) {
			t.Errorf("parseBound(%s) = %s, %v; want %s", in, got, err, want)
		}
	}
	if _, err := parseBound("'3 Dec 2026'"); err == nil {
		t.Error("a bound in another DateStyle was read")
	}
	if m := partitionBound.FindStringSubmatch(`FOR VALUES FROM (MINVALUE) TO ('2026-12-03 00:00:00+00')`); m == nil || m[1] != "MINVALUE" {
		t.Errorf("MINVALUE bound not matched: %q", m)
	}
}
