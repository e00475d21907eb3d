package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// The receivers' window: the longest gap per receiver (edges included),
// latency of a publish window, and the faults POST /fault sets.
func TestReceiversWindowAndFaults(t *testing.T) {
	rs := &receivers{by: map[string]*tally{}, record: true, faults: map[int]fault{}}
	post := func(idx int, ts int64) int {
		body := fmt.Sprintf(`{"data":{"w":"t","ts":%d,"n":1}}`, ts)
		req := httptest.NewRequest(http.MethodPost, fmt.Sprintf("/ok/%d", idx), strings.NewReader(body))
		req.Header.Set("webhook-id", fmt.Sprintf("msg_%d_%d", idx, ts))
		rr := httptest.NewRecorder()
		rs.ServeHTTP(rr, req)
		return rr.Code
	}
	rr := httptest.NewRecorder()
	rs.setFault(rr, httptest.NewRequest(http.MethodPost, "/fault?idx=1&status=503", nil))
	if rr.Code != http.StatusNoContent {
		t.Fatalf("set fault: %d %s", rr.Code, rr.Body)
	}
	if code := post(1, 1); code != http.StatusServiceUnavailable {
		t.Fatalf("faulty receiver answered %d, want 503", code)
	}
	rs.setFault(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/fault?idx=1", nil))
	if code := post(1, 1); code != http.StatusNoContent {
		t.Fatalf("healed receiver answered %d, want 204", code)
	}
	// Arrival times are the wall clock: rewrite them to a known timeline.
	start := time.Now().UnixNano()
	for i := range 3 {
		post(0, start+int64(i))
	}
	tl := rs.by["t"]
	tl.arrivals[0] = []int64{100, 200, 900}
	tl.arrivals[1] = []int64{150}
	tl.firsts[0] = []arrival{{published: 10, at: 100}, {published: 20, at: 200}, {published: 30, at: 900}}
	get := func(q string) Window {
		rr := httptest.NewRecorder()
		rs.window(rr, httptest.NewRequest(http.MethodGet, "/window?w=t&"+q, nil))
		var w Window
		if err := json.NewDecoder(rr.Body).Decode(&w); err != nil {
			t.Fatal(err)
		}
		return w
	}
	w := get("idx=0&from=0&to=1000&pfrom=15&pto=30")
	if w.GapMS != 700e-6 || w.GapIndex != 0 || w.GapStartNS != 200 || w.FirstNS != 100 {
		t.Fatalf("window %+v, want the gap 200→900 on receiver 0, first at 100", w)
	}
	if w.Published != 2 || w.LastNS != 900 || w.LatencyMS.Max != 870e-6 {
		t.Fatalf("window %+v, want 2 published in [15,30], last at 900, max latency 870 ns", w)
	}
	// Receiver 1's one arrival leaves 850 ns to the window's end.
	if w := get("idx=0,1&from=0&to=1000&pfrom=0&pto=0"); w.GapMS != 850e-6 || w.GapIndex != 1 {
		t.Fatalf("window %+v, want receiver 1's gap 150→1000", w)
	}
	// A receiver with nothing in the window: the whole window is a gap.
	if w := get("idx=2&from=0&to=1000"); w.GapMS != 1000e-6 || w.FirstNS != 0 {
		t.Fatalf("window %+v, want a 1000 ns gap and no first arrival", w)
	}
}
