package geo

import (
	"bytes"
	"encoding/binary"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/maxmind/mmdbwriter/mmdbtype"
	maxminddb "github.com/oschwald/maxminddb-golang/v2"
)

// mmdbCountry is the country a plain mmdb lookup gives, as the table
// should hold it.
func mmdbCountry(t testing.TB, r *maxminddb.Reader, a netip.Addr) string {
	var rec record
	if err := r.Lookup(a).Decode(&rec); err != nil {
		t.Fatalf("mmdb lookup %s: %v", a, err)
	}
	if c := rec.countryCode(); c != "" {
		return c
	}
	return Unknown
}

// checkTableAgrees compares table lookups with the mmdb for addrs.
func checkTableAgrees(t *testing.T, tab *table, r *maxminddb.Reader, addrs []netip.Addr) {
	t.Helper()
	bad := 0
	for _, a := range addrs {
		if _, sp := Special(a); sp || !a.IsValid() {
			continue
		}
		if got, want := tab.country(a), mmdbCountry(t, r, a); got != want {
			if bad++; bad <= 10 {
				t.Errorf("table says %s for %s, mmdb says %s", got, a, want)
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d addresses disagree", bad, len(addrs))
	}
}

// sampleAddrs returns n addresses: uniform random IPv4, and range starts,
// the addresses just before them and random points inside ranges of tab.
func sampleAddrs(tab *table, n int, seed uint64) []netip.Addr {
	rng := rand.New(rand.NewPCG(seed, seed+1))
	var out []netip.Addr
	for len(out) < n {
		switch len(out) % 4 {
		case 0:
			out = append(out, netip.AddrFrom4([4]byte(binary.BigEndian.AppendUint32(nil, rng.Uint32()))))
		case 1:
			if len(tab.s4) == 0 {
				out = append(out, netip.Addr{})
				continue
			}
			i := rng.IntN(len(tab.s4))
			s := netip.AddrFrom4([4]byte(binary.BigEndian.AppendUint32(nil, tab.s4[i])))
			out = append(out, s, s.Prev())
		default:
			if len(tab.h6) == 0 {
				out = append(out, netip.Addr{})
				continue
			}
			i := rng.IntN(len(tab.h6))
			s := u128{tab.h6[i], tab.l6[i]}
			out = append(out, s.addr(), s.addr().Prev())
			if i+1 < len(tab.h6) {
				span := u128{tab.h6[i+1], tab.l6[i+1]}.sub(s)
				off := u128{rng.Uint64(), rng.Uint64()}
				if span.hi > 0 {
					off.hi %= span.hi
				} else {
					off = u128{0, off.lo % span.lo}
				}
				out = append(out, s.add(off).addr())
			}
		}
	}
	return out
}

func TestTableRoundTrip(t *testing.T) {
	nets := map[string]mmdbtype.Map{
		"0.0.0.0/8":        {"country_code": mmdbtype.String("AU")}, // special: must vanish
		"1.0.0.0/24":       {"country_code": mmdbtype.String("AU")},
		"1.0.1.0/24":       {"country_code": mmdbtype.String("CN")},
		"1.0.2.0/23":       {"country_code": mmdbtype.String("CN")},
		"8.8.8.0/24":       {"country": mmdbtype.Map{"iso_code": mmdbtype.String("US")}},
		"192.168.0.0/16":   {"country_code": mmdbtype.String("AU")},
		"203.0.112.0/22":   {"country_code": mmdbtype.String("AU")}, // holds 203.0.113.0/24
		"255.255.255.0/24": {"country_code": mmdbtype.String("US")},
		"2001:200::/23":    {"country_code": mmdbtype.String("JP")},
		"2001:db8::/32":    {"country_code": mmdbtype.String("AU")},
		"2400:cb00::/32":   {"country_code": mmdbtype.String("US")},
		"2400:cb01::1/128": {"country_code": mmdbtype.String("SG")},
		"fc00::/7":         {"country_code": mmdbtype.String("US")},
		"ffff::/16":        {"country_code": mmdbtype.String("US")},
	}
	src := writeMMDB(t, "country", nets)
	out := filepath.Join(t.TempDir(), "t.bin")
	if err := WriteCountryTable(src, out); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	tab, err := decodeTable(data)
	if err != nil {
		t.Fatal(err)
	}
	r, err := maxminddb.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var addrs []netip.Addr
	for p := range nets {
		pr := netip.MustParsePrefix(p)
		first, last := pr.Masked().Addr(), lastAddr(pr)
		addrs = append(addrs, first, first.Prev(), first.Next(), last, last.Next())
	}
	addrs = append(addrs, sampleAddrs(tab, 2000, 7)...)
	checkTableAgrees(t, tab, r, addrs)
	checkNoSpecial(t, tab)
	if tab.source != "country.mmdb" || tab.built.Unix() != 1750000000 || len(tab.sha256) != 64 {
		t.Errorf("header: source %q built %v sha %q", tab.source, tab.built, tab.sha256)
	}
	for _, s := range []string{"192.168.1.1", "203.0.113.1", "2001:db8::1", "fc00::1"} {
		if got := tab.country(netip.MustParseAddr(s)); got != Unknown {
			t.Errorf("special %s kept in table as %s", s, got)
		}
	}

	// Every truncation of the table fails cleanly.
	for n := 0; n < len(data); n += 1 + n/8 {
		if _, err := decodeTable(data[:n]); err == nil {
			t.Errorf("decodeTable of %d of %d bytes succeeded", n, len(data))
		}
	}
}

// checkNoSpecial checks that no special-purpose address has a country in tab.
func checkNoSpecial(t *testing.T, tab *table) {
	t.Helper()
	for _, r := range specialTable {
		if r.Name == "" {
			continue
		}
		first, last := r.Prefix.Masked().Addr(), lastAddr(r.Prefix)
		if first.Is4() {
			lo, hi := binary.BigEndian.Uint32(first.AsSlice()), binary.BigEndian.Uint32(last.AsSlice())
			for i, s := range tab.s4 {
				end := uint64(1) << 32
				if i+1 < len(tab.s4) {
					end = uint64(tab.s4[i+1])
				}
				if tab.c4[i] != 0 && uint64(s) <= uint64(hi) && end > uint64(lo) {
					if n, _ := Special(netip.AddrFrom4([4]byte(binary.BigEndian.AppendUint32(nil, max(s, lo))))); n != "" {
						t.Errorf("table range at %d overlaps %s (%s)", s, r.Prefix, r.Name)
					}
				}
			}
			continue
		}
		lo, hi := u128From(first), u128From(last)
		for i := range tab.h6 {
			s := u128{tab.h6[i], tab.l6[i]}
			if tab.c6[i] == 0 || hi.less(s) {
				continue
			}
			if i+1 < len(tab.h6) && !lo.less(u128{tab.h6[i+1], tab.l6[i+1]}) {
				continue
			}
			p := s
			if s.less(lo) {
				p = lo
			}
			if n, _ := Special(p.addr()); n != "" {
				t.Errorf("table range at %s overlaps %s (%s)", s.addr(), r.Prefix, r.Name)
			}
		}
	}
}

func TestBuiltinTable(t *testing.T) {
	tab, err := builtinTable()
	if err != nil {
		t.Fatal(err)
	}
	checkNoSpecial(t, tab)
	if DefaultBuildDate().IsZero() || DefaultBuildDate() != tab.built {
		t.Errorf("DefaultBuildDate() = %v", DefaultBuildDate())
	}
}

// TestBuiltinAgreesWithShared compares the builtin table with the database
// it was made from on ~100k addresses.
func TestBuiltinAgreesWithShared(t *testing.T) {
	r := sharedReader(t)
	tab, err := builtinTable()
	if err != nil {
		t.Fatal(err)
	}
	n := 100000
	if testing.Short() {
		n = 20000
	}
	checkTableAgrees(t, tab, r, sampleAddrs(tab, n, 42))
}

// TestBuiltinUpToDate checks that the committed table is what go generate
// makes from the shared database now (so a change to the encoder or to the
// special-purpose list is followed by a regeneration).
func TestBuiltinUpToDate(t *testing.T) {
	sharedReader(t)
	if testing.Short() {
		t.Skip("re-encodes the shared database; skipped with -short")
	}
	data, err := os.ReadFile(sharedGeoIP + "geo-whois-asn-country.mmdb")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := encodeTable(&buf, data, "geo-whois-asn-country.mmdb"); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), countryBin) {
		t.Errorf("country.bin is stale (%d bytes, fresh encoding %d): run go generate", len(countryBin), buf.Len())
	}
}

func TestDefaultAddr(t *testing.T) {
	l, err := Open(Config{})
	if err != nil {
		t.Fatal(err)
	}
	codes := DefaultCountries()
	if len(codes) < 200 {
		t.Fatalf("only %d countries in the builtin table", len(codes))
	}
	for i, c := range codes {
		if normCode(c) != c || (i > 0 && codes[i-1] >= c) {
			t.Fatalf("DefaultCountries not sorted codes: %q after %q", c, codes[max(i-1, 0)])
		}
		for _, n := range []uint64{0, 1, 255, 256, 1 << 20, 1<<64 - 1, uint64(i) * 7919} {
			a, ok := DefaultAddr(c, n)
			if !ok {
				t.Fatalf("DefaultAddr(%s, %d) failed", c, n)
			}
			if b, _ := DefaultAddr(c, n); b != a {
				t.Errorf("DefaultAddr(%s, %d) not deterministic: %s, %s", c, n, a, b)
			}
			if !a.Is4() {
				t.Errorf("DefaultAddr(%s, %d) = %s, not IPv4", c, n, a)
			}
			if got := l.Lookup(a); got.Country != c || got.Special != "" {
				t.Errorf("DefaultAddr(%s, %d) = %s, which looks up as %+v", c, n, a, got)
			}
		}
	}
	// Consecutive n step through the country's space.
	a0, _ := DefaultAddr("JP", 0)
	a1, _ := DefaultAddr("jp", 1)
	if a1 != a0.Next() {
		t.Errorf("DefaultAddr(JP, 0..1) = %s, %s", a0, a1)
	}
	for _, c := range []string{"", "XX1", "ZZ", "??"} {
		if a, ok := DefaultAddr(c, 0); ok {
			t.Errorf("DefaultAddr(%q) = %s", c, a)
		}
	}
}

// FuzzDecodeTable checks that corrupt tables give errors, not panics.
func FuzzDecodeTable(f *testing.F) {
	var buf bytes.Buffer
	src, err := os.ReadFile(writeMMDB(f, "country", ipLocationDB))
	if err != nil {
		f.Fatal(err)
	}
	if err := encodeTable(&buf, src, "x"); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Fuzz(func(t *testing.T, b []byte) {
		tab, err := decodeTable(b)
		if err != nil {
			return
		}
		for _, a := range []string{"0.0.0.1", "8.8.8.8", "255.255.255.255", "2001:4860::1", "::2"} {
			tab.country(netip.MustParseAddr(a))
		}
	})
}
