package infra

import (
	"context"
	"net"
	"strings"
	"testing"

	"github.com/miekg/dns"
)

// fixtureZones are the zones the loopback test server is authoritative for.
// Names in .test are registered domains under the default public-suffix
// rule.
const fixtureZones = `
evil.test.            300 IN NS    ns1.dnshost.test.
evil.test.            300 IN NS    ns2.dnshost.test.
c2.evil.test.         300 IN A     192.0.2.10
c2.evil.test.         300 IN AAAA  2001:db8::10
www.evil.test.        300 IN CNAME edge.evil.fakecdn.test.
inzone.evil.test.     300 IN CNAME c2.evil.test.
asn.evil.test.        300 IN A     203.0.113.99
fakecdn.test.         300 IN NS    ns.fakecdn.test.
edge.evil.fakecdn.test. 300 IN A   198.51.100.7
cf.test.              300 IN NS    ns1.dnshost.test.
static.cf.test.       300 IN CNAME d111.cloudfront.net.
cloudfront.net.       300 IN NS    ns-1.awsdns.test.
d111.cloudfront.net.  300 IN A     203.0.113.5
bad.test.             300 IN NS    ns1.dnshost.test.
loop.bad.test.        300 IN CNAME loop2.bad.test.
loop2.bad.test.       300 IN CNAME loop.bad.test.
long.bad.test.        300 IN CNAME l1.bad.test.
l1.bad.test.          300 IN CNAME l2.other.test.
l2.other.test.        300 IN CNAME l3.bad.test.
l3.bad.test.          300 IN CNAME l4.other.test.
l4.other.test.        300 IN CNAME l5.bad.test.
l5.bad.test.          300 IN CNAME l6.other.test.
l6.other.test.        300 IN CNAME l7.bad.test.
l7.bad.test.          300 IN CNAME l8.other.test.
l8.other.test.        300 IN CNAME l9.bad.test.
l9.bad.test.          300 IN CNAME l10.other.test.
l10.other.test.       300 IN A     192.0.2.99
other.test.           300 IN NS    ns1.dnshost.test.
`

// fakeServer is an authoritative server on loopback over the fixture
// zones: it answers from its data, follows CNAMEs only inside the zone of
// the name asked (as an authoritative server does) and answers NXDOMAIN
// for names it does not have.
type fakeServer struct {
	rrs   map[string][]dns.RR // owner → records
	zones []string
	udp   *dns.Server
	tcp   *dns.Server
	addr  string
	// queries counts what was asked.
	queries chan string
	// handler replaces the normal answers when set.
	handler func(w dns.ResponseWriter, r *dns.Msg)
}

func startServer(t testing.TB, zones string) *fakeServer {
	t.Helper()
	s := &fakeServer{rrs: map[string][]dns.RR{}, queries: make(chan string, 10000)}
	zp := dns.NewZoneParser(strings.NewReader(zones), ".", "fixture")
	for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
		o := strings.ToLower(rr.Header().Name)
		s.rrs[o] = append(s.rrs[o], rr)
		if rr.Header().Rrtype == dns.TypeNS {
			s.zones = append(s.zones, o)
		}
	}
	if err := zp.Err(); err != nil {
		t.Fatal(err)
	}
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.addr = pc.LocalAddr().String()
	ln, err := net.Listen("tcp", s.addr)
	if err != nil {
		pc.Close()
		t.Skipf("tcp on the same port: %v", err)
	}
	h := dns.HandlerFunc(s.serve)
	s.udp = &dns.Server{PacketConn: pc, Handler: h}
	s.tcp = &dns.Server{Listener: ln, Handler: h}
	go s.udp.ActivateAndServe()
	go s.tcp.ActivateAndServe()
	t.Cleanup(func() {
		s.udp.Shutdown()
		s.tcp.Shutdown()
	})
	return s
}

func (s *fakeServer) zoneOf(name string) string {
	best := ""
	for _, z := range s.zones {
		if (name == z || strings.HasSuffix(name, "."+z)) && len(z) > len(best) {
			best = z
		}
	}
	return best
}

func (s *fakeServer) serve(w dns.ResponseWriter, r *dns.Msg) {
	if s.handler != nil {
		s.handler(w, r)
		return
	}
	m := new(dns.Msg)
	m.SetReply(r)
	m.Authoritative = true
	if len(r.Question) != 1 {
		m.Rcode = dns.RcodeFormatError
		w.WriteMsg(m)
		return
	}
	q := r.Question[0]
	select {
	case s.queries <- dns.TypeToString[q.Qtype] + " " + q.Name:
	default:
	}
	name := strings.ToLower(q.Name)
	zone := s.zoneOf(name)
	if zone == "" {
		m.Rcode = dns.RcodeRefused
		w.WriteMsg(m)
		return
	}
	seen := map[string]bool{}
	for !seen[name] {
		seen[name] = true
		rrs, ok := s.rrs[name]
		if !ok {
			if len(m.Answer) == 0 {
				m.Rcode = dns.RcodeNameError
			}
			break
		}
		var cname *dns.CNAME
		for _, rr := range rrs {
			if rr.Header().Rrtype == q.Qtype {
				m.Answer = append(m.Answer, rr)
			}
			if c, ok := rr.(*dns.CNAME); ok {
				cname = c
			}
		}
		if cname == nil || q.Qtype == dns.TypeCNAME {
			break
		}
		m.Answer = append(m.Answer, cname)
		name = strings.ToLower(cname.Target)
		if s.zoneOf(name) != zone {
			break
		}
	}
	w.WriteMsg(m)
}

func newTestResolver(t testing.TB, s *fakeServer, cfg Config) *Resolver {
	t.Helper()
	cfg.Server = s.addr
	r, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func resolveOne(t testing.TB, r *Resolver, name string) Resolution {
	t.Helper()
	return r.Resolve(context.Background(), name)
}
