package deliver

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"
)

func TestClassify(t *testing.T) {
	ra := func(v string) http.Header { return http.Header{"Retry-After": {v}} }
	soon := time.Now().Add(90 * time.Minute).UTC().Format(http.TimeFormat)
	past := time.Now().Add(-time.Hour).UTC().Format(http.TimeFormat)
	tests := []struct {
		name   string
		status int
		header http.Header
		err    error
		want   Outcome
		after  time.Duration
	}{
		{"200", 200, nil, nil, Delivered, 0},
		{"204", 204, nil, nil, Delivered, 0},
		{"299", 299, nil, nil, Delivered, 0},
		{"301", 301, nil, nil, Retryable, 0},
		{"302", 302, nil, nil, Retryable, 0},
		{"400", 400, nil, nil, Retryable, 0},
		{"404", 404, nil, nil, Retryable, 0},
		{"408", 408, nil, nil, Retryable, 0},
		{"410", 410, nil, nil, Gone, 0},
		{"429 without Retry-After", 429, nil, nil, Retryable, 0},
		{"429 seconds", 429, ra("30"), nil, Throttled, 30 * time.Second},
		{"429 zero", 429, ra("0"), nil, Throttled, 0},
		{"429 capped", 429, ra("999999"), nil, Throttled, MaxRetryAfter},
		{"429 date capped", 429, ra(soon), nil, Throttled, MaxRetryAfter},
		{"429 date in the past", 429, ra(past), nil, Throttled, 0},
		{"429 garbage", 429, ra("soon"), nil, Retryable, 0},
		{"429 negative", 429, ra("-5"), nil, Retryable, 0},
		{"503 seconds", 503, ra("7"), nil, Throttled, 7 * time.Second},
		{"503 without Retry-After", 503, nil, nil, Retryable, 0},
		{"500 with Retry-After", 500, ra("7"), nil, Retryable, 0},
		{"timeout", 0, nil, context.DeadlineExceeded, Retryable, 0},
		{"connection", 0, nil, errors.New("connection refused"), Retryable, 0},
		{"guard", 0, nil, fmt.Errorf("dial: %w", ErrForbiddenAddress), Refused, 0},
		{"bad url", 0, nil, ErrInvalidURL, Refused, 0},
		{"https only", 0, nil, ErrHTTPSOnly, Refused, 0},
		{"bad request", 0, nil, ErrInvalidRequest, Refused, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, after := Classify(tt.status, tt.header, tt.err)
			if got != tt.want || after != tt.after {
				t.Fatalf("Classify = %v %s, want %v %s", got, after, tt.want, tt.after)
			}
		})
	}
}

func TestRetryAfterDate(t *testing.T) {
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	h := http.Header{"Retry-After": {now.Add(150 * time.Second).Format(http.TimeFormat)}}
	if d, ok := retryAfter(h, now); !ok || d != 150*time.Second {
		t.Fatalf("retryAfter = %s %v", d, ok)
	}
}

func TestExcerpt(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain", "plain"},
		{"cut \xc3", "cut "},     // first byte of é
		{"cut \xe2\x82", "cut "}, // two of €'s three bytes
		{"whole \xe2\x82\xac", "whole €"},
		{"bad \xff mid", "bad \uFFFD mid"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := excerpt([]byte(tt.in)); got != tt.want {
			t.Errorf("excerpt(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
