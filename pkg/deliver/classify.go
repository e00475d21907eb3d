package deliver

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// MaxRetryAfter caps a subscriber's Retry-After.
const MaxRetryAfter = time.Hour

// Classify maps one attempt's answer — an HTTP status and headers, or the
// error that prevented one — to its Outcome, and for Throttled the wait the
// subscriber asked for. It is the only place that decides:
//
//   - guard refusal, invalid URL or request, https-only violation: Refused
//   - any other error (timeout, connection, TLS): Retryable
//   - 2xx: Delivered
//   - 410: Gone
//   - 429 or 503 with a valid Retry-After (seconds or HTTP date, capped at
//     MaxRetryAfter): Throttled
//   - everything else, including 3xx (not followed): Retryable
func Classify(status int, header http.Header, err error) (Outcome, time.Duration) {
	if err != nil {
		if errors.Is(err, ErrForbiddenAddress) || errors.Is(err, ErrInvalidURL) ||
			errors.Is(err, ErrHTTPSOnly) || errors.Is(err, ErrInvalidRequest) {
			return Refused, 0
		}
		return Retryable, 0
	}
	switch {
	case status >= 200 && status < 300:
		return Delivered, 0
	case status == http.StatusGone:
		return Gone, 0
	case status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable:
		if d, ok := retryAfter(header, time.Now()); ok {
			return Throttled, d
		}
	}
	return Retryable, 0
}

// retryAfter parses Retry-After as delay-seconds or an HTTP date relative
// to now; a date in the past means 0.
func retryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	var d time.Duration
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		d = time.Duration(min(secs, int64(MaxRetryAfter/time.Second))) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = max(t.Sub(now), 0)
	} else {
		return 0, false
	}
	return min(d, MaxRetryAfter), true
}
