// Package httpd is the honeypot's HTTP front end: it reads requests with
// net/http's parser on a bounded head, in a keep-alive loop, records each
// request (method, target, version, host, header block, body, status and
// the exploit pattern it matched), the URLs inside it, the credentials
// sent with HTTP Basic or a login form, and bodies that are ELF files or
// scripts as files; and it answers as the IoT device its port is known
// for: a router, DVR or camera login page, a TR-069 or UPnP SOAP stack,
// 401s and 404s, with the Server headers such devices send. Nothing from
// the client is reflected into a page: the pages are html/template
// renderings of the operator's settings only.
//
// Sessions end with "closed" (client), "idle"/"timeout"/"bytes" (from the
// connection's wrapper), "requests" (the request limit), "headers" (an
// oversized request head, answered 431), "bad-request" (not HTTP,
// answered 400), "body" (a body that could not be read to its end) or
// "shutdown".
package httpd

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"github.com/honeyscope/honeyscope/internal/honeypot/guard"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/honeyscope/honeyscope/internal/classify"
	"github.com/honeyscope/honeyscope/internal/session"
)

// Credentials decides whether a login attempt succeeds. attempt is the
// 1-based number of this attempt in the session.
type Credentials interface {
	Check(sess *session.Session, attempt int, user, pass string) bool
}

// Config configures an HTTP front end.
type Config struct {
	Sensor   string // sensor name (informational: the framework fills the session header)
	Hostname string // the device's name (the certificate's name when CertName is empty)
	// Banner replaces the profile's Server header ("" : the profile's).
	Banner string
	// Title replaces the login page's title ("" : the profile's).
	Title string
	// Profile fixes the device: one of Profiles() ("" : chosen by the
	// session's port: 80/8080 router, 81/8000 DVR, 443/8443 camera, 7547
	// TR-069, 37215 Huawei HG532 UPnP, 52869 Realtek UPnP, others router).
	Profile string
	// Credentials is the login policy for HTTP Basic and form logins (nil:
	// any login after 2 failed attempts).
	Credentials Credentials
	// TLS serves HTTPS with a self-signed certificate, generated for
	// CertName and cached in CertDir (cert.pem, key.pem mode 0600) when
	// CertDir is set. A client speaking plain HTTP to a TLS port is
	// answered in plain HTTP.
	TLS      bool
	CertDir  string
	CertName string // default: Hostname, else DefaultCertName
	// Exploits matches request payloads (nil: classify.NewBuiltinExploits()).
	Exploits classify.ExploitMatcher
	// Now is the clock of Date headers and the certificate (default time.Now).
	Now func() time.Time
}

// Server is an HTTP front end. Its Serve method is safe for concurrent use.
type Server struct {
	cfg     Config
	profile *profile // nil: by port
	tls     *tls.Config
}

// New returns a server for cfg; with TLS it loads or makes the certificate.
func New(cfg Config) (*Server, error) {
	if cfg.Exploits == nil {
		cfg.Exploits = classify.NewBuiltinExploits()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if strings.ContainsAny(cfg.Banner, "\r\n") {
		return nil, fmt.Errorf("httpd banner %q: must be one line", cfg.Banner)
	}
	s := &Server{cfg: cfg}
	if cfg.Profile != "" {
		p, ok := profiles[cfg.Profile]
		if !ok {
			return nil, fmt.Errorf("httpd profile %q: unknown (one of %s)", cfg.Profile, strings.Join(Profiles(), ", "))
		}
		s.profile = p
	}
	if cfg.TLS {
		name := cfg.CertName
		if name == "" {
			name = cfg.Hostname
		}
		if name == "" {
			name = DefaultCertName
		}
		cert, err := certificate(cfg.CertDir, name, cfg.Now())
		if err != nil {
			return nil, err
		}
		s.tls = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS10}
	}
	return s, nil
}

// readConn remembers the first read error of a connection and, while
// tee is positive, keeps the bytes read (the bytes a TLS handshake
// consumed, to replay them as plain HTTP).
type readConn struct {
	net.Conn
	mu      sync.Mutex
	readErr error
	tee     int
	kept    []byte
}

func (r *readConn) Read(p []byte) (int, error) {
	n, err := r.Conn.Read(p)
	r.mu.Lock()
	if r.tee > len(r.kept) && n > 0 {
		r.kept = append(r.kept, p[:min(n, r.tee-len(r.kept))]...)
	}
	if err != nil && r.readErr == nil {
		r.readErr = err
	}
	r.mu.Unlock()
	return n, err
}

func (r *readConn) err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.readErr
}

// replayConn reads pending before the connection.
type replayConn struct {
	net.Conn
	pending []byte
}

func (r *replayConn) Read(p []byte) (int, error) {
	if len(r.pending) > 0 {
		n := copy(p, r.pending)
		r.pending = r.pending[n:]
		return n, nil
	}
	return r.Conn.Read(p)
}

// maxTLSReplay bounds the bytes kept of a TLS handshake for a replay.
const maxTLSReplay = 16 << 10

// Serve serves one accepted connection until the session ends and returns
// why it ended (see the package doc). The caller closes c and the
// recorder.
func (s *Server) Serve(ctx context.Context, c net.Conn, rec *session.Recorder) (reason string) {
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	hdr := rec.Header()
	x := &exchange{srv: s, rec: rec, lim: rec.Limits(), prof: s.profile, urls: map[string]bool{}}
	if x.prof == nil {
		x.prof = profileForPort(hdr.Port)
	}
	rc := &readConn{Conn: c}
	var conn net.Conn = rc
	if s.tls != nil {
		rc.tee = maxTLSReplay
		tc := tls.Server(rc, s.tls)
		err := tc.HandshakeContext(ctx)
		rc.mu.Lock()
		kept := rc.kept
		rc.tee, rc.kept = 0, nil
		rc.mu.Unlock()
		var rhe tls.RecordHeaderError
		switch {
		case err == nil:
			conn = tc
		case errors.As(err, &rhe) && len(kept) > 0 && rc.err() == nil:
			// Not TLS: answer in plain HTTP what the client sent.
			conn = &replayConn{Conn: rc, pending: kept}
		default:
			if len(kept) > 0 {
				rec.FirstBytes(kept)
			}
			return x.endReason(ctx, rc, "")
		}
	}
	br := bufio.NewReaderSize(conn, 4096)
	for {
		end, more := x.serveOne(br, conn)
		if !more {
			return x.endReason(ctx, rc, end)
		}
	}
}

// endReason names the end: "shutdown" when ctx ended, the read error's
// reason when the connection's reads failed, else fallback.
func (x *exchange) endReason(ctx context.Context, rc *readConn, fallback string) string {
	if ctx.Err() != nil {
		return "shutdown"
	}
	if fallback != "" {
		return fallback
	}
	return ReadReason(rc.err())
}

// ReadReason names the end of a session from the error its reads ended
// with (see guard.Reason).
func ReadReason(err error) string { return guard.Reason(err) }
