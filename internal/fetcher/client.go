package fetcher

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// MaxURLBytes bounds a URL the fetcher tries; a longer one is recorded as
// refused.
const MaxURLBytes = 4096

// Result is what one attempt at a URL gave.
type Result struct {
	URL      string
	Start    time.Time
	Duration time.Duration
	// Status is the HTTP status, the FTP reply code of the transfer (226),
	// 0 for TFTP and when no answer came.
	Status int
	// Headers is the HTTP header block ("Name: value" lines, bounded) or
	// the FTP server's greeting.
	Headers  string
	Server   string // "ip:port" the content came from
	FinalURL string // after redirects ("" when none)
	// Content is the body when the whole of it was got (Err nil).
	Content []byte
	Size    int64  // bytes received (may exceed len(Content) when cut off)
	SHA256  string // of Content, hex ("" without content)
	Err     error
	// Temporary: the error may pass (no connection, a timeout, a 5xx
	// or 429 answer), so a later attempt is worth it.
	Temporary bool
}

// Errors a Result can carry (besides network errors and ErrDenied).
var (
	ErrTooLarge    = errors.New("content larger than the size limit")
	ErrScheme      = errors.New("unsupported URL scheme")
	ErrBadURL      = errors.New("not a URL the fetcher can use")
	ErrRedirects   = errors.New("too many redirects")
	ErrStatus      = errors.New("the answer is not a success")
	ErrProtocol    = errors.New("protocol error")
	ErrNeedsDirect = errors.New("TFTP cannot go through a proxy")
)

// Client fetches URLs within the configured limits. It is safe for
// concurrent use.
type Client struct {
	cfg   Configuration
	guard *Guard
	dial  *dialer
	http  *httpFetcher
}

// NewClient returns a client for c (defaults applied).
func NewClient(c Configuration) (*Client, error) {
	c = c.withDefaults()
	g := NewGuard(c.Deny, c.Allow)
	d, err := newDialer(c, g)
	if err != nil {
		return nil, err
	}
	cl := &Client{cfg: c, guard: g, dial: d}
	cl.http = newHTTPFetcher(c, d)
	return cl, nil
}

// Guard returns the client's deny-list.
func (c *Client) Guard() *Guard { return c.guard }

// Fetch makes one attempt at raw within the limits: Timeout for the whole,
// Idle without a byte, MaxBytes of content, MaxRedirects.
func (c *Client) Fetch(ctx context.Context, raw string) Result {
	r := Result{URL: raw, Start: time.Now().UTC()}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	u, err := parseURL(raw)
	if err != nil {
		r.Err = err
		return r
	}
	switch u.Scheme {
	case "http", "https":
		c.http.fetch(ctx, u, &r)
	case "tftp":
		if c.cfg.Proxy != "" {
			r.Err = ErrNeedsDirect
			break
		}
		c.fetchTFTP(ctx, u, &r)
	case "ftp":
		c.fetchFTP(ctx, u, &r)
	default:
		r.Err = fmt.Errorf("%w %q", ErrScheme, u.Scheme)
	}
	r.Duration = time.Since(r.Start)
	if r.Err == nil && r.Content != nil {
		sum := sha256.Sum256(r.Content)
		r.SHA256 = hex.EncodeToString(sum[:])
	}
	if r.Err != nil {
		r.Content = nil
		if errIsDenied(r.Err) {
			r.Temporary = false
		}
		if ctx.Err() != nil && !errors.Is(r.Err, context.Canceled) {
			r.Temporary = true
		}
	}
	return r
}

// parseURL checks raw: bounded, a host, no user name (but FTP's
// anonymous), a scheme the fetcher speaks.
func parseURL(raw string) (*url.URL, error) {
	if len(raw) > MaxURLBytes {
		return nil, fmt.Errorf("%w: %d bytes (at most %d)", ErrBadURL, len(raw), MaxURLBytes)
	}
	if strings.ContainsAny(raw, "\x00\r\n\t ") {
		return nil, fmt.Errorf("%w: control characters or spaces", ErrBadURL)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadURL, err)
	}
	u.Scheme = strings.ToLower(u.Scheme)
	if u.Hostname() == "" {
		return nil, fmt.Errorf("%w: no host", ErrBadURL)
	}
	if p := u.Port(); p != "" && portNum(p) == 0 {
		return nil, fmt.Errorf("%w: port %q", ErrBadURL, p)
	}
	return u, nil
}

// hostPort is u's host and port, the scheme's default port when none.
func hostPort(u *url.URL, def string) string {
	p := u.Port()
	if p == "" {
		p = def
	}
	h := u.Hostname()
	if strings.Contains(h, ":") {
		return "[" + h + "]:" + p
	}
	return h + ":" + p
}

// limitedBuffer collects at most max bytes; more sets over.
type limitedBuffer struct {
	buf  []byte
	max  int64
	n    int64 // bytes offered
	over bool
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	b.n += int64(len(p))
	if room := b.max - int64(len(b.buf)); int64(len(p)) > room {
		b.buf = append(b.buf, p[:max(room, 0)]...)
		b.over = true
		return 0, ErrTooLarge
	}
	b.buf = append(b.buf, p...)
	return len(p), nil
}
