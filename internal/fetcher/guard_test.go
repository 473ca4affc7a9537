package fetcher

import (
	"net/netip"
	"testing"
)

func TestGuard(t *testing.T) {
	deny := []netip.Prefix{netip.MustParsePrefix("203.0.114.0/24")}
	g := NewGuard(deny, nil)
	lo := NewGuard(deny, []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")})
	for _, c := range []struct {
		addr      string
		ok, okLo  bool
		reasoning string
	}{
		{"8.8.8.8", true, true, "public"},
		{"2606:4700::1111", true, true, "public v6"},
		{"10.1.2.3", false, false, "RFC 1918"},
		{"172.31.255.255", false, false, "RFC 1918"},
		{"192.168.1.1", false, false, "RFC 1918"},
		{"100.64.0.1", false, false, "CGNAT"},
		{"127.0.0.1", false, true, "loopback"},
		{"169.254.169.254", false, false, "link-local (cloud metadata)"},
		{"224.0.0.251", false, false, "multicast"},
		{"255.255.255.255", false, false, "broadcast"},
		{"0.0.0.0", false, false, "this network"},
		{"240.0.0.1", false, false, "reserved"},
		{"203.0.114.9", false, false, "configured deny"},
		{"::1", false, true, "v6 loopback"},
		{"::", false, false, "v6 unspecified"},
		{"fd00::1", false, false, "ULA"},
		{"fe80::1", false, false, "v6 link-local"},
		{"fe80::1%eth0", false, false, "v6 link-local with zone"},
		{"ff02::1", false, false, "v6 multicast"},
		{"::ffff:10.0.0.1", false, false, "IPv4-mapped private"},
		{"::ffff:127.0.0.1", false, true, "IPv4-mapped loopback"},
		{"::ffff:8.8.8.8", true, true, "IPv4-mapped public"},
		{"64:ff9b::a00:1", false, false, "NAT64 of 10.0.0.1"},
		{"64:ff9b::808:808", true, true, "NAT64 of 8.8.8.8"},
		{"2002:a00:1::1", false, false, "6to4 of 10.0.0.1"},
		{"::10.0.0.1", false, false, "IPv4-compatible"},
	} {
		a := netip.MustParseAddr(c.addr)
		if got := g.Allowed(a); got != c.ok {
			t.Errorf("%s (%s): allowed %v, want %v", c.addr, c.reasoning, got, c.ok)
		}
		if got := lo.Allowed(a); got != c.okLo {
			t.Errorf("%s (%s) with loopback allowed: allowed %v, want %v", c.addr, c.reasoning, got, c.okLo)
		}
	}
	if g.Allowed(netip.Addr{}) {
		t.Error("the zero address is allowed")
	}
}
