package deliver

import (
	"context"
	"encoding/binary"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
)

// fakeDNS is a minimal UDP DNS server: the n-th A query is answered with
// answers[min(n, len-1)], AAAA queries with no records.
type fakeDNS struct {
	conn    net.PacketConn
	answers [][]netip.Addr
	mu      sync.Mutex
	aCount  int
}

func startFakeDNS(t *testing.T, answers ...[]netip.Addr) *fakeDNS {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	d := &fakeDNS{conn: pc, answers: answers}
	t.Cleanup(func() { pc.Close() })
	go d.serve()
	return d
}

func (d *fakeDNS) serve() {
	buf := make([]byte, 1500)
	for {
		n, from, err := d.conn.ReadFrom(buf)
		if err != nil {
			return
		}
		if resp := d.answer(buf[:n]); resp != nil {
			d.conn.WriteTo(resp, from)
		}
	}
}

// answer parses the single question and builds the response.
func (d *fakeDNS) answer(q []byte) []byte {
	if len(q) < 12 {
		return nil
	}
	i := 12
	for i < len(q) && q[i] != 0 {
		i += int(q[i]) + 1
	}
	if i+5 > len(q) {
		return nil
	}
	question := q[12 : i+5] // name, root label, qtype, qclass
	qtype := binary.BigEndian.Uint16(q[i+1 : i+3])
	var ips []netip.Addr
	if qtype == 1 { // A
		d.mu.Lock()
		ips = d.answers[min(d.aCount, len(d.answers)-1)]
		d.aCount++
		d.mu.Unlock()
	}
	out := make([]byte, 12, 512)
	copy(out, q[:2])                            // id
	binary.BigEndian.PutUint16(out[2:], 0x8180) // response, recursion desired+available, NOERROR
	binary.BigEndian.PutUint16(out[4:], 1)      // one question
	binary.BigEndian.PutUint16(out[6:], uint16(len(ips)))
	out = append(out, question...)
	for _, ip := range ips {
		a := ip.As4()
		out = append(out, 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 0, 0, 4) // name pointer, A, IN, TTL 0, 4 bytes
		out = append(out, a[:]...)
	}
	return out
}

func (d *fakeDNS) resolver() *net.Resolver {
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var dl net.Dialer
		return dl.DialContext(ctx, "udp", d.conn.LocalAddr().String())
	}}
}

// TestDNSRebinding: the name resolves to a public address when the URL is
// checked and to loopback when Send dials; the guard checks the address it
// actually dials, so the attempt is refused and nothing reaches loopback.
func TestDNSRebinding(t *testing.T) {
	var hits atomic.Int32
	srv, _ := startReceiver(t, func(http.ResponseWriter, *http.Request) { hits.Add(1) })
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	public, loop := netip.MustParseAddr("93.184.216.34"), netip.MustParseAddr("127.0.0.1")

	dns := startFakeDNS(t, []netip.Addr{public}, []netip.Addr{loop})
	c := NewClient(Options{Resolver: dns.resolver()})
	url := "http://rebind.hookwire.test:" + port + "/hook"
	if err := c.CheckURL(context.Background(), url); err != nil {
		t.Fatalf("CheckURL with the public answer: %v", err)
	}
	res := c.Send(context.Background(), Request{URL: url, WebhookID: "w", Body: []byte(`{}`), Secrets: []string{testSecret(t)}})
	if res.Outcome != Refused || !errors.Is(res.Err, ErrForbiddenAddress) {
		t.Fatalf("rebound to loopback: %v %v", res.Outcome, res.Err)
	}
	if hits.Load() != 0 {
		t.Fatal("request reached loopback")
	}
}

// TestMixedAnswersRefused: one forbidden address among the answers refuses
// the whole name, whatever order the dialer would try.
func TestMixedAnswersRefused(t *testing.T) {
	srv, rc := startReceiver(t, nil)
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	dns := startFakeDNS(t, []netip.Addr{netip.MustParseAddr("93.184.216.34"), netip.MustParseAddr("127.0.0.1")})
	c := NewClient(Options{Resolver: dns.resolver()})
	res := c.Send(context.Background(), Request{URL: "http://mixed.hookwire.test:" + port, WebhookID: "w", Body: []byte(`{}`), Secrets: []string{testSecret(t)}})
	if res.Outcome != Refused || !errors.Is(res.Err, ErrForbiddenAddress) {
		t.Fatalf("mixed answers: %v %v", res.Outcome, res.Err)
	}
	if rc.count() != 0 {
		t.Fatal("request reached loopback")
	}
}

// TestResolvedAddressDialled: with loopback allowed, the name's checked
// answer is the address dialled.
func TestResolvedAddressDialled(t *testing.T) {
	srv, rc := startReceiver(t, nil)
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	dns := startFakeDNS(t, []netip.Addr{netip.MustParseAddr("127.0.0.1")})
	c := NewClient(Options{Resolver: dns.resolver(), AllowCIDRs: loopback})
	res := c.Send(context.Background(), Request{URL: "http://onprem.hookwire.test:" + port, WebhookID: "w", Body: []byte(`{}`), Secrets: []string{testSecret(t)}})
	if res.Outcome != Delivered {
		t.Fatalf("allowed name: %v %v", res.Outcome, res.Err)
	}
	if rc.count() != 1 {
		t.Fatalf("%d requests", rc.count())
	}
}
