package fakenet

import (
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
)

func TestParseScript(t *testing.T) {
	s, err := ParseScript(strings.NewReader("# C2 answers\n\n6667 \"PING :x\\r\\n\"\n23 \"login: \"\n23 \"\\x00\\xff\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if string(s[6667]) != "PING :x\r\n" || string(s[23]) != "\x00\xff" || len(s) != 2 {
		t.Errorf("script %v", s)
	}
	for _, bad := range []string{"6667 PING", "0 \"x\"", "70000 \"x\"", "x \"y\"", "23", strings.Repeat("1 \"x\"\n", MaxScriptLines+1),
		"1 \"" + strings.Repeat("a", MaxAnswer+1) + "\""} {
		if _, err := ParseScript(strings.NewReader(bad)); err == nil {
			t.Errorf("%.40q accepted", bad)
		}
	}
}

func FuzzParseScript(f *testing.F) {
	f.Add("6667 \"PING\\r\\n\"\n# x\n")
	f.Fuzz(func(t *testing.T, s string) {
		sc, err := ParseScript(strings.NewReader(s))
		if err == nil {
			for p, a := range sc {
				if p == 0 || len(a) > MaxAnswer {
					t.Fatalf("port %d, %d bytes", p, len(a))
				}
			}
		}
	})
}

func TestPool(t *testing.T) {
	p := NewPool()
	a4, a6 := p.Addrs("one.example")
	b4, _ := p.Addrs("two.example")
	c4, c6 := p.Addrs("one.example")
	if a4 != netip.MustParseAddr("198.18.0.1") || a6 != netip.MustParseAddr("2001:db8::1") || b4 != netip.MustParseAddr("198.18.0.2") {
		t.Errorf("addresses %v %v %v", a4, a6, b4)
	}
	if c4 != a4 || c6 != a6 {
		t.Errorf("the same name got %v %v, then %v %v", a4, a6, c4, c6)
	}
	for _, a := range []netip.Addr{a4, a6} {
		if n := p.NameOf(a); n != "one.example" {
			t.Errorf("NameOf(%v) = %q", a, n)
		}
	}
	for _, a := range []string{"198.18.0.9", "10.0.0.1", "2001:db8:1::1", "198.20.0.1"} {
		if n := p.NameOf(netip.MustParseAddr(a)); n != "" {
			t.Errorf("NameOf(%s) = %q", a, n)
		}
	}
	// Index round-trips beyond the first 256 and 65536.
	for _, i := range []int{1, 300, 70000, MaxNames} {
		if got := Index(addr4(i)); got != i {
			t.Errorf("Index(addr4(%d)) = %d", i, got)
		}
		if got := Index(addr6(i)); got != i {
			t.Errorf("Index(addr6(%d)) = %d", i, got)
		}
	}
}

func TestRecorderBound(t *testing.T) {
	r := NewRecorder(3)
	for range 5 {
		r.Add(Event{Kind: KindUDP, Head: make([]byte, 1000)})
	}
	ev, dropped := r.Events()
	if len(ev) != 3 || dropped != 2 || len(ev[0].Head) != HeadSize {
		t.Errorf("%d events, %d dropped, head %d", len(ev), dropped, len(ev[0].Head))
	}
}

// TestDNS asks the DNS server on loopback: A and AAAA answers from the
// pool, other types empty, every question recorded.
func TestDNS(t *testing.T) {
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	rec := NewRecorder(0)
	d := &DNS{Pool: NewPool(), Rec: rec}
	ss := d.Serve(pc, nil)
	defer ss[0].Shutdown()
	time.Sleep(50 * time.Millisecond)
	c := &dns.Client{Timeout: 2 * time.Second}
	ask := func(name string, qt uint16) *dns.Msg {
		m := new(dns.Msg)
		m.SetQuestion(dns.Fqdn(name), qt)
		r, _, err := c.Exchange(m, pc.LocalAddr().String())
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	r := ask("C2.Example.", dns.TypeA)
	if len(r.Answer) != 1 || r.Answer[0].(*dns.A).A.String() != "198.18.0.1" {
		t.Errorf("A: %v", r.Answer)
	}
	r = ask("c2.example", dns.TypeAAAA)
	if len(r.Answer) != 1 || r.Answer[0].(*dns.AAAA).AAAA.String() != "2001:db8::1" {
		t.Errorf("AAAA: %v", r.Answer)
	}
	r = ask("other.example", dns.TypeTXT)
	if len(r.Answer) != 0 || r.Rcode != dns.RcodeSuccess {
		t.Errorf("TXT: %v", r)
	}
	ev, _ := rec.Events()
	var names []string
	for _, e := range ev {
		names = append(names, e.Name+"/"+e.QType)
	}
	if strings.Join(names, " ") != "c2.example/A c2.example/AAAA other.example/TXT" {
		t.Errorf("recorded %v", names)
	}
}
