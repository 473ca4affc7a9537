package fetcher

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"sort"
	"strings"
	"time"
)

// httpFetcher fetches http and https URLs: HTTP/1.1 only, no compression
// asked for (the bytes kept are the bytes sent), certificates not checked
// (the servers are the attackers'; nothing is trusted), no cookies, no
// proxy from the environment.
type httpFetcher struct {
	cfg    Configuration
	dial   *dialer
	client *http.Client
}

func newHTTPFetcher(c Configuration, d *dialer) *httpFetcher {
	h := &httpFetcher{cfg: c, dial: d}
	wrap := func(conn net.Conn, err error) (net.Conn, error) {
		if err != nil {
			return nil, err
		}
		return &idleConn{Conn: conn, idle: c.Idle}, nil
	}
	t := &http.Transport{
		Proxy: nil,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			return wrap(d.dialTCP(ctx, addr))
		},
		TLSClientConfig:        &tls.Config{InsecureSkipVerify: true}, //nolint:gosec // attacker servers: recorded, never trusted
		TLSHandshakeTimeout:    c.Idle,
		ResponseHeaderTimeout:  c.Idle,
		ExpectContinueTimeout:  time.Second,
		MaxResponseHeaderBytes: int64(c.MaxHeaderBytes),
		DisableCompression:     true,
		DisableKeepAlives:      true,
		MaxConnsPerHost:        c.PerHost,
		ForceAttemptHTTP2:      false,
		TLSNextProto:           map[string]func(string, *tls.Conn) http.RoundTripper{},
	}
	if d.httpProxy != nil {
		t.Proxy = http.ProxyURL(d.httpProxy)
		t.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
			return wrap(d.dialProxy(ctx, network, addr))
		}
	}
	h.client = &http.Client{
		Transport: t,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) > c.MaxRedirects {
				return fmt.Errorf("%w (%d)", ErrRedirects, c.MaxRedirects)
			}
			if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
				return fmt.Errorf("redirect to %w %q", ErrScheme, req.URL.Scheme)
			}
			if len(req.URL.String()) > MaxURLBytes {
				return fmt.Errorf("redirect: %w: %d bytes", ErrBadURL, len(req.URL.String()))
			}
			return h.precheck(req.Context(), req.URL)
		},
	}
	return h
}

// precheck, through an HTTP proxy (which resolves the name itself), checks
// the addresses the name has here; direct and SOCKS connections are
// checked when they connect.
func (h *httpFetcher) precheck(ctx context.Context, u *url.URL) error {
	if h.dial.httpProxy == nil {
		return nil
	}
	_, err := h.dial.resolve(ctx, u.Hostname())
	return err
}

func (h *httpFetcher) fetch(ctx context.Context, u *url.URL, r *Result) {
	if err := h.precheck(ctx, u); err != nil {
		r.Err = err
		return
	}
	var server string
	trace := &httptrace.ClientTrace{GotConn: func(i httptrace.GotConnInfo) {
		if a := i.Conn.RemoteAddr(); a != nil {
			server = a.String()
		}
	}}
	req, err := http.NewRequestWithContext(httptrace.WithClientTrace(ctx, trace), http.MethodGet, u.String(), nil)
	if err != nil {
		r.Err = fmt.Errorf("%w: %v", ErrBadURL, err)
		return
	}
	req.Header.Set("User-Agent", h.cfg.UserAgent)
	req.Header.Set("Accept", "*/*")
	resp, err := h.client.Do(req)
	if err != nil {
		r.Server = server
		r.Err = err
		var ue *url.Error
		r.Temporary = errors.As(err, &ue) && (ue.Timeout() || isConnError(ue.Err))
		return
	}
	defer resp.Body.Close()
	r.Server = server
	r.Status = resp.StatusCode
	r.Headers = headerText(resp.Header, h.cfg.MaxHeaderBytes)
	if fu := resp.Request.URL.String(); fu != u.String() {
		r.FinalURL = fu
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		r.Err = fmt.Errorf("%w: %s", ErrStatus, resp.Status)
		r.Temporary = resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests
		return
	}
	if resp.ContentLength > h.cfg.MaxBytes {
		r.Err = fmt.Errorf("%w: %d bytes announced (limit %d)", ErrTooLarge, resp.ContentLength, h.cfg.MaxBytes)
		return
	}
	b := &limitedBuffer{max: h.cfg.MaxBytes}
	_, err = io.Copy(b, resp.Body)
	r.Size = b.n
	switch {
	case b.over:
		r.Err = fmt.Errorf("%w (%d bytes)", ErrTooLarge, h.cfg.MaxBytes)
	case err != nil:
		r.Err = fmt.Errorf("body: %w", err)
		r.Temporary = true
	default:
		r.Content = b.buf
		if r.Content == nil {
			r.Content = []byte{}
		}
	}
}

// isConnError reports whether err is a failure to connect or a
// connection cut (worth a retry), not a refusal by the guard.
func isConnError(err error) bool {
	if errIsDenied(err) {
		return false
	}
	var op *net.OpError
	return errors.As(err, &op) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF)
}

// headerText writes h as "Name: value" lines, names sorted, at most max
// bytes (cut at a line).
func headerText(h http.Header, max int) string {
	names := make([]string, 0, len(h))
	for k := range h {
		names = append(names, k)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, k := range names {
		for _, v := range h[k] {
			line := k + ": " + v + "\n"
			if b.Len()+len(line) > max {
				return b.String()
			}
			b.WriteString(line)
		}
	}
	return b.String()
}
