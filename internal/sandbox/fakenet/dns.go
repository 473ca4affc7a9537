package fakenet

import (
	"net"
	"net/netip"
	"strings"

	"github.com/miekg/dns"
)

// DNS answers every A and AAAA query with the name's address in Pool
// (with a short TTL), other types with an empty answer, and records each
// question.
type DNS struct {
	Pool *Pool
	Rec  *Recorder
}

// ServeDNS implements dns.Handler.
func (d *DNS) ServeDNS(w dns.ResponseWriter, req *dns.Msg) {
	m := new(dns.Msg)
	m.SetReply(req)
	m.Authoritative = true
	src := addrPort(w.RemoteAddr())
	dst := addrPort(w.LocalAddr())
	for i, q := range req.Question {
		if i >= 4 {
			break
		}
		name := strings.ToLower(strings.TrimSuffix(q.Name, "."))
		d.Rec.Add(Event{Kind: KindDNS, Name: name, QType: dns.TypeToString[q.Qtype], Src: src, Dst: dst})
		hdr := dns.RR_Header{Name: q.Name, Class: dns.ClassINET, Ttl: 60}
		switch q.Qtype {
		case dns.TypeA:
			a4, _ := d.Pool.Addrs(name)
			hdr.Rrtype = dns.TypeA
			m.Answer = append(m.Answer, &dns.A{Hdr: hdr, A: a4.AsSlice()})
		case dns.TypeAAAA:
			_, a6 := d.Pool.Addrs(name)
			hdr.Rrtype = dns.TypeAAAA
			m.Answer = append(m.Answer, &dns.AAAA{Hdr: hdr, AAAA: a6.AsSlice()})
		}
	}
	_ = w.WriteMsg(m)
}

// Serve answers on pc (UDP) and l (TCP; either may be nil) until they are
// closed. It returns the servers, for Shutdown.
func (d *DNS) Serve(pc net.PacketConn, l net.Listener) []*dns.Server {
	var ss []*dns.Server
	if pc != nil {
		s := &dns.Server{PacketConn: pc, Handler: d}
		ss = append(ss, s)
		go s.ActivateAndServe()
	}
	if l != nil {
		s := &dns.Server{Listener: l, Handler: d, MaxTCPQueries: 16}
		ss = append(ss, s)
		go s.ActivateAndServe()
	}
	return ss
}

func addrPort(a net.Addr) netip.AddrPort {
	switch a := a.(type) {
	case *net.UDPAddr:
		ap := a.AddrPort()
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	case *net.TCPAddr:
		ap := a.AddrPort()
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	}
	return netip.AddrPort{}
}
