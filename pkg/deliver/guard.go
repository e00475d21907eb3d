package deliver

import (
	"errors"
	"fmt"
	"net/netip"
)

// ErrForbiddenAddress is wrapped when the SSRF guard refuses to connect; the
// message names the host and the address.
var ErrForbiddenAddress = errors.New("forbidden address")

type forbiddenRange struct {
	prefix netip.Prefix
	why    string
}

// forbidden lists what a webhook may never reach unless an allow-list CIDR
// covers it. Specific entries come first so the error names the most telling
// reason (the metadata service rather than "link-local").
var forbidden = func() []forbiddenRange {
	rows := []struct{ cidr, why string }{
		{"169.254.169.254/32", "cloud metadata service"},
		{"100.100.100.200/32", "cloud metadata service"},
		{"fd00:ec2::254/128", "cloud metadata service"},
		{"0.0.0.0/8", "unspecified / this network"},
		{"10.0.0.0/8", "private"},
		{"100.64.0.0/10", "carrier-grade NAT"},
		{"127.0.0.0/8", "loopback"},
		{"169.254.0.0/16", "link-local"},
		{"172.16.0.0/12", "private"},
		{"192.0.0.0/24", "IETF protocol assignments"},
		{"192.0.2.0/24", "documentation"},
		{"192.88.99.0/24", "6to4 relay anycast"},
		{"192.168.0.0/16", "private"},
		{"198.18.0.0/15", "benchmarking"},
		{"198.51.100.0/24", "documentation"},
		{"203.0.113.0/24", "documentation"},
		{"224.0.0.0/4", "multicast"},
		{"255.255.255.255/32", "broadcast"},
		{"240.0.0.0/4", "reserved"},
		{"::/128", "unspecified"},
		{"::1/128", "loopback"},
		{"::/96", "IPv4-compatible IPv6"},
		// SIIT (RFC 2765) IPv4-translated ::ffff:0:a.b.c.d: a translator
		// turns it into the IPv4 inside, so it may reach any private
		// address, and no public service is addressed this way.
		{"::ffff:0:0:0/96", "IPv4-translated"},
		{"64:ff9b:1::/48", "local-use NAT64"},
		{"100::/64", "discard-only"},
		{"2001::/32", "Teredo"},
		{"2001:2::/48", "benchmarking"},
		{"2001:10::/28", "ORCHID"},
		{"2001:20::/28", "ORCHIDv2"},
		{"2001:db8::/32", "documentation"},
		{"3fff::/20", "documentation"},
		{"fc00::/7", "unique local (ULA)"},
		{"fe80::/10", "link-local"},
		{"fec0::/10", "site-local"},
		{"ff00::/8", "multicast"},
	}
	out := make([]forbiddenRange, len(rows))
	for i, r := range rows {
		out[i] = forbiddenRange{netip.MustParsePrefix(r.cidr), r.why}
	}
	return out
}()

var (
	nat64     = netip.MustParsePrefix("64:ff9b::/96")
	sixToFour = netip.MustParsePrefix("2002::/16")
)

// guard decides whether an address may be dialled.
type guard struct {
	allow []netip.Prefix
}

// check returns nil when ip may be dialled: an allow-list CIDR covers it, or
// neither it nor an IPv4 address embedded in it (IPv4-mapped, NAT64 or
// 6to4) is in a forbidden range.
func (g guard) check(ip netip.Addr) error {
	ip = ip.WithZone("")
	if g.allowed(ip) {
		return nil
	}
	if why, bad := reason(ip); bad {
		return fmt.Errorf("%w: %s is %s", ErrForbiddenAddress, ip, why)
	}
	return nil
}

func (g guard) allowed(ip netip.Addr) bool {
	for _, p := range g.allow {
		if p.Contains(ip) || p.Contains(ip.Unmap()) {
			return true
		}
	}
	return false
}

// reason names why ip is forbidden.
func reason(ip netip.Addr) (string, bool) {
	if ip.Is4In6() {
		if why, bad := reason(ip.Unmap()); bad {
			return "IPv4-mapped " + why, true
		}
		return "", false
	}
	if ip.Is6() {
		b := ip.As16()
		switch {
		case nat64.Contains(ip):
			if why, bad := reason(netip.AddrFrom4([4]byte(b[12:16]))); bad {
				return "NAT64-embedded " + why, true
			}
		case sixToFour.Contains(ip):
			if why, bad := reason(netip.AddrFrom4([4]byte(b[2:6]))); bad {
				return "6to4-embedded " + why, true
			}
		}
	}
	for _, f := range forbidden {
		if f.prefix.Contains(ip) {
			return f.why, true
		}
	}
	if !ip.IsGlobalUnicast() {
		return "not a global unicast address", true
	}
	return "", false
}
