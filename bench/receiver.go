package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// The receivers process (`receivers` subcommand) listens on several ports
// and plays the subscriber endpoints. Every POST body carries, in its data,
// "ts" (publish time, Unix ns) and "w" (the workload tag). The process
// counts deliveries per workload by webhook-id and records the
// publish->receive latency on arrival. A path starting with /fail/ always
// answers 500. Its control port serves GET /stats?w=<tag>.
//
// With -record (make chaos) it also keeps, per workload and receiver (the
// last path segment of the subscription URL, /ok/<i>), the time of every
// 2xx answer and each webhook-id's publish and first-arrival times, which
// GET /window turns into the longest gap with no delivery and the latency
// of a publish window; POST /fault makes receivers answer 503 or take a
// delay per request until set back to ok.

type tally struct {
	seen      map[string]int32
	received  int64
	failed    int64
	first     int64 // arrival, Unix ns
	last      int64
	latencies []int64 // ns, one per first arrival of a webhook-id
	// -record only, by receiver index:
	arrivals map[int][]int64   // every 2xx answer, Unix ns
	firsts   map[int][]arrival // first arrival of each webhook-id
}

type arrival struct{ published, at int64 }

// fault is what a receiver does instead of answering 204 at once.
type fault struct {
	status int           // answer this status (503) instead of 204
	delay  time.Duration // wait this long before answering
}

type receivers struct {
	mu     sync.Mutex
	by     map[string]*tally
	record bool
	faults map[int]fault
}

func (rs *receivers) tallyOf(w string) *tally {
	t := rs.by[w]
	if t == nil {
		t = &tally{seen: make(map[string]int32), arrivals: map[int][]int64{}, firsts: map[int][]arrival{}}
		rs.by[w] = t
	}
	return t
}

// receiverIndex is the number ending path (/ok/<i>), or -1.
func receiverIndex(path string) int {
	i, err := strconv.Atoi(path[strings.LastIndexByte(path, '/')+1:])
	if err != nil {
		return -1
	}
	return i
}

func (rs *receivers) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	now := time.Now().UnixNano()
	if err != nil {
		http.Error(w, "read body", http.StatusBadRequest)
		return
	}
	tag := field(body, `"w":"`, '"')
	ts, _ := strconv.ParseInt(field(body, `"ts":`, ','), 10, 64)
	fail := len(r.URL.Path) >= 6 && r.URL.Path[:6] == "/fail/"
	id := r.Header.Get("webhook-id")
	idx := -1
	rs.mu.Lock()
	var f fault
	if rs.record {
		idx = receiverIndex(r.URL.Path)
		f = rs.faults[idx]
	}
	status := http.StatusNoContent
	switch {
	case fail:
		status = http.StatusInternalServerError
	case f.status != 0:
		status = f.status
	}
	t := rs.tallyOf(tag)
	if status >= 300 {
		t.failed++
	} else {
		t.received++
		t.seen[id]++
		first := t.seen[id] == 1
		if first && ts > 0 {
			t.latencies = append(t.latencies, now-ts)
		}
		if t.first == 0 {
			t.first = now
		}
		t.last = now
		if rs.record {
			t.arrivals[idx] = append(t.arrivals[idx], now)
			if first {
				t.firsts[idx] = append(t.firsts[idx], arrival{published: ts, at: now})
			}
		}
	}
	rs.mu.Unlock()
	if f.delay > 0 {
		time.Sleep(f.delay) // the receiver is slow: that is the fault
	}
	w.WriteHeader(status)
}

// field returns the bytes after key up to end (no JSON parse: the hot path
// stays cheap so the receivers are not the bottleneck).
func field(b []byte, key string, end byte) string {
	i := bytes.Index(b, []byte(key))
	if i < 0 {
		return ""
	}
	b = b[i+len(key):]
	if j := bytes.IndexByte(b, end); j >= 0 {
		b = b[:j]
	}
	return string(b)
}

// Stats is one workload's tally as the control port reports it.
type Stats struct {
	Received   int64   `json:"received"`
	Unique     int64   `json:"unique"`
	Duplicates int64   `json:"duplicates"`
	Failed     int64   `json:"failed"`
	FirstNS    int64   `json:"first_ns"`
	LastNS     int64   `json:"last_ns"`
	LatencyMS  Latency `json:"latency_ms"`
}

// Latency percentiles in milliseconds.
type Latency struct {
	P50 float64 `json:"p50"`
	P90 float64 `json:"p90"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
	N   int     `json:"n"`
}

func (rs *receivers) stats(w http.ResponseWriter, r *http.Request) {
	rs.mu.Lock()
	t := rs.tallyOf(r.URL.Query().Get("w"))
	s := Stats{Received: t.received, Unique: int64(len(t.seen)), Failed: t.failed, FirstNS: t.first, LastNS: t.last}
	lat := slices.Clone(t.latencies)
	rs.mu.Unlock()
	s.Duplicates = s.Received - s.Unique
	s.LatencyMS = percentiles(lat)
	_ = json.NewEncoder(w).Encode(s)
}

// Window is what GET /window reports of one workload on some receivers.
type Window struct {
	// GapMS is the longest time in [from, to] with no 2xx answer from one
	// of the receivers (the edges count), GapIndex that receiver and
	// GapStartNS when the gap began.
	GapMS      float64 `json:"gap_ms"`
	GapIndex   int     `json:"gap_index"`
	GapStartNS int64   `json:"gap_start_ns"`
	// FirstNS is the first 2xx answer in [from, to] (0: none).
	FirstNS int64 `json:"first_ns"`
	// Published counts first arrivals of webhook-ids published in
	// [pfrom, pto]; LastNS is the latest of them, LatencyMS their
	// publish->first-arrival latency.
	Published int     `json:"published"`
	LastNS    int64   `json:"last_ns"`
	LatencyMS Latency `json:"latency_ms"`
}

// window answers GET /window?w=<tag>&idx=0,1,2&from=&to=&pfrom=&pto= (Unix
// ns; idx empty: every receiver that answered).
func (rs *receivers) window(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	num := func(k string) int64 { n, _ := strconv.ParseInt(q.Get(k), 10, 64); return n }
	from, to, pfrom, pto := num("from"), num("to"), num("pfrom"), num("pto")
	rs.mu.Lock()
	t := rs.tallyOf(q.Get("w"))
	var idxs []int
	if q.Get("idx") == "" {
		for i := range t.arrivals {
			idxs = append(idxs, i)
		}
	} else {
		for _, f := range strings.Split(q.Get("idx"), ",") {
			if i, err := strconv.Atoi(f); err == nil {
				idxs = append(idxs, i)
			}
		}
	}
	arrivals := map[int][]int64{}
	var firsts []arrival
	for _, i := range idxs {
		arrivals[i] = slices.Clone(t.arrivals[i])
		firsts = append(firsts, t.firsts[i]...)
	}
	rs.mu.Unlock()
	out := Window{GapIndex: -1}
	for _, i := range idxs {
		a := arrivals[i]
		slices.Sort(a)
		prev := from
		for _, at := range append(a, to) {
			if at < from || at > to {
				continue
			}
			if at != to && (out.FirstNS == 0 || at < out.FirstNS) {
				out.FirstNS = at
			}
			if g := float64(at-prev) / 1e6; g > out.GapMS {
				out.GapMS, out.GapIndex, out.GapStartNS = g, i, prev
			}
			prev = at
		}
	}
	var lat []int64
	for _, f := range firsts {
		if f.published < pfrom || f.published > pto {
			continue
		}
		out.Published++
		out.LastNS = max(out.LastNS, f.at)
		lat = append(lat, f.at-f.published)
	}
	out.LatencyMS = percentiles(lat)
	_ = json.NewEncoder(w).Encode(out)
}

// setFault answers POST /fault?idx=0,1,2&status=503&delay=3s; neither
// status nor delay sets the receivers back to answering 204 at once.
func (rs *receivers) setFault(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var f fault
	if s := q.Get("status"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 100 || n > 599 {
			http.Error(w, "status: want an HTTP status", http.StatusBadRequest)
			return
		}
		f.status = n
	}
	if d := q.Get("delay"); d != "" {
		var err error
		if f.delay, err = time.ParseDuration(d); err != nil {
			http.Error(w, "delay: "+err.Error(), http.StatusBadRequest)
			return
		}
	}
	rs.mu.Lock()
	defer rs.mu.Unlock()
	for _, s := range strings.Split(q.Get("idx"), ",") {
		i, err := strconv.Atoi(s)
		if err != nil {
			http.Error(w, "idx: want receiver numbers, comma-separated", http.StatusBadRequest)
			return
		}
		if f == (fault{}) {
			delete(rs.faults, i)
		} else {
			rs.faults[i] = f
		}
	}
	w.WriteHeader(http.StatusNoContent)
}

func percentiles(ns []int64) Latency {
	if len(ns) == 0 {
		return Latency{}
	}
	slices.Sort(ns)
	at := func(q float64) float64 {
		i := int(q * float64(len(ns)-1))
		return float64(ns[i]) / 1e6
	}
	return Latency{P50: at(0.50), P90: at(0.90), P99: at(0.99), Max: float64(ns[len(ns)-1]) / 1e6, N: len(ns)}
}

// runReceivers is the `receivers` subcommand. It prints one JSON line on
// stdout: {"control": addr, "ports": [..]}.
func runReceivers(args []string) error {
	fs := flag.NewFlagSet("receivers", flag.ExitOnError)
	n := fs.Int("ports", 10, "number of receiver ports")
	record := fs.Bool("record", false, "keep arrival times per receiver (GET /window) and accept POST /fault")
	_ = fs.Parse(args)
	rs := &receivers{by: make(map[string]*tally), record: *record, faults: map[int]fault{}}
	var ports []int
	for range *n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return fmt.Errorf("receivers: listen: %w", err)
		}
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
		srv := &http.Server{Handler: rs, ReadHeaderTimeout: 10 * time.Second}
		go func() { _ = srv.Serve(l) }()
	}
	cl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("receivers: listen control: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /stats", rs.stats)
	if *record {
		mux.HandleFunc("GET /window", rs.window)
		mux.HandleFunc("POST /fault", rs.setFault)
	}
	go func() { _ = http.Serve(cl, mux) }()
	b, _ := json.Marshal(map[string]any{"control": cl.Addr().String(), "ports": ports})
	fmt.Println(string(b))
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	<-sig
	return nil
}
