package geo

import (
	"encoding/binary"
	"net/netip"
	"sort"
)

// SpecialRange is one special-purpose address block and the label that
// Lookup reports for addresses inside it.
type SpecialRange struct {
	Prefix netip.Prefix
	Name   string
}

// specialTable lists the blocks of RFC 6890 and IANA's IPv4 and IPv6
// special-purpose address registries (plus multicast, the IPv6 space that IANA
// has not opened for global unicast, and deprecated site-local space). Where
// blocks nest, the most specific one names the address. IPv4-mapped IPv6
// (::ffff:0:0/96) and the NAT64 well-known prefix (64:ff9b::/96) are absent on
// purpose: addresses there are judged by the IPv4 address they carry.
var specialTable = []SpecialRange{
	// IPv4
	{netip.MustParsePrefix("0.0.0.0/8"), "this-network"},
	{netip.MustParsePrefix("10.0.0.0/8"), "private"},
	{netip.MustParsePrefix("100.64.0.0/10"), "cgnat"},
	{netip.MustParsePrefix("127.0.0.0/8"), "loopback"},
	{netip.MustParsePrefix("169.254.0.0/16"), "link-local"},
	{netip.MustParsePrefix("172.16.0.0/12"), "private"},
	{netip.MustParsePrefix("192.0.0.0/24"), "ietf-protocol"},
	{netip.MustParsePrefix("192.0.2.0/24"), "documentation"},
	{netip.MustParsePrefix("192.31.196.0/24"), "as112"},
	{netip.MustParsePrefix("192.52.193.0/24"), "amt"},
	{netip.MustParsePrefix("192.88.99.0/24"), "6to4-relay"},
	{netip.MustParsePrefix("192.168.0.0/16"), "private"},
	{netip.MustParsePrefix("192.175.48.0/24"), "as112"},
	{netip.MustParsePrefix("198.18.0.0/15"), "benchmarking"},
	{netip.MustParsePrefix("198.51.100.0/24"), "documentation"},
	{netip.MustParsePrefix("203.0.113.0/24"), "documentation"},
	{netip.MustParsePrefix("224.0.0.0/4"), "multicast"},
	{netip.MustParsePrefix("240.0.0.0/4"), "reserved"},
	{netip.MustParsePrefix("255.255.255.255/32"), "broadcast"},

	// IPv6. Everything outside 2000::/3 that is not named below is
	// reserved by the IETF.
	{netip.MustParsePrefix("::/0"), "reserved"},
	{netip.MustParsePrefix("2000::/3"), ""}, // global unicast: a hole in ::/0
	{netip.MustParsePrefix("::/128"), "unspecified"},
	{netip.MustParsePrefix("::1/128"), "loopback"},
	{netip.MustParsePrefix("64:ff9b:1::/48"), "nat64-local"},
	{netip.MustParsePrefix("100::/64"), "discard"},
	{netip.MustParsePrefix("100:0:0:1::/64"), "dummy"},
	{netip.MustParsePrefix("2001::/23"), "ietf-protocol"},
	{netip.MustParsePrefix("2001::/32"), "teredo"},
	{netip.MustParsePrefix("2001:2::/48"), "benchmarking"},
	{netip.MustParsePrefix("2001:3::/32"), "amt"},
	{netip.MustParsePrefix("2001:4:112::/48"), "as112"},
	{netip.MustParsePrefix("2001:10::/28"), "orchid"},
	{netip.MustParsePrefix("2001:20::/28"), "orchid"},
	{netip.MustParsePrefix("2001:30::/28"), "drone-id"},
	{netip.MustParsePrefix("2001:db8::/32"), "documentation"},
	{netip.MustParsePrefix("2002::/16"), "6to4"},
	{netip.MustParsePrefix("2620:4f:8000::/48"), "as112"},
	{netip.MustParsePrefix("3fff::/20"), "documentation"},
	{netip.MustParsePrefix("5f00::/16"), "srv6-sid"},
	{netip.MustParsePrefix("fc00::/7"), "ula"},
	{netip.MustParsePrefix("fe80::/10"), "link-local"},
	{netip.MustParsePrefix("fec0::/10"), "site-local"},
	{netip.MustParsePrefix("ff00::/8"), "multicast"},
}

// The special-purpose check runs on every lookup, so it is done by hand: a
// bitmap over the first 16 address bits says whether any special block
// touches that /16, and only then are the (few) blocks scanned, most specific
// first. Almost all public addresses leave after one bit test. IPv6 outside
// global unicast (2000::/3) always takes the scan.
var (
	special4, special6 []SpecialRange // sorted by prefix length, longest first
	touch4, touch6     [1 << 16 / 64]uint64
	nat64WKP           = netip.MustParsePrefix("64:ff9b::/96")
)

func init() {
	for _, r := range specialTable {
		if r.Prefix.Addr().Is4() {
			special4 = append(special4, r)
		} else {
			special6 = append(special6, r)
		}
	}
	for _, s := range [][]SpecialRange{special4, special6} {
		sort.SliceStable(s, func(i, j int) bool { return s[i].Prefix.Bits() > s[j].Prefix.Bits() })
	}
	mark := func(bm *[1 << 16 / 64]uint64, p netip.Prefix) {
		b := p.Masked().Addr().AsSlice()
		first := int(binary.BigEndian.Uint16(b))
		n := 1
		if p.Bits() < 16 {
			n = 1 << (16 - p.Bits())
		}
		for i := first; i < first+n; i++ {
			bm[i/64] |= 1 << (i % 64)
		}
	}
	for _, r := range special4 {
		mark(&touch4, r.Prefix)
	}
	for _, r := range special6 {
		// ::/0 and its 2000::/3 hole are handled by the check in Special.
		if r.Prefix.Bits() > 3 {
			mark(&touch6, r.Prefix)
		}
	}
}

// SpecialRanges returns the special-purpose blocks that Special and Lookup
// recognise, IPv4 first, each with its label. The caller may modify the
// returned slice.
func SpecialRanges() []SpecialRange {
	out := make([]SpecialRange, 0, len(specialTable))
	for _, r := range specialTable {
		if r.Name != "" {
			out = append(out, r)
		}
	}
	return out
}

// embedded returns the address to judge for a: the IPv4 address carried by
// an IPv4-mapped or NAT64 well-known-prefix IPv6 address, else a itself
// without any zone.
func embedded(a netip.Addr) netip.Addr {
	if a.Is4In6() {
		return a.Unmap()
	}
	if a.Is6() {
		b := a.As16()
		if b[0] == 0 && b[1] == 0x64 && nat64WKP.Contains(a.WithZone("")) {
			return netip.AddrFrom4([4]byte(b[12:]))
		}
		return a.WithZone("")
	}
	return a
}

// Special reports whether a is in a special-purpose block (RFC 6890 and the
// IANA special-purpose registries, multicast, reserved space) and, if so, the
// block's label such as "private", "documentation", "cgnat",
// "benchmarking", "multicast" or "loopback". IPv4-mapped addresses
// (::ffff:a.b.c.d) and NAT64 addresses (64:ff9b::a.b.c.d) are judged by the
// IPv4 address they carry. The invalid zero Addr is reported as "invalid".
func Special(a netip.Addr) (name string, ok bool) {
	if !a.IsValid() {
		return "invalid", true
	}
	a = embedded(a)
	if a.Is4() {
		b := a.As4()
		hi := int(b[0])<<8 | int(b[1])
		if touch4[hi/64]&(1<<(hi%64)) == 0 {
			return "", false
		}
		return scan(special4, a)
	}
	b := a.As16()
	hi := int(b[0])<<8 | int(b[1])
	if b[0]&0xe0 == 0x20 && touch6[hi/64]&(1<<(hi%64)) == 0 {
		return "", false
	}
	return scan(special6, a)
}

func scan(table []SpecialRange, a netip.Addr) (string, bool) {
	for i := range table {
		if table[i].Prefix.Contains(a) {
			return table[i].Name, table[i].Name != ""
		}
	}
	return "", false
}
