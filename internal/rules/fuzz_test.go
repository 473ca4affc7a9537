package rules

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/honeyscope/honeyscope/internal/decode"
	"github.com/honeyscope/honeyscope/internal/rules/appproto"
)

// FuzzParse feeds rule text to the parser; a rule that loads is compiled and
// run on a payload made of its own text.
func FuzzParse(f *testing.F) {
	f.Add(`alert tcp any any -> any 80 (msg:"x"; content:"GET"; http_method; sid:1;)`)
	f.Add(`alert http $EXTERNAL_NET any -> $HOME_NET any (msg:"x"; http.uri; content:"/a"; depth:2; pcre:"/b(?:c|d)/Ri"; byte_test:1,>,2,0,relative; sid:2; rev:1;)`)
	f.Add(`alert ip [1.2.3.0/24,![1.2.3.4,1.2.3.5]] [1:,!9] <> any any (flowbits:set,a|b; threshold:type both, track by_src, count 1, seconds 1; sid:3;)`)
	if b, err := os.ReadFile(filepath.Join("builtin.rules")); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "alert") {
				f.Add(l)
			}
		}
	}
	f.Fuzz(func(t *testing.T, text string) {
		s := NewSet(Options{})
		if err := s.Add(strings.NewReader(text), "fuzz.rules"); err != nil {
			return
		}
		for _, u := range s.Unsupported {
			if u.Reason == "" {
				t.Fatalf("unsupported without a reason: %+v", u)
			}
		}
		e, err := Compile(s)
		if err != nil {
			return
		}
		m := NewMatcher(e)
		p := tcp(text)
		m.Packet(p, &Context{State: NewState(16, 16), Flow: 1}, nil)
		m.Command(text, nil, nil)
		m.HTTP(&HTTPRequest{Method: "GET", URI: text, Headers: text, Body: []byte(text)}, nil, nil)
	})
}

// FuzzMatch runs the built-in rules and the IoT rules (when the shared
// data is there) on arbitrary payloads over TCP and UDP; the first-match
// path and the exploit adapter must give Payload's first alert.
func FuzzMatch(f *testing.F) {
	for _, tt := range builtinCases() {
		f.Add(tt.payload)
	}
	f.Add([]byte("GET /shell?cd+/tmp;rm+-rf+*;wget+ HTTP/1.1\r\nUser-Agent: Hello, world\r\nHost: a\r\n\r\n"))
	f.Add([]byte("\x16\x03\x01\x00\x05\x01\x00\x00\x01\x00"))
	s, err := LoadBuiltin(Options{})
	if err != nil {
		f.Fatal(err)
	}
	if dir := findShared(); dir != "" {
		s.AddPath(filepath.Join(dir, "rules", "iot-relevant.rules"))
	}
	e, err := Compile(s)
	if err != nil {
		f.Fatal(err)
	}
	m := NewMatcher(e)
	a := NewExploitAdapter(e)
	st := NewState(64, 64)
	f.Fuzz(func(t *testing.T, payload []byte) {
		p := tcp("")
		p.Payload = payload
		for _, a := range m.Packet(p, &Context{State: st, Flow: 1}, nil) {
			if a.Rule < 0 || int(a.Rule) >= len(e.Rules()) || a.Start > a.End || int(a.End) > max(len(payload), MaxNormalized) {
				t.Fatalf("bad alert %+v", a)
			}
		}
		p.Proto = decode.ProtoUDP
		m.Packet(p, nil, nil)
		all := m.Payload(payload, nil, nil)
		if first, ok := m.PayloadFirst(payload, nil); ok != (len(all) > 0) || ok && first != all[0] {
			t.Fatalf("PayloadFirst %+v %v, Payload %+v", first, ok, all)
		}
		want := -1
		if len(all) > 0 {
			want = int(all[0].Rule)
		}
		if got := a.Match(payload); got != want {
			t.Fatalf("adapter %d, Payload %+v", got, all)
		}
		m.Command(string(payload), nil, nil)
		var h appproto.HTTP
		appproto.ParseHTTP(payload, &h)
		var tl appproto.TLS
		appproto.ParseTLS(payload, &tl, make([]byte, 0, 64))
		appproto.ParseDNSQuery(payload, make([]byte, 0, 8))
	})
}

// findShared returns the shared data directory or "".
func findShared() string {
	dir, _ := filepath.Abs(".")
	for {
		c := filepath.Join(dir, "shared", "data")
		if fi, err := os.Stat(c); err == nil && fi.IsDir() {
			return c
		}
		up := filepath.Dir(dir)
		if up == dir {
			return ""
		}
		dir = up
	}
}
