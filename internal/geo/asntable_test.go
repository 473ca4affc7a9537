package geo

import (
	"bytes"
	"crypto/sha256"
	"net/netip"
	"os"
	"testing"
	"time"
)

func TestASNTableRoundTrip(t *testing.T) {
	a := netip.MustParseAddr
	rows := []asnRow{
		{a("1.0.0.0"), a("1.0.0.255"), 13335, "Cloudflare, Inc."},
		{a("1.0.4.0"), a("1.0.7.255"), 38803, "Gtelecom"},
		{a("1.0.8.0"), a("1.0.9.255"), 38803, "Gtelecom"}, // adjacent, same AS
		{a("10.0.0.0"), a("10.255.255.255"), 64512, "Outer"},
		{a("10.1.0.0"), a("10.1.0.255"), 64513, "Inner"}, // nested
		{a("255.255.255.0"), a("255.255.255.255"), 7, "Top"},
		{a("2001:200::"), a("2001:200:1b9:ffff:ffff:ffff:ffff:ffff"), 2500, "WIDE Project"},
		{a("2c0f:ff00::"), a("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), 9, "Top6"},
	}
	var buf bytes.Buffer
	built := time.Date(2026, 6, 17, 19, 0, 0, 0, time.UTC)
	if err := encodeASNTable(&buf, rows, built, sha256.Sum256([]byte("x")), "src.csv"); err != nil {
		t.Fatal(err)
	}
	tab, err := decodeASNTable(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if !tab.built.Equal(built) || tab.source != "src.csv" {
		t.Errorf("header: built %v source %q", tab.built, tab.source)
	}
	for _, tc := range []struct {
		addr string
		asn  uint32
		org  string
	}{
		{"0.255.255.255", 0, ""},
		{"1.0.0.0", 13335, "Cloudflare, Inc."},
		{"1.0.0.255", 13335, "Cloudflare, Inc."},
		{"1.0.1.0", 0, ""},
		{"1.0.9.255", 38803, "Gtelecom"},
		{"1.0.10.0", 0, ""},
		{"10.0.255.255", 64512, "Outer"},
		{"10.1.0.7", 64513, "Inner"},
		{"10.1.1.0", 64512, "Outer"},
		{"10.255.255.255", 64512, "Outer"},
		{"11.0.0.0", 0, ""},
		{"255.255.255.255", 7, "Top"},
		{"2001:200:1b9::1", 2500, "WIDE Project"},
		{"2001:200:1ba::", 0, ""},
		{"ffff::1", 9, "Top6"},
		{"::1", 0, ""},
	} {
		asn, org := tab.lookup(netip.MustParseAddr(tc.addr))
		if asn != tc.asn || org != tc.org {
			t.Errorf("lookup(%s) = AS%d %q, want AS%d %q", tc.addr, asn, org, tc.asn, tc.org)
		}
	}
	// Damage never panics and is reported.
	data := buf.Bytes()
	for n := 0; n < len(data); n += 7 {
		if _, err := decodeASNTable(data[:n]); err == nil {
			t.Fatalf("decode of %d of %d bytes succeeded", n, len(data))
		}
	}
}

// TestBuiltinASNAgrees checks the compiled-in table against the shared
// source rows (every row's first and last address, and the gaps between
// rows) and that it is what go generate makes from them now.
func TestBuiltinASNAgrees(t *testing.T) {
	src := sharedGeoIP + "ip-location-db-asn-2.3.2026061719.tgz"
	data, err := os.ReadFile(src)
	if err != nil {
		t.Skip("shared ASN data absent")
	}
	rows, err := asnRowsFromTar(data, src)
	if err != nil {
		t.Fatal(err)
	}
	tab, err := builtinASNTable()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) < 400000 {
		t.Fatalf("only %d rows in %s", len(rows), src)
	}
	bad := 0
	for i, r := range rows {
		var next *asnRow
		if i+1 < len(rows) && rows[i+1].start.Is4() == r.start.Is4() {
			next = &rows[i+1]
		}
		check := func(a netip.Addr, wantASN uint32, wantOrg string) {
			if asn, org := tab.lookup(a); asn != wantASN || org != wantOrg {
				if bad++; bad <= 5 {
					t.Errorf("row %d: lookup(%s) = AS%d %q, want AS%d %q", i, a, asn, org, wantASN, wantOrg)
				}
			}
		}
		if next == nil || next.start != r.start {
			check(r.start, r.asn, r.org)
		}
		if next == nil || r.end.Less(next.start) {
			if i == 0 || !r.start.Less(rows[i-1].end) || rows[i-1].start.Is4() != r.start.Is4() {
				check(r.end, r.asn, r.org)
			}
			if gap := r.end.Next(); next != nil && gap.Less(next.start) && gap.IsValid() {
				check(gap, 0, "")
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d lookups of %d rows disagree", bad, len(rows))
	}
	if testing.Short() {
		return
	}
	built, _ := time.Parse("2006010215", "2026061719")
	var buf bytes.Buffer
	if err := encodeASNTable(&buf, rows, built, sha256.Sum256(data), "ip-location-db-asn-2.3.2026061719.tgz"); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), asnBin) {
		t.Errorf("asn.bin is stale (%d bytes, fresh encoding %d): run go generate", len(asnBin), buf.Len())
	}
}
