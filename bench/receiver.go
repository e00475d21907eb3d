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

type tally struct {
	seen      map[string]int32
	received  int64
	failed    int64
	first     int64 // arrival, Unix ns
	last      int64
	latencies []int64 // ns, one per first arrival of a webhook-id
}

type receivers struct {
	mu sync.Mutex
	by map[string]*tally
}

func (rs *receivers) tallyOf(w string) *tally {
	t := rs.by[w]
	if t == nil {
		t = &tally{seen: make(map[string]int32)}
		rs.by[w] = t
	}
	return t
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
	rs.mu.Lock()
	t := rs.tallyOf(tag)
	if fail {
		t.failed++
	} else {
		t.received++
		t.seen[id]++
		if t.seen[id] == 1 && ts > 0 {
			t.latencies = append(t.latencies, now-ts)
		}
		if t.first == 0 {
			t.first = now
		}
		t.last = now
	}
	rs.mu.Unlock()
	if fail {
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusNoContent)
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
	_ = fs.Parse(args)
	rs := &receivers{by: make(map[string]*tally)}
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
	go func() { _ = http.Serve(cl, mux) }()
	b, _ := json.Marshal(map[string]any{"control": cl.Addr().String(), "ports": ports})
	fmt.Println(string(b))
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	<-sig
	return nil
}
