package fetcher

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// socksServer is a SOCKS5 proxy for tests on loopback (no authentication,
// CONNECT only); it records the destinations it was asked for and whether
// each was given as an address (not a name).
type socksServer struct {
	mu    sync.Mutex
	dests []string
	named bool
}

func (s *socksServer) start(t *testing.T) string {
	return rawServer(t, func(c net.Conn) {
		var h [2]byte
		if _, err := io.ReadFull(c, h[:]); err != nil || h[0] != 5 {
			return
		}
		methods := make([]byte, h[1])
		io.ReadFull(c, methods)
		c.Write([]byte{5, 0})
		var req [4]byte
		if _, err := io.ReadFull(c, req[:]); err != nil || req[1] != 1 {
			return
		}
		var host string
		switch req[3] {
		case 1:
			var a [4]byte
			io.ReadFull(c, a[:])
			host = netip.AddrFrom4(a).String()
		case 4:
			var a [16]byte
			io.ReadFull(c, a[:])
			host = netip.AddrFrom16(a).String()
		case 3:
			var n [1]byte
			io.ReadFull(c, n[:])
			name := make([]byte, n[0])
			io.ReadFull(c, name)
			host = string(name)
			s.mu.Lock()
			s.named = true
			s.mu.Unlock()
		}
		var p [2]byte
		io.ReadFull(c, p[:])
		dest := net.JoinHostPort(host, strconv.Itoa(int(binary.BigEndian.Uint16(p[:]))))
		s.mu.Lock()
		s.dests = append(s.dests, dest)
		s.mu.Unlock()
		up, err := net.Dial("tcp", dest)
		if err != nil {
			c.Write([]byte{5, 5, 0, 1, 0, 0, 0, 0, 0, 0})
			return
		}
		defer up.Close()
		c.Write([]byte{5, 0, 0, 1, 0, 0, 0, 0, 0, 0})
		go io.Copy(up, c)
		io.Copy(c, up)
	})
}

// TestSOCKSProxy: through a SOCKS5 proxy the destination is resolved and
// checked here, and the proxy is given an address; a denied destination
// never reaches the proxy.
func TestSOCKSProxy(t *testing.T) {
	body := []byte("through the proxy")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(body) }))
	defer srv.Close()
	ftpAddr := ftpServer(t, map[string][]byte{"/f": body}, true, "")
	var ps socksServer
	proxyAddr := ps.start(t)
	cfg := testConfig()
	cfg.Allow = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	cfg.Proxy = "socks5://" + proxyAddr
	cl := newTestClient(t, cfg)
	ctx := context.Background()
	port := srv.URL[strings.LastIndexByte(srv.URL, ':')+1:]
	for _, u := range []string{srv.URL + "/x", "http://localhost:" + port + "/x", "ftp://" + ftpAddr + "/f"} {
		r := cl.Fetch(ctx, u)
		if r.Err != nil || !bytes.Equal(r.Content, body) {
			t.Errorf("%s: %v, %q", u, r.Err, r.Content)
		}
		if !strings.HasPrefix(r.Server, "127.0.0.1:") || r.Server == proxyAddr {
			t.Errorf("%s: server %q, want the destination", u, r.Server)
		}
	}
	ps.mu.Lock()
	n, named := len(ps.dests), ps.named
	ps.mu.Unlock()
	if n != 4 || named { // http, localhost (its 127.0.0.1 only), FTP control and data
		t.Errorf("proxy asked for %v (a name given: %v)", ps.dests, named)
	}
	for _, u := range []string{"http://10.1.1.1/x", "http://[::1]:" + port + "/x"} {
		if r := cl.Fetch(ctx, u); !errors.Is(r.Err, ErrDenied) {
			t.Errorf("%s through the proxy: %v, want denied", u, r.Err)
		}
	}
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if len(ps.dests) != n {
		t.Errorf("denied destinations reached the proxy: %v", ps.dests[n:])
	}
}

// TestHTTPProxy: through an HTTP proxy the request goes to the proxy, and
// a denied destination is refused before.
func TestHTTPProxy(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.URL.String())
		mu.Unlock()
		w.Write([]byte("proxied"))
	}))
	defer proxy.Close()
	cfg := testConfig()
	cfg.Allow = []netip.Prefix{netip.MustParsePrefix("127.0.0.2/32")}
	cfg.Proxy = proxy.URL
	cl := newTestClient(t, cfg)
	ctx := context.Background()
	if r := cl.Fetch(ctx, "http://127.0.0.2:8/bins/x"); r.Err != nil || string(r.Content) != "proxied" {
		t.Fatalf("through the proxy: %v %q", r.Err, r.Content)
	}
	for _, u := range []string{"http://127.0.0.1:8/x", "http://192.168.1.1/x"} {
		if r := cl.Fetch(ctx, u); !errors.Is(r.Err, ErrDenied) {
			t.Errorf("%s: %v, want denied", u, r.Err)
		}
	}
	if r := cl.Fetch(ctx, "ftp://127.0.0.2/x"); r.Err == nil {
		t.Error("FTP through an HTTP proxy accepted")
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 1 || seen[0] != "http://127.0.0.2:8/bins/x" {
		t.Errorf("the proxy saw %v", seen)
	}
}

// TestSourceAddr: connections leave from the configured source address.
func TestSourceAddr(t *testing.T) {
	var mu sync.Mutex
	var from []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		from = append(from, r.RemoteAddr)
		mu.Unlock()
		w.Write([]byte("x"))
	}))
	defer srv.Close()
	cfg := testConfig()
	cfg.SourceAddr = netip.MustParseAddr("127.0.0.3")
	if r := newTestClient(t, cfg).Fetch(context.Background(), srv.URL+"/x"); r.Err != nil {
		t.Fatal(r.Err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(from) != 1 || !strings.HasPrefix(from[0], "127.0.0.3:") {
		t.Errorf("requests from %v, want 127.0.0.3", from)
	}
}

// TestControlChecksConnectAddress: the check runs on the address the
// socket connects to, whatever name led there.
func TestControlChecksConnectAddress(t *testing.T) {
	g := NewGuard(nil, nil)
	ctl := g.control("", true)
	for addr, ok := range map[string]bool{"10.0.0.1:80": false, "[::ffff:192.168.0.1]:80": false, "[fe80::1%lo]:80": false,
		"8.8.8.8:53": true, "not an address": false} {
		err := ctl("tcp4", addr, nil)
		if (err == nil) != ok || (!ok && !errors.Is(err, ErrDenied)) {
			t.Errorf("%s: %v", addr, err)
		}
	}
}

// TestInterface: sockets are bound to the configured interface (needs
// CAP_NET_RAW; skipped without it).
func TestInterface(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("x")) }))
	defer srv.Close()
	tftpAddr := tftpServer(t, map[string][]byte{"f": []byte("tftp")}, tftpGood)
	cfg := testConfig()
	cfg.Interface = "lo"
	cl := newTestClient(t, cfg)
	r := cl.Fetch(context.Background(), srv.URL+"/x")
	if r.Err != nil && (errors.Is(r.Err, syscall.EPERM) || strings.Contains(r.Err.Error(), "operation not permitted")) {
		t.Skip("binding to an interface needs CAP_NET_RAW")
	}
	if r.Err != nil || string(r.Content) != "x" {
		t.Fatalf("bound to lo: %v", r.Err)
	}
	if r := cl.Fetch(context.Background(), "tftp://"+tftpAddr+"/f"); r.Err != nil || string(r.Content) != "tftp" {
		t.Errorf("tftp bound to lo: %v", r.Err)
	}
	cfg.Interface = "nosuchif0"
	if r := newTestClient(t, cfg).Fetch(context.Background(), srv.URL+"/x"); r.Err == nil {
		t.Error("bound to a missing interface, the fetch still went out")
	}
}
