package infra

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
)

func addrs(res Resolution) []string {
	var out []string
	for _, a := range res.Addrs {
		out = append(out, a.Addr.String())
	}
	return out
}

func TestResolveFixture(t *testing.T) {
	s := startServer(t, fixtureZones)
	asn := func(a netip.Addr) (uint32, string) {
		switch a.String() {
		case "203.0.113.99":
			return 13335, "CLOUDFLARENET"
		case "192.0.2.10":
			return 64500, "EXAMPLE-AS"
		}
		return 0, ""
	}
	cdns := append(DefaultCDNs(), CDN{Name: "FakeCDN", Suffixes: []string{"fakecdn.test"}})
	r := newTestResolver(t, s, Config{ASN: asn, CDNs: cdns})

	cases := []struct {
		name, zone string
		ns         []string
		cname      []string
		addrs      []string
		cdn, by    string
		errPart    string
	}{
		{"C2.Evil.Test.", "evil.test", []string{"ns1.dnshost.test", "ns2.dnshost.test"}, nil,
			[]string{"192.0.2.10", "2001:db8::10"}, "", "", ""},
		{"inzone.evil.test", "evil.test", []string{"ns1.dnshost.test", "ns2.dnshost.test"}, []string{"c2.evil.test"},
			[]string{"192.0.2.10", "2001:db8::10"}, "", "", ""},
		{"www.evil.test", "evil.test", []string{"ns1.dnshost.test", "ns2.dnshost.test"}, []string{"edge.evil.fakecdn.test"},
			[]string{"198.51.100.7"}, "FakeCDN", "cname", ""},
		{"static.cf.test", "cf.test", []string{"ns1.dnshost.test"}, []string{"d111.cloudfront.net"},
			[]string{"203.0.113.5"}, "Amazon CloudFront", "cname", ""},
		{"asn.evil.test", "evil.test", []string{"ns1.dnshost.test", "ns2.dnshost.test"}, nil,
			[]string{"203.0.113.99"}, "Cloudflare", "asn", ""},
		{"nope.missing.test", "missing.test", nil, nil, nil, "", "", "REFUSED"},
		{"gone.evil.test", "evil.test", []string{"ns1.dnshost.test", "ns2.dnshost.test"}, nil, nil, "", "", "NXDOMAIN"},
		{"loop.bad.test", "bad.test", []string{"ns1.dnshost.test"}, []string{"loop2.bad.test"}, nil, "", "", "CNAME loop"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := resolveOne(t, r, c.name)
			if res.Zone != c.zone || !slices.Equal(res.NS, c.ns) || !slices.Equal(res.CNAME, c.cname) ||
				!slices.Equal(addrs(res), c.addrs) || res.CDN != c.cdn || res.CDNBy != c.by {
				t.Errorf("got zone %q ns %v cname %v addrs %v cdn %q/%q err %q", res.Zone, res.NS, res.CNAME, addrs(res), res.CDN, res.CDNBy, res.Err)
			}
			if c.errPart == "" && res.Err != "" {
				t.Errorf("err %q, want none", res.Err)
			}
			if c.errPart != "" && !strings.Contains(res.Err, c.errPart) {
				t.Errorf("err %q, want it to mention %q", res.Err, c.errPart)
			}
			if res.Queries > r.cfg.MaxQueries {
				t.Errorf("%d queries, bound %d", res.Queries, r.cfg.MaxQueries)
			}
		})
	}
	var asnOf []uint32
	for _, a := range resolveOne(t, r, "c2.evil.test").Addrs {
		asnOf = append(asnOf, a.ASN)
	}
	if !slices.Equal(asnOf, []uint32{64500, 0}) {
		t.Errorf("ASNs %v", asnOf)
	}
}

func TestCNAMEChainBounded(t *testing.T) {
	s := startServer(t, fixtureZones)
	r := newTestResolver(t, s, Config{})
	res := resolveOne(t, r, "long.bad.test")
	if len(res.CNAME) != MaxCNAME {
		t.Errorf("chain %v: want %d names", res.CNAME, MaxCNAME)
	}
	if !strings.Contains(res.Err, "CNAME chain too long") || len(res.Addrs) != 0 {
		t.Errorf("err %q addrs %v", res.Err, addrs(res))
	}
}

func TestCacheAndZoneShared(t *testing.T) {
	s := startServer(t, fixtureZones)
	r := newTestResolver(t, s, Config{})
	a := resolveOne(t, r, "c2.evil.test")
	b := resolveOne(t, r, "asn.evil.test")
	c := resolveOne(t, r, "c2.evil.test")
	if a.Queries != 3 || b.Queries != 2 {
		t.Errorf("queries %d and %d: want 3 (NS, A, AAAA) then 2 (NS cached)", a.Queries, b.Queries)
	}
	if c.At != a.At {
		t.Error("second resolution of a name was not the cached one")
	}
	n := len(s.queries)
	if n != 5 {
		t.Errorf("server saw %d queries, want 5", n)
	}
}

func TestQueryBudget(t *testing.T) {
	s := startServer(t, fixtureZones)
	r := newTestResolver(t, s, Config{MaxQueries: 2})
	res := resolveOne(t, r, "c2.evil.test")
	if res.Queries != 2 || !strings.Contains(res.Err, "budget") {
		t.Errorf("queries %d err %q", res.Queries, res.Err)
	}
}

func TestResolveAll(t *testing.T) {
	s := startServer(t, fixtureZones)
	r := newTestResolver(t, s, Config{Concurrency: 3})
	names := []string{"c2.evil.test", "www.evil.test", "1.2.3.4", "c2.evil.test", "static.cf.test"}
	calls := 0
	out := r.ResolveAll(context.Background(), names, func(done, total int) {
		calls++
		if done != calls || total != len(names) {
			t.Errorf("progress %d/%d at call %d", done, total, calls)
		}
	})
	if calls != len(names) {
		t.Errorf("%d progress calls", calls)
	}
	for i, res := range out {
		if res.Name != strings.ToLower(names[i]) {
			t.Errorf("result %d is %q, want %q", i, res.Name, names[i])
		}
	}
	if out[2].Err == "" || len(out[2].NS) != 0 {
		t.Errorf("an address resolved as a name: %+v", out[2])
	}
	if len(out[1].Addrs) != 1 {
		t.Errorf("www: %+v", out[1])
	}
}

func TestNormalizeName(t *testing.T) {
	good := map[string]string{"Example.COM.": "example.com", "a_b.evil.test": "a_b.evil.test", " x.co.uk ": "x.co.uk"}
	for in, want := range good {
		if got, err := NormalizeName(in); err != nil || got != want {
			t.Errorf("%q: %q %v", in, got, err)
		}
	}
	for _, in := range []string{"", "com", "co.uk", "1.2.3.4", "[2001:db8::1]", "2001:db8::1", "a..b.com", "a b.com",
		"ex\\065mple.com", strings.Repeat("a", 64) + ".com", strings.Repeat("a.", 127) + "com", "x.123"} {
		if got, err := NormalizeName(in); err == nil {
			t.Errorf("%q accepted as %q", in, got)
		}
	}
}

// TestHostileAnswers feeds the resolver answers a hostile server could
// send: a wrong question, SERVFAIL, floods of records, odd names, CNAMEs
// pointing anywhere, truncation; none may panic or exceed the bounds.
func TestHostileAnswers(t *testing.T) {
	s := startServer(t, fixtureZones)
	mode := ""
	s.handler = func(w dns.ResponseWriter, r *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(r)
		q := r.Question[0]
		switch mode {
		case "wrongq":
			m.Question[0].Name = "other.test."
			m.Answer = append(m.Answer, &dns.A{Hdr: dns.RR_Header{Name: "other.test.", Rrtype: dns.TypeA, Class: dns.ClassINET}, A: []byte{192, 0, 2, 1}})
		case "servfail":
			m.Rcode = dns.RcodeServerFailure
		case "flood":
			if _, udp := w.RemoteAddr().(*net.UDPAddr); udp {
				m.Truncated = true
				break
			}
			for i := range 400 {
				m.Answer = append(m.Answer,
					&dns.NS{Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeNS, Class: dns.ClassINET}, Ns: fmt.Sprintf("ns%d.flood.test.", i)},
					&dns.A{Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeA, Class: dns.ClassINET}, A: []byte{10, 0, byte(i >> 8), byte(i)}})
			}
		case "oddnames":
			m.Answer = append(m.Answer,
				&dns.NS{Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeNS, Class: dns.ClassINET}, Ns: "bad\\032name\\000.test."},
				&dns.CNAME{Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeCNAME, Class: dns.ClassINET}, Target: "<script>.test."},
				&dns.CNAME{Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeCNAME, Class: dns.ClassINET}, Target: q.Name})
		case "selfcname":
			m.Answer = append(m.Answer, &dns.CNAME{Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeCNAME, Class: dns.ClassINET}, Target: q.Name})
		case "pingpong":
			// every name is a CNAME to a fresh one, one per answer
			m.Answer = append(m.Answer, &dns.CNAME{Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeCNAME, Class: dns.ClassINET}, Target: "x" + q.Name})
		case "truncated":
			m.Truncated = true
		case "silent":
			return
		}
		w.WriteMsg(m)
	}
	for _, md := range []string{"wrongq", "servfail", "flood", "oddnames", "selfcname", "pingpong", "truncated", "silent"} {
		mode = md
		r := newTestResolver(t, s, Config{Timeout: 200 * time.Millisecond, NameTimeout: 2 * time.Second})
		res := resolveOne(t, r, "victim.evil.test")
		if len(res.NS) > MaxNS || len(res.Addrs) > MaxAddrs || len(res.CNAME) > MaxCNAME || res.Queries > r.cfg.MaxQueries {
			t.Errorf("%s: bounds exceeded: %d NS %d addrs %d CNAMEs %d queries", md, len(res.NS), len(res.Addrs), len(res.CNAME), res.Queries)
		}
		for _, n := range append(slices.Clone(res.NS), res.CNAME...) {
			if _, ok := cleanName(n); !ok || strings.ContainsAny(n, "<> \\") {
				t.Errorf("%s: name %q kept", md, n)
			}
		}
		switch md {
		case "wrongq", "servfail", "silent":
			if res.Err == "" || len(res.Addrs) != 0 {
				t.Errorf("%s: err %q addrs %v", md, res.Err, addrs(res))
			}
		case "flood":
			if len(res.NS) != MaxNS || len(res.Addrs) != MaxAddrs {
				t.Errorf("flood: %d NS %d addrs, want the bounds", len(res.NS), len(res.Addrs))
			}
		}
	}
}

func FuzzAnswer(f *testing.F) {
	m := new(dns.Msg)
	m.SetQuestion("a.evil.test.", dns.TypeA)
	m.Answer = append(m.Answer, &dns.CNAME{Hdr: dns.RR_Header{Name: "a.evil.test.", Rrtype: dns.TypeCNAME, Class: dns.ClassINET}, Target: "b.evil.test."},
		&dns.A{Hdr: dns.RR_Header{Name: "b.evil.test.", Rrtype: dns.TypeA, Class: dns.ClassINET}, A: []byte{192, 0, 2, 1}},
		&dns.NS{Hdr: dns.RR_Header{Name: "evil.test.", Rrtype: dns.TypeNS, Class: dns.ClassINET}, Ns: "ns.evil.test."})
	b, _ := m.Pack()
	f.Add(b)
	f.Fuzz(func(t *testing.T, data []byte) {
		in := new(dns.Msg)
		if in.Unpack(data) != nil {
			return
		}
		ns := nsFrom(in, "evil.test")
		var chain []string
		found, _, _ := fromAnswer(in, "a.evil.test", dns.TypeA, map[string]bool{"a.evil.test": true}, &chain)
		found6, _, _ := fromAnswer(in, "a.evil.test", dns.TypeAAAA, map[string]bool{"a.evil.test": true}, &chain)
		if len(ns) > MaxNS || len(found) > MaxAddrs || len(found6) > MaxAddrs || len(chain) > MaxCNAME {
			t.Fatalf("bounds: %d %d %d %d", len(ns), len(found), len(found6), len(chain))
		}
	})
}
