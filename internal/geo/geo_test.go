package geo

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"
	maxminddb "github.com/oschwald/maxminddb-golang/v2"
)

const sharedGeoIP = "../../../shared/data/geoip/"

// writeMMDB writes a MaxMind DB with the given networks and returns its path.
func writeMMDB(t testing.TB, dbType string, nets map[string]mmdbtype.Map) string {
	t.Helper()
	tree, err := mmdbwriter.New(mmdbwriter.Options{DatabaseType: dbType, RecordSize: 24, BuildEpoch: 1750000000, IncludeReservedNetworks: true})
	if err != nil {
		t.Fatal(err)
	}
	for cidr, v := range nets {
		_, n, err := net.ParseCIDR(cidr)
		if err != nil {
			t.Fatal(err)
		}
		if err := tree.Insert(n, v); err != nil {
			t.Fatalf("insert %s: %v", cidr, err)
		}
	}
	path := filepath.Join(t.TempDir(), dbType+".mmdb")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tree.WriteTo(f); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func names(en string) mmdbtype.Map {
	return mmdbtype.Map{"en": mmdbtype.String(en), "ja": mmdbtype.String(en + "-ja")}
}

// Records in the layouts of the databases that --geoip accepts.
var (
	geoLite2Country = map[string]mmdbtype.Map{
		"8.8.8.0/24": {
			"continent":           mmdbtype.Map{"code": mmdbtype.String("NA"), "names": names("North America")},
			"country":             mmdbtype.Map{"geoname_id": mmdbtype.Uint32(6252001), "iso_code": mmdbtype.String("US"), "names": names("United States")},
			"registered_country":  mmdbtype.Map{"geoname_id": mmdbtype.Uint32(6252001), "iso_code": mmdbtype.String("US")},
			"represented_country": mmdbtype.Map{"iso_code": mmdbtype.String("US"), "type": mmdbtype.String("military")},
		},
		"133.11.0.0/16": {
			"country":            mmdbtype.Map{"iso_code": mmdbtype.String("JP"), "names": names("Japan")},
			"registered_country": mmdbtype.Map{"iso_code": mmdbtype.String("JP")},
		},
		// Only the registered country is known (e.g. satellite providers).
		"5.5.5.0/24": {
			"registered_country": mmdbtype.Map{"iso_code": mmdbtype.String("de"), "names": names("Germany")},
			"traits":             mmdbtype.Map{"is_satellite_provider": mmdbtype.Bool(true)},
		},
		"2001:4860::/32": {
			"country": mmdbtype.Map{"iso_code": mmdbtype.String("US")},
		},
	}
	geoLite2City = map[string]mmdbtype.Map{
		"8.8.8.0/24": {
			"city":     mmdbtype.Map{"geoname_id": mmdbtype.Uint32(5375480), "names": names("Mountain View")},
			"country":  mmdbtype.Map{"iso_code": mmdbtype.String("US"), "names": names("United States")},
			"location": mmdbtype.Map{"latitude": mmdbtype.Float64(37.4), "longitude": mmdbtype.Float64(-122.1), "accuracy_radius": mmdbtype.Uint16(1000)},
			"postal":   mmdbtype.Map{"code": mmdbtype.String("94043")},
			"subdivisions": mmdbtype.Slice{
				mmdbtype.Map{"iso_code": mmdbtype.String("CA"), "names": names("California")},
			},
		},
		"133.11.0.0/16": {
			"city":    mmdbtype.Map{"names": names("Tokyo")},
			"country": mmdbtype.Map{"iso_code": mmdbtype.String("JP")},
		},
		"5.5.5.0/24":     {"registered_country": mmdbtype.Map{"iso_code": mmdbtype.String("DE")}},
		"2001:4860::/32": {"country": mmdbtype.Map{"iso_code": mmdbtype.String("US")}},
	}
	dbipLite = map[string]mmdbtype.Map{
		"8.8.8.0/24": {
			"continent": mmdbtype.Map{"code": mmdbtype.String("NA"), "geoname_id": mmdbtype.Uint32(6255149), "names": names("North America")},
			"country":   mmdbtype.Map{"geoname_id": mmdbtype.Uint32(6252001), "is_in_european_union": mmdbtype.Bool(false), "iso_code": mmdbtype.String("US"), "names": names("United States")},
		},
		"133.11.0.0/16":  {"country": mmdbtype.Map{"iso_code": mmdbtype.String("JP"), "is_in_european_union": mmdbtype.Bool(false)}},
		"5.5.5.0/24":     {"country": mmdbtype.Map{"iso_code": mmdbtype.String("DE"), "is_in_european_union": mmdbtype.Bool(true)}},
		"2001:4860::/32": {"country": mmdbtype.Map{"iso_code": mmdbtype.String("US")}},
	}
	ipinfoLite = map[string]mmdbtype.Map{
		"8.8.8.0/24": {
			"asn": mmdbtype.String("AS15169"), "as_name": mmdbtype.String("Google LLC"), "as_domain": mmdbtype.String("google.com"),
			"continent": mmdbtype.String("North America"), "continent_code": mmdbtype.String("NA"),
			"country": mmdbtype.String("United States"), "country_code": mmdbtype.String("US"),
		},
		"133.11.0.0/16": {
			"asn": mmdbtype.String("AS2501"), "as_name": mmdbtype.String("The University of Tokyo"),
			"country": mmdbtype.String("Japan"), "country_code": mmdbtype.String("JP"),
		},
		"5.5.5.0/24": {"country": mmdbtype.String("Germany"), "country_code": mmdbtype.String("DE")},
		"2001:4860::/32": {
			"asn": mmdbtype.String("AS15169"), "as_name": mmdbtype.String("Google LLC"),
			"country": mmdbtype.String("United States"), "country_code": mmdbtype.String("US"),
		},
	}
	ipLocationDB = map[string]mmdbtype.Map{
		"8.8.8.0/24":     {"country_code": mmdbtype.String("US")},
		"133.11.0.0/16":  {"country_code": mmdbtype.String("JP")},
		"5.5.5.0/24":     {"country_code": mmdbtype.String("DE")},
		"2001:4860::/32": {"country_code": mmdbtype.String("US")},
		// Not a country code: treated as unknown.
		"9.9.9.0/24": {"country_code": mmdbtype.String("X1")},
	}
	geoLite2ASN = map[string]mmdbtype.Map{
		"8.8.8.0/24":     {"autonomous_system_number": mmdbtype.Uint32(15169), "autonomous_system_organization": mmdbtype.String("GOOGLE")},
		"133.11.0.0/16":  {"autonomous_system_number": mmdbtype.Uint32(2501), "autonomous_system_organization": mmdbtype.String("University of Tokyo")},
		"2001:4860::/32": {"autonomous_system_number": mmdbtype.Uint32(15169), "autonomous_system_organization": mmdbtype.String("GOOGLE")},
		// A 16-bit encoded number and no organisation.
		"5.5.5.0/24": {"autonomous_system_number": mmdbtype.Uint16(3320)},
	}
)

func TestCountryLayouts(t *testing.T) {
	type want struct {
		addr, country string
		asn           uint32
		org           string
	}
	common := []want{
		{"8.8.8.8", "US", 0, ""},
		{"133.11.0.1", "JP", 0, ""},
		{"5.5.5.5", "DE", 0, ""},
		{"2001:4860:4860::8888", "US", 0, ""},
		{"::ffff:133.11.200.1", "JP", 0, ""},
		{"64:ff9b::8.8.8.9", "US", 0, ""},
		{"7.7.7.7", Unknown, 0, ""},
		{"2a00::1", Unknown, 0, ""},
		{"192.168.1.1", SpecialCountry, 0, ""},
	}
	withASN := []want{
		{"8.8.8.8", "US", 15169, "Google LLC"},
		{"133.11.0.1", "JP", 2501, "The University of Tokyo"},
		{"5.5.5.5", "DE", 0, ""},
		{"2001:4860:4860::8888", "US", 15169, "Google LLC"},
		{"::ffff:133.11.200.1", "JP", 2501, "The University of Tokyo"},
		{"7.7.7.7", Unknown, 0, ""},
	}
	tests := []struct {
		name, dbType string
		nets         map[string]mmdbtype.Map
		want         []want
	}{
		{"GeoLite2-Country", "GeoLite2-Country", geoLite2Country, common},
		{"GeoLite2-City", "GeoLite2-City", geoLite2City, common},
		{"DB-IP lite", "DBIP-Country-Lite", dbipLite, common},
		{"IPinfo lite", "ipinfo_lite.mmdb", ipinfoLite, withASN},
		{"ip-location-db", "country", ipLocationDB, append(common, want{"9.9.9.9", Unknown, 0, ""})},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := writeMMDB(t, tc.dbType, tc.nets)
			l, err := Open(Config{CountryDB: path})
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			builtinASN, err := builtinASNTable()
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.want {
				if w.asn == 0 && w.country != SpecialCountry {
					// No AS in the country database: the builtin ASN table answers.
					w.asn, w.org = builtinASN.lookup(embedded(netip.MustParseAddr(w.addr)))
				}
				got := l.Lookup(netip.MustParseAddr(w.addr))
				if got.Country != w.country || got.ASN != w.asn || got.Org != w.org {
					t.Errorf("Lookup(%s) = %+v, want %s AS%d %q", w.addr, got, w.country, w.asn, w.org)
				}
			}
			dbs := l.Databases()
			if len(dbs) != 2 || dbs[1].Name != "builtin" || dbs[1].Kind != "asn" || dbs[0].Kind != "country" || dbs[0].Type != tc.dbType ||
				dbs[0].Name != filepath.Base(path) || len(dbs[0].SHA256) != 64 ||
				!dbs[0].BuildDate.Equal(time.Unix(1750000000, 0)) {
				t.Errorf("Databases() = %+v", dbs)
			}
		})
	}
}

func TestASNDatabase(t *testing.T) {
	tests := []struct {
		name    string
		country string // "" = builtin
		asn     map[string]mmdbtype.Map
		addr    string
		wantASN uint32
		wantOrg string
	}{
		{"GeoLite2-ASN v4", "", geoLite2ASN, "8.8.8.8", 15169, "GOOGLE"},
		{"GeoLite2-ASN v6", "", geoLite2ASN, "2001:4860:4860::8844", 15169, "GOOGLE"},
		{"GeoLite2-ASN mapped", "", geoLite2ASN, "::ffff:133.11.0.1", 2501, "University of Tokyo"},
		{"GeoLite2-ASN uint16", "", geoLite2ASN, "5.5.5.1", 3320, ""},
		{"GeoLite2-ASN missing", "", geoLite2ASN, "7.7.7.7", 0, ""},
		{"GeoLite2-ASN special", "", geoLite2ASN, "10.1.2.3", 0, ""},
		{"IPinfo lite as ASN db", "", ipinfoLite, "133.11.0.1", 2501, "The University of Tokyo"},
		// The ASN database wins over ASNs in the country database; where it has
		// no record, the country database's ASN is used.
		{"ASN db over IPinfo", "ipinfo", geoLite2ASN, "8.8.8.8", 15169, "GOOGLE"},
		{"IPinfo fills gap", "ipinfo", map[string]mmdbtype.Map{"1.2.3.0/24": geoLite2ASN["5.5.5.0/24"]}, "133.11.0.1", 2501, "The University of Tokyo"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := Config{ASNDB: writeMMDB(t, "GeoLite2-ASN", tc.asn)}
			if tc.country == "ipinfo" {
				cfg.CountryDB = writeMMDB(t, "ipinfo", ipinfoLite)
			}
			l, err := Open(cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			got := l.Lookup(netip.MustParseAddr(tc.addr))
			if got.ASN != tc.wantASN || got.Org != tc.wantOrg {
				t.Errorf("Lookup(%s) = %+v, want AS%d %q", tc.addr, got, tc.wantASN, tc.wantOrg)
			}
			if dbs := l.Databases(); len(dbs) != 2 || dbs[1].Kind != "asn" {
				t.Errorf("Databases() = %+v", dbs)
			}
		})
	}
}

func TestBuiltinASNDefault(t *testing.T) {
	l, err := Open(Config{})
	if err != nil {
		t.Fatal(err)
	}
	got := l.Lookup(netip.MustParseAddr("8.8.8.8"))
	if got.ASN != 15169 || got.Org == "" {
		t.Errorf("8.8.8.8 with the builtin ASN table: %+v", got)
	}
	if got := l.Lookup(netip.MustParseAddr("133.11.0.1")); got.ASN != 2501 || got.Country != "JP" {
		t.Errorf("133.11.0.1 with the builtin tables: %+v", got)
	}
	dbs := l.Databases()
	if len(dbs) != 2 || dbs[0].Name != "builtin" || !dbs[0].BuildDate.Equal(DefaultBuildDate()) ||
		dbs[1].Kind != "asn" || dbs[1].Name != "builtin" || !dbs[1].BuildDate.Equal(DefaultASNBuildDate()) ||
		dbs[1].BuildDate.IsZero() {
		t.Errorf("Databases() = %+v", dbs)
	}
}

func TestSpecial(t *testing.T) {
	tests := []struct {
		addr string
		want string // "" = not special
	}{
		{"0.0.0.0", "this-network"},
		{"0.1.2.3", "this-network"},
		{"1.0.0.0", ""},
		{"9.255.255.255", ""},
		{"10.0.0.0", "private"},
		{"10.255.255.255", "private"},
		{"11.0.0.0", ""},
		{"100.63.255.255", ""},
		{"100.64.0.0", "cgnat"},
		{"100.127.255.255", "cgnat"},
		{"100.128.0.0", ""},
		{"127.0.0.1", "loopback"},
		{"169.254.169.254", "link-local"},
		{"169.255.0.1", ""},
		{"172.15.255.255", ""},
		{"172.16.0.0", "private"},
		{"172.31.255.255", "private"},
		{"172.32.0.0", ""},
		{"192.0.0.9", "ietf-protocol"},
		{"192.0.1.1", ""},
		{"192.0.2.1", "documentation"},
		{"192.31.196.1", "as112"},
		{"192.52.193.1", "amt"},
		{"192.88.99.1", "6to4-relay"},
		{"192.88.100.1", ""},
		{"192.167.255.255", ""},
		{"192.168.1.1", "private"},
		{"192.169.0.0", ""},
		{"192.175.48.1", "as112"},
		{"198.17.255.255", ""},
		{"198.18.0.1", "benchmarking"},
		{"198.19.255.255", "benchmarking"},
		{"198.20.0.0", ""},
		{"198.51.100.7", "documentation"},
		{"203.0.113.9", "documentation"},
		{"203.0.114.1", ""},
		{"223.255.255.255", ""},
		{"224.0.0.1", "multicast"},
		{"239.255.255.255", "multicast"},
		{"240.0.0.1", "reserved"},
		{"255.255.255.254", "reserved"},
		{"255.255.255.255", "broadcast"},
		{"8.8.8.8", ""},
		{"133.11.0.1", ""},

		{"::", "unspecified"},
		{"::1", "loopback"},
		{"::2", "reserved"},
		{"::ffff:192.168.1.1", "private"},
		{"::ffff:8.8.8.8", ""},
		{"::ffff:198.51.100.1", "documentation"},
		{"64:ff9b::192.0.2.33", "documentation"},
		{"64:ff9b::8.8.8.8", ""},
		{"64:ff9b:1::1", "nat64-local"},
		{"100::1", "discard"},
		{"100:0:0:1::1", "dummy"},
		{"2001::1", "teredo"},
		{"2001:0:4136:e378::1", "teredo"},
		{"2001:1::1", "ietf-protocol"},
		{"2001:2::1", "benchmarking"},
		{"2001:3::1", "amt"},
		{"2001:4:112::1", "as112"},
		{"2001:10::1", "orchid"},
		{"2001:20::1", "orchid"},
		{"2001:30::1", "drone-id"},
		{"2001:1ff:ffff::1", "ietf-protocol"},
		{"2001:200::1", ""},
		{"2001:db8::1", "documentation"},
		{"2001:db9::1", ""},
		{"2002:c000:0204::1", "6to4"},
		{"2003::1", ""},
		{"2620:4f:8000::1", "as112"},
		{"2620:4f:8001::1", ""},
		{"3ffe:ffff::1", ""},
		{"3fff::1", "documentation"},
		{"3fff:fff::1", "documentation"},
		{"3fff:1000::1", ""},
		{"4000::1", "reserved"},
		{"5f00::1", "srv6-sid"},
		{"fc00::1", "ula"},
		{"fdff:ffff::1", "ula"},
		{"fe80::1", "link-local"},
		{"fe80::1%eth0", "link-local"},
		{"febf::1", "link-local"},
		{"fec0::1", "site-local"},
		{"ff02::1", "multicast"},
		{"2a00:1450::1", ""},
		{"2400:4000::1", ""},
	}
	for _, tc := range tests {
		got, ok := Special(netip.MustParseAddr(tc.addr))
		if got != tc.want || ok != (tc.want != "") {
			t.Errorf("Special(%s) = %q, %v; want %q", tc.addr, got, ok, tc.want)
		}
	}
	if got, ok := Special(netip.Addr{}); !ok || got != "invalid" {
		t.Errorf("Special(zero Addr) = %q, %v", got, ok)
	}
}

// TestSpecialMatchesTable checks the bitmap fast path against a plain scan
// of every block for addresses at and around each block's edges.
func TestSpecialMatchesTable(t *testing.T) {
	slow := func(a netip.Addr) string {
		a = embedded(a)
		best, bits := "", -1
		for _, r := range specialTable {
			if r.Prefix.Contains(a) && r.Prefix.Bits() > bits {
				best, bits = r.Name, r.Prefix.Bits()
			}
		}
		return best
	}
	var probes []netip.Addr
	for _, r := range specialTable {
		first := r.Prefix.Masked().Addr()
		last := lastAddr(r.Prefix)
		probes = append(probes, first, first.Prev(), last, last.Next())
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		probes = append(probes, netip.AddrFrom4([4]byte{byte(rng.Uint32()), byte(rng.Uint32()), byte(rng.Uint32()), byte(rng.Uint32())}))
		var b [16]byte
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		probes = append(probes, netip.AddrFrom16(b))
	}
	for _, a := range probes {
		if !a.IsValid() {
			continue
		}
		got, _ := Special(a)
		if want := slow(a); got != want {
			t.Errorf("Special(%s) = %q, scan says %q", a, got, want)
		}
	}
}

func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

func TestLookupSpecial(t *testing.T) {
	l, err := Open(Config{ASNDB: writeMMDB(t, "GeoLite2-ASN", map[string]mmdbtype.Map{
		// Data that wrongly covers special blocks must not be used.
		"192.168.0.0/16": geoLite2ASN["8.8.8.0/24"],
	})})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"192.168.1.1", "::ffff:192.168.1.1", "64:ff9b::c0a8:101", "203.0.113.5", "2001:db8::5", "fe80::1%eth0"} {
		got := l.Lookup(netip.MustParseAddr(s))
		want, _ := Special(netip.MustParseAddr(s))
		if got != (Info{Country: SpecialCountry, Special: want}) || want == "" {
			t.Errorf("Lookup(%s) = %+v, want ZZ/%s", s, got, want)
		}
	}
	if got := l.Lookup(netip.Addr{}); got.Country != SpecialCountry || got.Special != "invalid" {
		t.Errorf("Lookup(zero) = %+v", got)
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	good := writeMMDB(t, "GeoLite2-Country", geoLite2Country)
	data, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// Overwrite the search tree with 0xff: every record points past the data.
	tree := bytes.Clone(data)
	for i := 0; i < 64 && i < len(tree); i++ {
		tree[i] = 0xff
	}
	// A tree whose every record points back to node 1: a cycle, which a
	// walk along every path would follow through 2^128 paths.
	md, err := maxminddb.OpenBytes(data)
	if err != nil {
		t.Fatal(err)
	}
	if md.Metadata.RecordSize != 28 && md.Metadata.RecordSize != 24 && md.Metadata.RecordSize != 32 {
		t.Fatalf("record size %d", md.Metadata.RecordSize)
	}
	nodeBytes := int(md.Metadata.RecordSize / 4)
	cycle := bytes.Clone(data)
	for n := 0; n < int(md.Metadata.NodeCount); n++ {
		b := cycle[n*nodeBytes : (n+1)*nodeBytes]
		clear(b)
		b[len(b)/2-1], b[len(b)-1] = 1, 1 // left and right record = 1 (28-bit: low nibbles of the middle byte are 0)
	}
	tests := []struct {
		name string
		cfg  Config
		want string // in the error
	}{
		{"missing", Config{CountryDB: filepath.Join(dir, "nope.mmdb")}, "nope.mmdb"},
		{"empty", Config{CountryDB: write("empty.mmdb", nil)}, "empty.mmdb"},
		{"garbage", Config{CountryDB: write("garbage.mmdb", bytes.Repeat([]byte("not a database "), 100))}, "garbage.mmdb"},
		{"truncated", Config{CountryDB: write("trunc.mmdb", data[:len(data)/2])}, "trunc.mmdb"},
		{"bad tree", Config{CountryDB: write("tree.mmdb", tree)}, "tree.mmdb"},
		{"cyclic tree", Config{CountryDB: write("cycle.mmdb", cycle)}, "cycle.mmdb"},
		{"ASN db as country", Config{CountryDB: writeMMDB(t, "GeoLite2-ASN", geoLite2ASN)}, "not a country database"},
		{"country db as ASN", Config{ASNDB: writeMMDB(t, "GeoLite2-City", geoLite2City)}, "not a asn database"},
		{"bad ASN db", Config{ASNDB: write("bad-asn.mmdb", []byte("x"))}, "bad-asn.mmdb"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l, err := Open(tc.cfg)
			if err == nil {
				l.Close()
				t.Fatalf("Open succeeded")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not mention %q", err, tc.want)
			}
		})
	}
}

// FuzzOpen feeds mutated databases to Open and Lookup: errors are fine,
// panics are not.
func FuzzOpen(f *testing.F) {
	for _, nets := range []map[string]mmdbtype.Map{geoLite2Country, ipinfoLite, ipLocationDB} {
		b, err := os.ReadFile(writeMMDB(f, "fuzz", nets))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	addrs := []netip.Addr{netip.MustParseAddr("8.8.8.8"), netip.MustParseAddr("133.11.0.1"), netip.MustParseAddr("2001:4860::1"), netip.MustParseAddr("5.5.5.5")}
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, kind := range []string{"country", "asn"} {
			d, err := openMMDBBytes(b, "fuzz.mmdb", kind)
			if err != nil {
				continue
			}
			for _, a := range addrs {
				d.lookup(a)
			}
			d.close()
		}
	})
}

func TestBuildASN(t *testing.T) {
	csvText := `start,end,asn,org
1.0.0.0,1.0.0.255,13335,"Cloudflare, Inc."
8.8.4.0,8.8.4.255,15169,Google LLC
8.8.8.0,8.8.8.255,15169,Google LLC
133.11.0.0,133.11.255.255,2501,The University of Tokyo
2001:200::,2001:200:1b9:ffff:ffff:ffff:ffff:ffff,2500,WIDE Project
2001:4860::,2001:4860:ffff:ffff:ffff:ffff:ffff:ffff,15169,Google LLC
2002::,2002:ffff:ffff:ffff:ffff:ffff:ffff:ffff,6939,aliased so skipped
`
	dir := t.TempDir()
	src := filepath.Join(dir, "asn.csv")
	if err := os.WriteFile(src, []byte(csvText), 0o644); err != nil {
		t.Fatal(err)
	}
	// The same data as an npm package tarball, split by family.
	var tgz bytes.Buffer
	zw := gzip.NewWriter(&tgz)
	tw := tar.NewWriter(zw)
	lines := strings.Split(strings.TrimSpace(csvText), "\n")
	files := []struct{ name, body string }{
		{"package/package.json", `{"name":"@ip-location-db/asn","version":"2.3.2026061719"}`},
		{"package/asn-ipv4.csv", strings.Join(lines[1:5], "\n") + "\n"},
		{"package/asn-ipv4-num.csv", "garbage that must be ignored\n"},
		{"package/asn-ipv6.csv", strings.Join(lines[5:], "\n") + "\n"},
	}
	for _, f := range files {
		if err := tw.WriteHeader(&tar.Header{Name: f.name, Mode: 0o644, Size: int64(len(f.body))}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(f.body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	srcTgz := filepath.Join(dir, "asn.tgz")
	if err := os.WriteFile(srcTgz, tgz.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}

	for _, in := range []string{src, srcTgz} {
		t.Run(filepath.Ext(in), func(t *testing.T) {
			out := filepath.Join(dir, filepath.Base(in)+".mmdb")
			if err := BuildASN(in, out); err != nil {
				t.Fatal(err)
			}
			l, err := Open(Config{ASNDB: out})
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			for _, tc := range []struct {
				addr string
				asn  uint32
				org  string
			}{
				{"1.0.0.1", 13335, "Cloudflare, Inc."},
				{"8.8.8.8", 15169, "Google LLC"},
				{"8.8.5.1", 0, ""},
				{"133.11.0.1", 2501, "The University of Tokyo"},
				{"::ffff:133.11.9.9", 2501, "The University of Tokyo"},
				{"2001:200:1b9::1", 2500, "WIDE Project"},
				{"2001:200:1ba::1", 0, ""},
				{"2001:4860:4860::8888", 15169, "Google LLC"},
			} {
				got := l.Lookup(netip.MustParseAddr(tc.addr))
				if got.ASN != tc.asn || got.Org != tc.org {
					t.Errorf("Lookup(%s) = %+v, want AS%d %q", tc.addr, got, tc.asn, tc.org)
				}
			}
			if in == srcTgz {
				want := time.Date(2026, 6, 17, 19, 0, 0, 0, time.UTC)
				if got := l.Databases()[1].BuildDate; !got.Equal(want) {
					t.Errorf("build date %v, want %v", got, want)
				}
			}
		})
	}

	bad := []struct{ name, body, want string }{
		{"bad-range.csv", "1.0.0.0,1.0.0.255,1,a\n1.0.1.0,nonsense,2,b\n", "bad-range.csv:2"},
		{"reversed.csv", "1.0.0.255,1.0.0.0,1,a\n", "reversed.csv:1"},
		{"mixed.csv", "1.0.0.0,1.0.0.255,1,a\n1.0.0.0,::1,1,a\n", "mixed.csv:2"},
		{"bad-asn.csv", "1.0.0.0,1.0.0.255,AS1,a\n", "bad-asn.csv:1"},
		{"empty.csv", "", "no ranges"},
	}
	for _, b := range bad {
		p := filepath.Join(dir, b.name)
		if err := os.WriteFile(p, []byte(b.body), 0o644); err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(dir, "bad.mmdb")
		err := BuildASN(p, out)
		if err == nil || !strings.Contains(err.Error(), b.want) {
			t.Errorf("BuildASN(%s) error %v, want one containing %q", b.name, err, b.want)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("BuildASN(%s) left %s behind", b.name, out)
		}
	}
	if err := BuildASN(filepath.Join(dir, "missing.csv"), filepath.Join(dir, "x.mmdb")); err == nil {
		t.Error("BuildASN of a missing file succeeded")
	}
}

func TestBuildASNShared(t *testing.T) {
	src := sharedGeoIP + "ip-location-db-asn-2.3.2026061719.tgz"
	if _, err := os.Stat(src); err != nil {
		t.Skip("shared ASN data absent")
	}
	if testing.Short() {
		t.Skip("converts 65 MB of CSV; skipped with -short")
	}
	out := filepath.Join(t.TempDir(), "asn.mmdb")
	if err := BuildASN(src, out); err != nil {
		t.Fatal(err)
	}
	l, err := Open(Config{ASNDB: out})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for _, tc := range []struct {
		addr, country string
		asn           uint32
	}{
		{"8.8.8.8", "US", 15169},
		{"133.11.0.1", "JP", 2501},
		{"1.1.1.1", "AU", 13335},
		{"2001:4860:4860::8888", "US", 15169},
	} {
		got := l.Lookup(netip.MustParseAddr(tc.addr))
		if got.ASN != tc.asn || got.Country != tc.country || got.Org == "" {
			t.Errorf("Lookup(%s) = %+v, want %s AS%d", tc.addr, got, tc.country, tc.asn)
		}
	}
}

func TestSharedCountry(t *testing.T) {
	mmdb := sharedGeoIP + "geo-whois-asn-country.mmdb"
	if _, err := os.Stat(mmdb); err != nil {
		t.Skip("shared GeoIP data absent")
	}
	for _, cfg := range []Config{{}, {CountryDB: mmdb}} {
		l, err := Open(cfg)
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct{ addr, country, special string }{
			{"8.8.8.8", "US", ""},
			{"133.11.0.1", "JP", ""},
			{"1.1.1.1", "AU", ""},
			{"192.168.1.1", "ZZ", "private"},
			{"198.51.100.7", "ZZ", "documentation"},
			{"203.0.113.1", "ZZ", "documentation"},
			{"::ffff:133.11.0.1", "JP", ""},
		} {
			got := l.Lookup(netip.MustParseAddr(tc.addr))
			if got.Country != tc.country || got.Special != tc.special {
				t.Errorf("%+v: Lookup(%s) = %+v, want %s/%s", cfg, tc.addr, got, tc.country, tc.special)
			}
		}
		l.Close()
	}
	// Damage inside the file (header and metadata intact) is found at
	// start-up, wherever it is.
	data, err := os.ReadFile(mmdb)
	if err != nil {
		t.Fatal(err)
	}
	for _, at := range []float64{0.1, 0.3, 0.5} {
		bad := bytes.Clone(data)
		off := int(float64(len(bad)) * at)
		for i := off; i < off+256; i++ {
			bad[i] ^= 0xa5
		}
		p := filepath.Join(t.TempDir(), "flipped.mmdb")
		if err := os.WriteFile(p, bad, 0o644); err != nil {
			t.Fatal(err)
		}
		if l, err := Open(Config{CountryDB: p}); err == nil {
			l.Close()
			t.Errorf("bytes flipped at %.0f%% of the file: Open succeeded", at*100)
		} else if !strings.Contains(err.Error(), "flipped.mmdb") {
			t.Errorf("error %q does not name the file", err)
		}
	}
}

func TestConcurrentLookup(t *testing.T) {
	l, err := Open(Config{CountryDB: writeMMDB(t, "c", geoLite2City), ASNDB: writeMMDB(t, "a", geoLite2ASN)})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	addrs := []string{"8.8.8.8", "133.11.0.1", "5.5.5.5", "2001:4860::1", "7.7.7.7", "10.0.0.1"}
	want := make([]Info, len(addrs))
	for i, s := range addrs {
		want[i] = l.Lookup(netip.MustParseAddr(s))
	}
	var wg sync.WaitGroup
	errs := make(chan string, 4)
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := l.NewCache(4)
			for i := range 2000 {
				j := (i + g) % len(addrs)
				a := netip.MustParseAddr(addrs[j])
				if got := c.Lookup(a); got != want[j] {
					errs <- fmt.Sprintf("cached %s = %+v, want %+v", a, got, want[j])
					return
				}
				if got := l.Lookup(a); got != want[j] {
					errs <- fmt.Sprintf("%s = %+v, want %+v", a, got, want[j])
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

func TestCache(t *testing.T) {
	l, err := Open(Config{ASNDB: writeMMDB(t, "a", geoLite2ASN)})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	rng := rand.New(rand.NewPCG(3, 4))
	var addrs []netip.Addr
	for range 3000 {
		addrs = append(addrs, netip.AddrFrom4([4]byte{byte(rng.Uint32()), byte(rng.Uint32()), byte(rng.Uint32()), byte(rng.Uint32())}))
	}
	addrs = append(addrs, netip.MustParseAddr("8.8.8.8"), netip.MustParseAddr("::ffff:8.8.8.8"), netip.MustParseAddr("::"), netip.Addr{})
	for _, size := range []int{1, 16, 0} {
		c := l.NewCache(size)
		for round := range 2 {
			for _, a := range addrs {
				if got, want := c.Lookup(a), l.Lookup(a); got != want {
					t.Fatalf("size %d round %d: cached %s = %+v, want %+v", size, round, a, got, want)
				}
			}
		}
		hits, misses := c.Stats()
		if hits+misses != uint64(2*len(addrs)) {
			t.Errorf("size %d: %d hits + %d misses for %d lookups", size, hits, misses, 2*len(addrs))
		}
		// An address looked up twice in a row is always a hit.
		for _, a := range addrs[:100] {
			c.Lookup(a)
			h0, _ := c.Stats()
			c.Lookup(a)
			if h1, _ := c.Stats(); h1 != h0+1 && a.IsValid() {
				t.Errorf("size %d: repeated lookup of %s missed", size, a)
			}
		}
	}
}

func TestAllocs(t *testing.T) {
	l, err := Open(Config{ASNDB: writeMMDB(t, "a", geoLite2ASN)})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	c := l.NewCache(0)
	a := netip.MustParseAddr("8.8.8.8")
	c.Lookup(a)
	l.Lookup(a)
	for name, f := range map[string]func(){
		"cached":  func() { c.Lookup(a) },
		"locator": func() { l.Lookup(a) },
		"special": func() { Special(netip.MustParseAddr("192.168.0.1")) },
	} {
		if n := testing.AllocsPerRun(100, f); n != 0 {
			t.Errorf("%s: %v allocs per lookup", name, n)
		}
	}
}

func TestCountryName(t *testing.T) {
	tests := []struct{ code, lang, want string }{
		{"JP", "ja", "日本"},
		{"JP", "en", "Japan"},
		{"US", "ja", "アメリカ合衆国"},
		{"US", "en", "United States"},
		{"DE", "ja-JP", "ドイツ"},
		{"ZZ", "en", "Special-purpose"},
		{"ZZ", "ja", "特殊用途"},
		{"??", "en", "Unknown"},
		{"??", "ja", "不明"},
		{"", "en", "Unknown"},
		{"JP", "not a language!", "Japan"},
		{"X1", "en", "X1"},
		{"jp", "en", "Japan"},
	}
	for _, tc := range tests {
		if got := CountryName(tc.code, tc.lang); got != tc.want {
			t.Errorf("CountryName(%q, %q) = %q, want %q", tc.code, tc.lang, got, tc.want)
		}
	}
}

func TestNotice(t *testing.T) {
	for _, s := range []string{"CC BY 4.0", "Creative Commons Attribution 4.0", "NRO", "routeviews.org", "https://db-ip.com", "ip-location-db"} {
		if !strings.Contains(Notice, s) {
			t.Errorf("Notice lacks %q", s)
		}
	}
}

// sharedReader opens the shared country mmdb or skips.
func sharedReader(t testing.TB) *maxminddb.Reader {
	r, err := maxminddb.Open(sharedGeoIP + "geo-whois-asn-country.mmdb")
	if err != nil {
		t.Skip("shared GeoIP data absent")
	}
	t.Cleanup(func() { r.Close() })
	return r
}
