package deliver

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
)

func TestGuardCheck(t *testing.T) {
	tests := []struct {
		addr string
		why  string // "" means allowed
	}{
		{"127.0.0.1", "loopback"},
		{"127.8.9.10", "loopback"},
		{"::1", "loopback"},
		{"10.1.2.3", "private"},
		{"172.16.0.1", "private"},
		{"172.31.255.255", "private"},
		{"192.168.1.1", "private"},
		{"169.254.169.254", "cloud metadata service"},
		{"169.254.1.1", "link-local"},
		{"fe80::1", "link-local"},
		{"fe80::1%eth0", "link-local"},
		{"100.64.0.1", "carrier-grade NAT"},
		{"100.127.255.254", "carrier-grade NAT"},
		{"100.100.100.200", "cloud metadata service"},
		{"fd00:ec2::254", "cloud metadata service"},
		{"224.0.0.1", "multicast"},
		{"239.255.255.250", "multicast"},
		{"ff02::1", "multicast"},
		{"0.0.0.0", "unspecified / this network"},
		{"::", "unspecified"},
		{"255.255.255.255", "broadcast"},
		{"240.0.0.1", "reserved"},
		{"fc00::1", "unique local (ULA)"},
		{"fd12:3456::1", "unique local (ULA)"},
		{"::ffff:127.0.0.1", "IPv4-mapped loopback"},
		{"::ffff:169.254.169.254", "IPv4-mapped cloud metadata service"},
		{"::ffff:10.0.0.1", "IPv4-mapped private"},
		{"::127.0.0.1", "IPv4-compatible IPv6"},
		{"::ffff:0:7f00:1", "IPv4-translated"},
		{"::ffff:0:a00:1", "IPv4-translated"},
		{"::ffff:0:808:808", "IPv4-translated"},
		{"64:ff9b::a00:1", "NAT64-embedded private"},
		{"64:ff9b::c0a8:101", "NAT64-embedded private"},
		{"64:ff9b:1::808:808", "local-use NAT64"},
		{"2002:a00:1::1", "6to4-embedded private"},
		{"2002:a9fe:a9fe::1", "6to4-embedded cloud metadata service"},
		{"2002:6440:1::1", "6to4-embedded carrier-grade NAT"},
		{"64:ff9b::7f00:1", "NAT64-embedded loopback"},
		{"64:ff9b::a9fe:a9fe", "NAT64-embedded cloud metadata service"},
		{"2002:7f00:1::1", "6to4-embedded loopback"},
		{"2002:c0a8:101::1", "6to4-embedded private"},
		{"2001::1", "Teredo"},
		{"192.0.2.10", "documentation"},
		{"198.51.100.7", "documentation"},
		{"203.0.113.9", "documentation"},
		{"2001:db8::1", "documentation"},
		{"198.18.0.1", "benchmarking"},
		{"fec0::1", "site-local"},
		// Public addresses pass.
		{"93.184.216.34", ""},
		{"8.8.8.8", ""},
		{"172.32.0.1", ""},
		{"100.128.0.1", ""},
		{"::ffff:8.8.8.8", ""},
		{"64:ff9b::808:808", ""},
		{"2002:808:808::1", ""},
		{"2606:4700:4700::1111", ""},
		{"2a00:1450:4001:80b::200e", ""},
	}
	g := guard{}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			err := g.check(netip.MustParseAddr(tt.addr))
			if tt.why == "" {
				if err != nil {
					t.Fatalf("check = %v, want allowed", err)
				}
				return
			}
			if !errors.Is(err, ErrForbiddenAddress) {
				t.Fatalf("check = %v, want ErrForbiddenAddress", err)
			}
			if !strings.HasSuffix(err.Error(), " is "+tt.why) {
				t.Fatalf("check = %q, want reason %q", err, tt.why)
			}
			ip := netip.MustParseAddr(tt.addr).WithZone("")
			if !strings.Contains(err.Error(), ip.String()) {
				t.Fatalf("error %q does not name the address", err)
			}
		})
	}
}

func TestGuardAllowList(t *testing.T) {
	g := guard{allow: []netip.Prefix{
		netip.MustParsePrefix("127.0.0.0/8"),
		netip.MustParsePrefix("10.20.0.0/16"),
		netip.MustParsePrefix("fd00::/8"),
	}}
	tests := []struct {
		addr string
		ok   bool
	}{
		{"127.0.0.1", true},
		{"::ffff:127.0.0.1", true},
		{"10.20.3.4", true},
		{"10.21.0.1", false},
		{"fd12::1", true},
		{"fc00::1", false},
		{"169.254.169.254", false},
		{"8.8.8.8", true},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			if err := g.check(netip.MustParseAddr(tt.addr)); (err == nil) != tt.ok {
				t.Fatalf("check = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}

// TestGuardControl covers the socket-level re-check behind dialContext.
func TestGuardControl(t *testing.T) {
	g := guard{}
	if err := g.control("tcp", "127.0.0.1:80", nil); !errors.Is(err, ErrForbiddenAddress) {
		t.Fatalf("control(127.0.0.1) = %v", err)
	}
	if err := g.control("tcp", "[fe80::1%eth0]:443", nil); !errors.Is(err, ErrForbiddenAddress) {
		t.Fatalf("control(fe80::1) = %v", err)
	}
	if err := g.control("tcp", "8.8.8.8:443", nil); err != nil {
		t.Fatalf("control(8.8.8.8) = %v", err)
	}
	// A dialer with only the Control hook still refuses loopback.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	d := &net.Dialer{Control: g.control}
	if _, err := d.Dial("tcp", ln.Addr().String()); !errors.Is(err, ErrForbiddenAddress) {
		t.Fatalf("dial with control = %v", err)
	}
}

// TestHostnameResolvingToLoopback: "localhost" is refused at dial time
// without the allow-list and delivered with it.
func TestHostnameResolvingToLoopback(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer srv.Close()
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	req := Request{URL: "http://localhost:" + port + "/hook", WebhookID: "msg_1", Body: []byte(`{}`), Secrets: []string{testSecret(t)}}

	res := NewClient(Options{}).Send(context.Background(), req)
	if res.Outcome != Refused || !errors.Is(res.Err, ErrForbiddenAddress) {
		t.Fatalf("without allow-list: %v %v", res.Outcome, res.Err)
	}
	if !strings.Contains(res.Err.Error(), "127.0.0.1") {
		t.Fatalf("error %q does not name the address", res.Err)
	}
	if hits.Load() != 0 {
		t.Fatal("refused request reached the server")
	}
	if err := NewClient(Options{}).CheckURL(context.Background(), req.URL); !errors.Is(err, ErrForbiddenAddress) {
		t.Fatalf("CheckURL = %v", err)
	}

	allow := []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	res = NewClient(Options{AllowCIDRs: allow}).Send(context.Background(), req)
	if res.Outcome != Delivered || res.Err != nil {
		t.Fatalf("with allow-list: %v %v", res.Outcome, res.Err)
	}
	if n := hits.Load(); n != 1 {
		t.Fatalf("server got %d requests, want 1", n)
	}
}
