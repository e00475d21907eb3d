package deliver

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// BenchmarkSend measures signed POSTs over kept-alive connections to a
// local receiver (server and client share the machine's cores).
func BenchmarkSend(b *testing.B) {
	var conns atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusNoContent)
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	c := NewClient(Options{AllowCIDRs: loopback})
	defer c.CloseIdleConnections()
	req := Request{
		URL:       srv.URL + "/hook",
		WebhookID: "sub_0123456789_abcdef0123456789abcdef01",
		Body:      []byte(`{"id":"evt_1","type":"transaction.sale.success","scope":"acquirers/100/merchants/2000","occurred_at":"2026-11-23T10:00:00Z","data":{"amount":1250,"currency":"EUR"}}`),
		Secrets:   []string{testSecret(b), testSecret(b)},
		Header:    http.Header{"Traceparent": {"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}},
	}
	b.ReportAllocs()
	b.SetParallelism(4)
	cpu0 := cpuTime()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if res := c.Send(context.Background(), req); res.Outcome != Delivered {
				b.Errorf("send: %v %v", res.Outcome, res.Err)
				return
			}
		}
	})
	b.StopTimer()
	// CPU time per POST (client and in-process server together) does not
	// depend on what else the machine runs: 2 cores / cpu-ns/op is the rate
	// two dedicated cores would sustain.
	b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/op")
	// Keep-alive works when this stays near the parallelism, not b.N.
	b.ReportMetric(float64(conns.Load()), "conns")
}

// cpuTime is this process's user+system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkBuild measures rendering one attempt's request (signatures,
// headers) without the network: a 1 KiB body and two secrets in rotation.
func BenchmarkBuild(b *testing.B) {
	c := NewClient(Options{AllowCIDRs: loopback})
	body := make([]byte, 1024)
	for i := range body {
		body[i] = 'a' + byte(i%26)
	}
	req := Request{
		URL:       "http://127.0.0.1:9/hook?token=x",
		WebhookID: "sub_0123456789_abcdef0123456789abcdef01",
		Timestamp: time.Unix(1764000000, 0),
		Body:      body,
		Secrets:   []string{testSecret(b), testSecret(b)},
		Header:    http.Header{"Traceparent": {"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}},
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.build(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
}
