package fetcher

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

var loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}

// testConfig allows loopback and keeps the limits small.
func testConfig() Configuration {
	c := DefaultConfiguration()
	c.Allow = loopback
	c.Timeout = 10 * time.Second
	c.Idle = 2 * time.Second
	c.MaxBytes = 64 << 10
	return c
}

func newTestClient(t *testing.T, c Configuration) *Client {
	t.Helper()
	cl, err := NewClient(c)
	if err != nil {
		t.Fatal(err)
	}
	return cl
}

func hexSHA(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func TestHTTPFetch(t *testing.T) {
	body := bytes.Repeat([]byte("\x7fELF binary "), 1000)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/bins/x.arm7":
			w.Header().Set("X-Test", "1")
			w.Write(body)
		case "/r1":
			http.Redirect(w, r, "/r2", http.StatusFound)
		case "/r2":
			http.Redirect(w, r, "/bins/x.arm7", http.StatusMovedPermanently)
		case "/loop":
			http.Redirect(w, r, "/loop", http.StatusFound)
		case "/busy":
			http.Error(w, "busy", http.StatusServiceUnavailable)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	cl := newTestClient(t, testConfig())
	ctx := context.Background()

	r := cl.Fetch(ctx, srv.URL+"/bins/x.arm7")
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	if !bytes.Equal(r.Content, body) || r.Size != int64(len(body)) || r.SHA256 != hexSHA(body) || r.Status != 200 {
		t.Fatalf("got %d bytes, size %d, sha %s, status %d", len(r.Content), r.Size, r.SHA256, r.Status)
	}
	if r.Server != srv.Listener.Addr().String() {
		t.Errorf("server %q, want %q", r.Server, srv.Listener.Addr())
	}
	if !strings.Contains(r.Headers, "X-Test: 1\n") {
		t.Errorf("headers %q", r.Headers)
	}

	tlsSrv := httptest.NewTLSServer(srv.Config.Handler)
	defer tlsSrv.Close()
	if r := cl.Fetch(ctx, tlsSrv.URL+"/bins/x.arm7"); r.Err != nil || !bytes.Equal(r.Content, body) || r.Server != tlsSrv.Listener.Addr().String() {
		t.Errorf("https: err %v, %d bytes, server %q", r.Err, len(r.Content), r.Server)
	}

	r = cl.Fetch(ctx, srv.URL+"/r1")
	if r.Err != nil || !bytes.Equal(r.Content, body) || r.FinalURL != srv.URL+"/bins/x.arm7" {
		t.Errorf("redirects: err %v, %d bytes, final %q", r.Err, len(r.Content), r.FinalURL)
	}
	r = cl.Fetch(ctx, srv.URL+"/loop")
	if !errors.Is(r.Err, ErrRedirects) || r.Content != nil {
		t.Errorf("redirect loop: %v", r.Err)
	}
	one := testConfig()
	one.MaxRedirects = 1
	if r := newTestClient(t, one).Fetch(ctx, srv.URL+"/r1"); !errors.Is(r.Err, ErrRedirects) {
		t.Errorf("two redirects with a limit of one: %v", r.Err)
	}
	r = cl.Fetch(ctx, srv.URL+"/missing")
	if !errors.Is(r.Err, ErrStatus) || r.Status != 404 || r.Temporary || r.Content != nil {
		t.Errorf("404: %+v", r)
	}
	r = cl.Fetch(ctx, srv.URL+"/busy")
	if !errors.Is(r.Err, ErrStatus) || r.Status != 503 || !r.Temporary {
		t.Errorf("503: status %d temporary %v err %v", r.Status, r.Temporary, r.Err)
	}
	for _, bad := range []string{"gopher://" + srv.Listener.Addr().String() + "/x", "http:///x", "http://h/" + strings.Repeat("a", MaxURLBytes), "http://h/a b"} {
		if r := cl.Fetch(ctx, bad); r.Err == nil || !(errors.Is(r.Err, ErrScheme) || errors.Is(r.Err, ErrBadURL)) {
			t.Errorf("%.40q: %v", bad, r.Err)
		}
	}
}

// TestDenied: without the loopback allow-list, a loopback server is never
// reached, nor a private address or a redirect to a denied address.
func TestDenied(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if r.URL.Path == "/to-private" {
			http.Redirect(w, r, "http://10.255.255.1/x", http.StatusFound)
			return
		}
		if r.URL.Path == "/to-other-loopback" {
			http.Redirect(w, r, "http://127.0.0.2:9/x", http.StatusFound)
			return
		}
		w.Write([]byte("content"))
	}))
	defer srv.Close()
	ctx := context.Background()
	strict := testConfig()
	strict.Allow = nil
	cl := newTestClient(t, strict)
	for _, u := range []string{srv.URL + "/x", "http://10.255.255.1/x", "http://[fd00::1]/x", "http://[::ffff:127.0.0.1]:" + srv.URL[strings.LastIndexByte(srv.URL, ':')+1:] + "/x",
		"tftp://127.0.0.1/x", "ftp://127.0.0.1/x", "http://localhost:" + srv.URL[strings.LastIndexByte(srv.URL, ':')+1:] + "/x"} {
		r := cl.Fetch(ctx, u)
		if !errors.Is(r.Err, ErrDenied) || !errIsDenied(r.Err) || r.Temporary {
			t.Errorf("%s: err %v (temporary %v), want denied", u, r.Err, r.Temporary)
		}
	}
	if n := hits.Load(); n != 0 {
		t.Fatalf("the denied server got %d requests", n)
	}
	// Allowed: 127.0.0.1 only. A redirect to a private or another
	// loopback address is refused at its connection.
	one := testConfig()
	one.Allow = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	cl = newTestClient(t, one)
	for _, p := range []string{"/to-private", "/to-other-loopback"} {
		if r := cl.Fetch(ctx, srv.URL+p); !errors.Is(r.Err, ErrDenied) {
			t.Errorf("redirect %s: %v, want denied", p, r.Err)
		}
	}
}

// rawServer serves each TCP connection on loopback with handle.
func rawServer(t *testing.T, handle func(c net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() { close(done); ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				go func() { <-done; c.Close() }()
				handle(c)
			}()
		}
	}()
	return ln.Addr().String()
}

// readRequest reads a request's head.
func readRequest(c net.Conn) {
	br := bufio.NewReader(c)
	for {
		l, err := br.ReadString('\n')
		if err != nil || l == "\r\n" {
			return
		}
	}
}

// TestHostileHTTP: servers that never stop, stall or flood are cut off
// by the limits.
func TestHostileHTTP(t *testing.T) {
	cfg := testConfig()
	cfg.MaxBytes = 4096
	cfg.MaxHeaderBytes = 2048
	cfg.Idle = 300 * time.Millisecond
	cfg.Timeout = 3 * time.Second
	cl := newTestClient(t, cfg)
	ctx := context.Background()
	cases := []struct {
		name   string
		handle func(c net.Conn)
		check  func(r Result) bool
	}{
		{"endless body", func(c net.Conn) {
			readRequest(c)
			fmt.Fprint(c, "HTTP/1.1 200 OK\r\n\r\n")
			chunk := bytes.Repeat([]byte("A"), 1024)
			for {
				if _, err := c.Write(chunk); err != nil {
					return
				}
			}
		}, func(r Result) bool { return errors.Is(r.Err, ErrTooLarge) && r.Size > cfg.MaxBytes && r.Size < 1<<20 }},
		{"announced too large", func(c net.Conn) {
			readRequest(c)
			fmt.Fprint(c, "HTTP/1.1 200 OK\r\nContent-Length: 100000000\r\n\r\n")
			time.Sleep(5 * time.Second)
		}, func(r Result) bool { return errors.Is(r.Err, ErrTooLarge) && r.Size == 0 }},
		{"huge headers", func(c net.Conn) {
			readRequest(c)
			fmt.Fprint(c, "HTTP/1.1 200 OK\r\n")
			for i := 0; ; i++ {
				if _, err := fmt.Fprintf(c, "X-%d: %s\r\n", i, strings.Repeat("h", 500)); err != nil {
					return
				}
			}
		}, func(r Result) bool { return r.Err != nil && r.Status == 0 }},
		{"silent after connect", func(c net.Conn) {
			time.Sleep(5 * time.Second)
		}, func(r Result) bool { return r.Err != nil && r.Temporary }},
		{"stalls in the body", func(c net.Conn) {
			readRequest(c)
			fmt.Fprint(c, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabc")
			time.Sleep(5 * time.Second)
		}, func(r Result) bool { return r.Err != nil && r.Content == nil && r.Size == 3 }},
		{"slowloris body", func(c net.Conn) {
			readRequest(c)
			fmt.Fprint(c, "HTTP/1.1 200 OK\r\nContent-Length: 4000\r\n\r\n")
			for {
				if _, err := c.Write([]byte("x")); err != nil {
					return
				}
				time.Sleep(100 * time.Millisecond)
			}
		}, func(r Result) bool { return r.Err != nil && r.Content == nil && r.Size > 0 && r.Size < 4000 }},
		{"slowloris headers", func(c net.Conn) {
			readRequest(c)
			fmt.Fprint(c, "HTTP/1.1 200 OK\r\n")
			for {
				if _, err := c.Write([]byte("X")); err != nil {
					return
				}
				time.Sleep(100 * time.Millisecond)
			}
		}, func(r Result) bool { return r.Err != nil && r.Status == 0 }},
		{"garbage", func(c net.Conn) {
			readRequest(c)
			c.Write(bytes.Repeat([]byte{0xff, 0}, 4096))
		}, func(r Result) bool { return r.Err != nil && r.Content == nil }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			addr := rawServer(t, tc.handle)
			r := cl.Fetch(ctx, "http://"+addr+"/x")
			if !tc.check(r) {
				t.Errorf("err %v, status %d, size %d, %d bytes kept, temporary %v", r.Err, r.Status, r.Size, len(r.Content), r.Temporary)
			}
		})
	}
}
