package geo

import (
	"encoding/binary"
	"math/rand/v2"
	"net/netip"
	"testing"
)

// benchAddrs returns n public IPv4 addresses drawn from the builtin table's
// countries (so lookups find data) plus every 8th one IPv6.
func benchAddrs(b *testing.B, n int) []netip.Addr {
	b.Helper()
	codes := DefaultCountries()
	rng := rand.New(rand.NewPCG(5, 6))
	out := make([]netip.Addr, 0, n)
	for len(out) < n {
		a, ok := DefaultAddr(codes[rng.IntN(len(codes))], rng.Uint64())
		if !ok {
			b.Fatal("DefaultAddr failed")
		}
		out = append(out, a)
	}
	return out
}

func benchLookup(b *testing.B, l *Locator, addrs []netip.Addr) {
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		l.Lookup(addrs[i&(len(addrs)-1)])
		i++
	}
}

func BenchmarkLookupBuiltin(b *testing.B) {
	l, err := Open(Config{})
	if err != nil {
		b.Fatal(err)
	}
	benchLookup(b, l, benchAddrs(b, 1<<16))
}

func BenchmarkLookupBuiltinIPv6(b *testing.B) {
	l, err := Open(Config{})
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(7, 8))
	addrs := make([]netip.Addr, 1<<16)
	for i := range addrs {
		var a [16]byte
		binary.BigEndian.PutUint64(a[:], 0x2400_0000_0000_0000|rng.Uint64()>>8)
		addrs[i] = netip.AddrFrom16(a)
	}
	benchLookup(b, l, addrs)
}

// BenchmarkLookupMMDB looks up in the shared country mmdb (the same data as
// the builtin table), so the two numbers compare.
func BenchmarkLookupMMDB(b *testing.B) {
	sharedReader(b)
	l, err := Open(Config{CountryDB: sharedGeoIP + "geo-whois-asn-country.mmdb"})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	benchLookup(b, l, benchAddrs(b, 1<<16))
}

// BenchmarkLookupBuiltinASN adds a GeoLite2-ASN-layout database made in the
// test to the builtin country table.
func BenchmarkLookupBuiltinASN(b *testing.B) {
	l, err := Open(Config{ASNDB: writeMMDB(b, "GeoLite2-ASN", geoLite2ASN)})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	benchLookup(b, l, benchAddrs(b, 1<<16))
}

// BenchmarkLookupCached measures cache hits: 1024 distinct sources cycling
// through a default-size cache.
func BenchmarkLookupCached(b *testing.B) {
	l, err := Open(Config{})
	if err != nil {
		b.Fatal(err)
	}
	c := l.NewCache(0)
	addrs := benchAddrs(b, 1<<10)
	for _, a := range addrs {
		c.Lookup(a)
	}
	b.ReportAllocs()
	b.ResetTimer()
	i := 0
	for b.Loop() {
		c.Lookup(addrs[i&(len(addrs)-1)])
		i++
	}
	b.StopTimer()
	h, m := c.Stats()
	b.ReportMetric(float64(h)/float64(h+m), "hit-ratio")
}

func BenchmarkSpecial(b *testing.B) {
	addrs := benchAddrs(b, 1<<12)
	addrs[1] = netip.MustParseAddr("192.168.1.1")
	addrs[2] = netip.MustParseAddr("2001:db8::1")
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		Special(addrs[i&(len(addrs)-1)])
		i++
	}
}

// BenchmarkDecodeBuiltin is the one-off cost of loading the builtin table.
func BenchmarkDecodeBuiltin(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := decodeTable(countryBin); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeBuiltinASN(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := decodeASNTable(asnBin); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLookupBuiltinASNTable(b *testing.B) {
	t, err := builtinASNTable()
	if err != nil {
		b.Fatal(err)
	}
	a := netip.MustParseAddr("133.11.0.1")
	for b.Loop() {
		t.lookup(a)
	}
}
