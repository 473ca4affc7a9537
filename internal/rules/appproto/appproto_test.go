package appproto

import (
	"bytes"
	"testing"
)

func TestParseHTTPRequest(t *testing.T) {
	p := []byte("GET /a?b=1 HTTP/1.1\r\nHost: x:80\r\nUser-Agent:  Hello, world \r\n folded\r\n\r\nbody")
	var h HTTP
	if !ParseHTTP(p, &h) || !h.Request || !h.Complete {
		t.Fatalf("not parsed: %+v", h)
	}
	if string(h.Method) != "GET" || string(h.URI) != "/a?b=1" || string(h.Protocol) != "HTTP/1.1" || string(h.Body) != "body" {
		t.Errorf("parts: %q %q %q %q", h.Method, h.URI, h.Protocol, h.Body)
	}
	if ua, ok := h.Header("user-agent"); !ok || string(ua) != "Hello, world" {
		t.Errorf("user-agent %q", ua)
	}
	if h.NFields != 2 || !bytes.HasSuffix(h.HeaderBlock, []byte("folded\r\n\r\n")) {
		t.Errorf("fields %d, block %q", h.NFields, h.HeaderBlock)
	}
	// Cut in the headers: no body, not complete.
	if !ParseHTTP(p[:40], &h) || h.Complete || h.Body != nil {
		t.Errorf("cut request: %+v", h)
	}
	for _, bad := range []string{"", "GET", "GET /x", " / HTTP/1.1\r\n", "G\x00T / HTTP/1.1\r\n", "HTTP/1.1 2x0 OK\r\n"} {
		if ParseHTTP([]byte(bad), &h) {
			t.Errorf("%q parsed as HTTP", bad)
		}
	}
	if !ParseHTTP([]byte("HTTP/1.0 404 Not Found\r\nServer: s\r\n\r\n"), &h) || h.Request || string(h.StatCode) != "404" || string(h.StatMsg) != "Not Found" {
		t.Errorf("response: %+v", h)
	}
	many := []byte("GET / HTTP/1.1\r\n" + string(bytes.Repeat([]byte("A: b\r\n"), 200)) + "\r\n")
	if !ParseHTTP(many, &h) || h.NFields != MaxFields {
		t.Errorf("fields %d, want the bound %d", h.NFields, MaxFields)
	}
}

// clientHello builds a TLS record with a ClientHello naming host.
func clientHello(host string) []byte {
	sni := append([]byte{0, byte(len(host) + 3), 0, byte(len(host) >> 8), byte(len(host))}, host...)
	ext := append([]byte{0, 0, 0, byte(len(sni))}, sni...)
	body := make([]byte, 34)
	body = append(body, 0)          // session id
	body = append(body, 0, 2, 0, 1) // cipher suites
	body = append(body, 1, 0)       // compression
	body = append(body, byte(len(ext)>>8), byte(len(ext)))
	body = append(body, ext...)
	hs := append([]byte{1, 0, byte(len(body) >> 8), byte(len(body))}, body...)
	return append([]byte{22, 3, 1, byte(len(hs) >> 8), byte(len(hs))}, hs...)
}

func TestParseTLS(t *testing.T) {
	var tl TLS
	if !ParseTLS(clientHello("example.com"), &tl, make([]byte, 0, 1024)) || string(tl.SNI) != "example.com" {
		t.Fatalf("SNI %q", tl.SNI)
	}
	certs := []byte{0, 0, 10, 0, 0, 3, 'a', 'b', 'c', 0, 0, 1, 'd'}
	hs := append([]byte{11, 0, 0, byte(len(certs))}, certs...)
	rec := append([]byte{22, 3, 3, 0, byte(len(hs))}, hs...)
	if !ParseTLS(rec, &tl, make([]byte, 0, 1024)) || tl.NCerts != 2 || string(tl.Certs[0]) != "abc" || string(tl.Certs[1]) != "d" {
		t.Fatalf("certs %d %q", tl.NCerts, tl.Certs[:tl.NCerts])
	}
	// Cut inside the second certificate: what was captured is kept.
	if !ParseTLS(rec[:len(rec)-1], &tl, make([]byte, 0, 1024)) || tl.NCerts != 1 {
		t.Errorf("cut certs: %d", tl.NCerts)
	}
	if ParseTLS([]byte("GET / HTTP/1.1\r\n"), &tl, nil) {
		t.Error("HTTP parsed as TLS")
	}
}

func TestParseDNSQuery(t *testing.T) {
	q := []byte{0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 3, 'w', 'w', 'w', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0, 0, 1, 0, 1}
	name, ok := ParseDNSQuery(q, make([]byte, 0, 255))
	if !ok || string(name) != "www.example.com" {
		t.Fatalf("name %q %v", name, ok)
	}
	if _, ok := ParseDNSQuery(q, make([]byte, 0, 4)); ok {
		t.Error("name longer than scratch accepted")
	}
	resp := bytes.Clone(q)
	resp[2] |= 0x80
	if _, ok := ParseDNSQuery(resp, make([]byte, 0, 255)); ok {
		t.Error("response parsed as query")
	}
	if _, ok := ParseDNSQuery(q[:20], make([]byte, 0, 255)); ok {
		t.Error("truncated name accepted")
	}
}

func TestParsersDoNotAllocate(t *testing.T) {
	p := []byte("GET /a HTTP/1.1\r\nHost: x\r\n\r\n")
	ch := clientHello("a.example")
	scratch := make([]byte, 0, 1024)
	var h HTTP
	var tl TLS
	if n := testing.AllocsPerRun(100, func() { ParseHTTP(p, &h); ParseTLS(ch, &tl, scratch) }); n != 0 {
		t.Errorf("%v allocations", n)
	}
}

func FuzzParsers(f *testing.F) {
	f.Add([]byte("GET / HTTP/1.1\r\nA: b\r\n\r\nx"))
	f.Add(clientHello("x"))
	f.Fuzz(func(t *testing.T, p []byte) {
		var h HTTP
		if ParseHTTP(p, &h) {
			if h.NFields > MaxFields || len(h.Start) > len(p) {
				t.Fatalf("bad parse %+v", h)
			}
		}
		var tl TLS
		ParseTLS(p, &tl, make([]byte, 0, 256))
		if tl.NCerts > MaxCerts {
			t.Fatal("too many certs")
		}
		if n, ok := ParseDNSQuery(p, make([]byte, 0, 255)); ok && len(n) > 255 {
			t.Fatal("name over scratch")
		}
	})
}
