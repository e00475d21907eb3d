package cli

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"

	hookwirev1 "github.com/hookwire/hookwire/pkg/gen/hookwire/v1"
)

// parseRate reads "--rate N/UNIT[:BURST]": 10/s, 600/m, 3600/h, 0.5/s:2.
// A bare number is per second.
func parseRate(s string) (*hookwirev1.RateLimit, error) {
	spec, burstText, hasBurst := strings.Cut(strings.TrimSpace(s), ":")
	num, unit, hasUnit := strings.Cut(spec, "/")
	n, err := strconv.ParseFloat(num, 64)
	if err != nil || n <= 0 || math.IsInf(n, 0) || math.IsNaN(n) {
		return nil, fmt.Errorf("rate %q: want a positive number like 10/s, 600/m or 10/s:20", s)
	}
	if hasUnit {
		switch unit {
		case "s", "sec", "second":
		case "m", "min", "minute":
			n /= 60
		case "h", "hour":
			n /= 3600
		default:
			return nil, fmt.Errorf("rate %q: unit must be s, m or h", s)
		}
	}
	rl := &hookwirev1.RateLimit{PerSecond: n}
	if hasBurst {
		b, err := strconv.ParseInt(burstText, 10, 32)
		if err != nil || b < 0 {
			return nil, fmt.Errorf("rate %q: burst must be a non-negative integer", s)
		}
		rl.Burst = int32(b)
	}
	return rl, nil
}

// parseRetry reads "--retry 5m,15m,45m": the delay before each retry.
func parseRetry(s string) (*hookwirev1.RetryPolicy, error) {
	p := &hookwirev1.RetryPolicy{}
	if strings.TrimSpace(s) == "none" {
		return p, nil // no delays: one attempt, never retried
	}
	for part := range strings.SplitSeq(s, ",") {
		d, err := time.ParseDuration(strings.TrimSpace(part))
		if err != nil || d < 0 {
			return nil, fmt.Errorf("retry %q: want comma-separated durations like 5m,15m,45m", s)
		}
		p.Delays = append(p.Delays, durationpb.New(d))
	}
	return p, nil
}

// parseFilters reads repeated "--filter key=v1,v2"; a repeated key adds values.
func parseFilters(specs []string) (map[string]*hookwirev1.AttributeValues, error) {
	out := map[string]*hookwirev1.AttributeValues{}
	for _, spec := range specs {
		key, vals, ok := strings.Cut(spec, "=")
		key = strings.TrimSpace(key)
		if !ok || key == "" || strings.TrimSpace(vals) == "" {
			return nil, fmt.Errorf("filter %q: want key=value[,value...]", spec)
		}
		av := out[key]
		if av == nil {
			av = &hookwirev1.AttributeValues{}
			out[key] = av
		}
		for v := range strings.SplitSeq(vals, ",") {
			if v = strings.TrimSpace(v); v != "" && !slices.Contains(av.Values, v) {
				av.Values = append(av.Values, v)
			}
		}
	}
	return out, nil
}

// parsePairs reads repeated "key=value" flags (--metadata, --attr).
func parsePairs(flag string, specs []string) (map[string]string, error) {
	out := make(map[string]string, len(specs))
	for _, spec := range specs {
		k, v, ok := strings.Cut(spec, "=")
		if !ok || strings.TrimSpace(k) == "" {
			return nil, fmt.Errorf("%s %q: want key=value", flag, spec)
		}
		out[strings.TrimSpace(k)] = v
	}
	return out, nil
}

// parseEnum maps a short, case-insensitive name ("paused") to the value of
// the enum whose names carry prefix ("SUBSCRIPTION_STATUS_").
func parseEnum(flag, s, prefix string, values map[string]int32) (int32, error) {
	if v, ok := values[prefix+strings.ToUpper(strings.TrimSpace(s))]; ok && v != 0 {
		return v, nil
	}
	var names []string
	for name, v := range values {
		if v != 0 {
			names = append(names, enumName(name, prefix))
		}
	}
	slices.Sort(names)
	return 0, fmt.Errorf("%s %q: want one of %s", flag, s, strings.Join(names, ", "))
}

// parseTimeArg reads an RFC 3339 time, or a duration meaning that long ago.
func parseTimeArg(flag, s string, now time.Time) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return now.Add(-d), nil
	}
	return time.Time{}, fmt.Errorf("%s %q: want an RFC 3339 time or a duration ago like 1h", flag, s)
}
