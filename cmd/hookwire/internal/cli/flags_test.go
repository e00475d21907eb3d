package cli

import (
	"slices"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"

	hookwirev1 "github.com/hookwire/hookwire/pkg/gen/hookwire/v1"
)

func TestParseRate(t *testing.T) {
	tests := []struct {
		in      string
		want    *hookwirev1.RateLimit
		wantErr bool
	}{
		{in: "10/s", want: &hookwirev1.RateLimit{PerSecond: 10}},
		{in: "10", want: &hookwirev1.RateLimit{PerSecond: 10}},
		{in: "600/m", want: &hookwirev1.RateLimit{PerSecond: 10}},
		{in: "3600/h:5", want: &hookwirev1.RateLimit{PerSecond: 1, Burst: 5}},
		{in: "0.5/s:2", want: &hookwirev1.RateLimit{PerSecond: 0.5, Burst: 2}},
		{in: "0/s", wantErr: true},
		{in: "-1/s", wantErr: true},
		{in: "10/d", wantErr: true},
		{in: "10/s:x", wantErr: true},
		{in: "10/s:-1", wantErr: true},
		{in: "fast", wantErr: true},
		{in: "NaN/s", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseRate(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("parseRate(%q) err = %v, wantErr %v", tt.in, err, tt.wantErr)
			}
			if !tt.wantErr && !proto.Equal(got, tt.want) {
				t.Fatalf("parseRate(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseRetry(t *testing.T) {
	d := durationpb.New
	tests := []struct {
		in      string
		want    []*durationpb.Duration
		wantErr bool
	}{
		{in: "5m,15m,45m", want: []*durationpb.Duration{d(5 * time.Minute), d(15 * time.Minute), d(45 * time.Minute)}},
		{in: "30s", want: []*durationpb.Duration{d(30 * time.Second)}},
		{in: " 1s , 2s ", want: []*durationpb.Duration{d(time.Second), d(2 * time.Second)}},
		{in: "none", want: nil}, // one attempt: an empty policy
		{in: "", wantErr: true},
		{in: "5m,,15m", wantErr: true},
		{in: "5", wantErr: true},
		{in: "-5m", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseRetry(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("parseRetry(%q) err = %v, wantErr %v", tt.in, err, tt.wantErr)
			}
			if !tt.wantErr && !proto.Equal(got, &hookwirev1.RetryPolicy{Delays: tt.want}) {
				t.Fatalf("parseRetry(%q) = %v", tt.in, got)
			}
		})
	}
}

func TestParseFilters(t *testing.T) {
	tests := []struct {
		name    string
		in      []string
		want    map[string][]string
		wantErr bool
	}{
		{name: "one key", in: []string{"payment_method=CARD,ACH"}, want: map[string][]string{"payment_method": {"CARD", "ACH"}}},
		{name: "repeated key merges", in: []string{"m=CARD", "m=ACH,CARD", "region=eu"}, want: map[string][]string{"m": {"CARD", "ACH"}, "region": {"eu"}}},
		{name: "spaces trimmed", in: []string{" m = a , b "}, want: map[string][]string{"m": {"a", "b"}}},
		{name: "no equals", in: []string{"CARD"}, wantErr: true},
		{name: "no key", in: []string{"=CARD"}, wantErr: true},
		{name: "no values", in: []string{"m="}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseFilters(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if tt.wantErr {
				return
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			for k, vals := range tt.want {
				if !slices.Equal(got[k].GetValues(), vals) {
					t.Errorf("%s = %v, want %v", k, got[k].GetValues(), vals)
				}
			}
		})
	}
}

func TestParsePairs(t *testing.T) {
	got, err := parsePairs("metadata", []string{"team=payments", "note=a=b", "empty="})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"team": "payments", "note": "a=b", "empty": ""}
	if len(got) != len(want) {
		t.Fatalf("got %v", got)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	for _, bad := range []string{"novalue", "=v"} {
		if _, err := parsePairs("metadata", []string{bad}); err == nil {
			t.Errorf("parsePairs(%q) accepted", bad)
		}
	}
}

func TestParseEnum(t *testing.T) {
	tests := []struct {
		in      string
		want    int32
		wantErr bool
	}{
		{in: "paused", want: int32(hookwirev1.SubscriptionStatus_SUBSCRIPTION_STATUS_PAUSED)},
		{in: "ACTIVE", want: int32(hookwirev1.SubscriptionStatus_SUBSCRIPTION_STATUS_ACTIVE)},
		{in: "unspecified", wantErr: true},
		{in: "gone", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseEnum("--status", tt.in, "SUBSCRIPTION_STATUS_", hookwirev1.SubscriptionStatus_value)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Fatalf("parseEnum(%q) = %d, %v", tt.in, got, err)
			}
		})
	}
}

func TestReplayRequest(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name       string
		sub, since string
		start, end string
		wantStart  time.Time
		wantEnd    time.Time
		wantErr    bool
	}{
		{name: "since", sub: "sub_1", since: "1h", wantStart: now.Add(-time.Hour)},
		{name: "start and end", sub: "sub_1", start: "2026-11-23T10:00:00Z", end: "2026-11-23T11:00:00Z",
			wantStart: now.Add(-2 * time.Hour), wantEnd: now.Add(-time.Hour)},
		{name: "end as duration ago", sub: "sub_1", since: "2h", end: "30m", wantStart: now.Add(-2 * time.Hour), wantEnd: now.Add(-30 * time.Minute)},
		{name: "no subscription", since: "1h", wantErr: true},
		{name: "neither since nor start", sub: "sub_1", wantErr: true},
		{name: "both since and start", sub: "sub_1", since: "1h", start: "2026-11-23T10:00:00Z", wantErr: true},
		{name: "bad since", sub: "sub_1", since: "yesterday", wantErr: true},
		{name: "bad end", sub: "sub_1", since: "1h", end: "later", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := replayRequest(tt.sub, tt.since, tt.start, tt.end, true, now)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if tt.wantErr {
				if _, ok := err.(usageError); !ok {
					t.Fatalf("err %v is not a usage error", err)
				}
				return
			}
			if !req.GetStartTime().AsTime().Equal(tt.wantStart) || !req.GetIncludeDelivered() {
				t.Fatalf("start = %v, want %v", req.GetStartTime().AsTime(), tt.wantStart)
			}
			if tt.wantEnd.IsZero() != (req.GetEndTime() == nil) || (req.GetEndTime() != nil && !req.GetEndTime().AsTime().Equal(tt.wantEnd)) {
				t.Fatalf("end = %v, want %v", req.GetEndTime(), tt.wantEnd)
			}
		})
	}
}
