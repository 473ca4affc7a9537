package httpd

import (
	"bytes"
	"context"
	"net"
	"testing"
	"time"

	"github.com/honeyscope/honeyscope/internal/session"
)

// byteConn is a connection whose client sends b and then closes.
type byteConn struct {
	r   *bytes.Reader
	out int
}

func (c *byteConn) Read(p []byte) (int, error)       { return c.r.Read(p) }
func (c *byteConn) Write(p []byte) (int, error)      { c.out += len(p); return len(p), nil }
func (c *byteConn) Close() error                     { return nil }
func (c *byteConn) LocalAddr() net.Addr              { return &net.TCPAddr{} }
func (c *byteConn) RemoteAddr() net.Addr             { return &net.TCPAddr{} }
func (c *byteConn) SetDeadline(time.Time) error      { return nil }
func (c *byteConn) SetReadDeadline(time.Time) error  { return nil }
func (c *byteConn) SetWriteDeadline(time.Time) error { return nil }

// FuzzServe feeds arbitrary client bytes to every profile: Serve must
// return, answer within bounds and record within the session's limits.
func FuzzServe(f *testing.F) {
	for _, s := range []string{
		"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
		"POST /ctrlt/DeviceUpgrade_1 HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello",
		"POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
		"POST /u HTTP/1.1\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: 40\r\n\r\n--b\r\n\r\n\x7fELF\x01\x01\x01\r\n--b--\r\n",
		"GET /cgi-bin/ HTTP/1.0\r\nAuthorization: Basic YTpi\r\n\r\n",
		"\x16\x03\x01\x00\x05hello",
	} {
		f.Add([]byte(s), uint8(0))
	}
	srv, err := New(Config{})
	if err != nil {
		f.Fatal(err)
	}
	lim := session.DefaultLimits()
	lim.Requests, lim.URLs, lim.Files, lim.Logins = 4, 4, 4, 4
	ports := []uint16{80, 81, 8443, 7547, 37215, 52869}
	f.Fuzz(func(t *testing.T, b []byte, port uint8) {
		rec := session.NewHub(session.HubConfig{}).Open(session.Session{Port: ports[int(port)%len(ports)]}, lim)
		c := &byteConn{r: bytes.NewReader(b)}
		reason := srv.Serve(context.Background(), c, rec)
		if reason == "" {
			t.Fatal("no end reason")
		}
		s := rec.Snapshot()
		if len(s.Requests) > lim.Requests || len(s.URLs) > lim.URLs || len(s.Files) > lim.Files {
			t.Fatalf("over limits: %d requests %d urls %d files", len(s.Requests), len(s.URLs), len(s.Files))
		}
		if c.out > (lim.Requests+1)*16<<10 {
			t.Fatalf("%d bytes answered", c.out)
		}
	})
}
