package fetcher

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"time"

	"golang.org/x/net/proxy"
)

// dialer makes the fetcher's connections: from the configured source
// address and interface, to addresses the guard allows only, directly or
// through the configured proxy.
type dialer struct {
	guard  *Guard
	iface  string
	local  netip.Addr
	direct *net.Dialer // checks every address at connect time
	// plain reaches the proxy (the operator's choice, not checked).
	plain     *net.Dialer
	socks     proxy.ContextDialer // SOCKS5 proxy, or nil
	httpProxy *url.URL            // HTTP proxy, or nil
	resolver  *net.Resolver
}

func newDialer(c Configuration, g *Guard) (*dialer, error) {
	d := &dialer{guard: g, iface: c.Interface, local: c.SourceAddr, resolver: net.DefaultResolver}
	d.direct = &net.Dialer{Timeout: c.Idle, Control: g.control(c.Interface, true)}
	d.plain = &net.Dialer{Timeout: c.Idle, Control: g.control(c.Interface, false)}
	if c.SourceAddr.IsValid() {
		la := &net.TCPAddr{IP: c.SourceAddr.AsSlice()}
		d.direct.LocalAddr, d.plain.LocalAddr = la, la
	}
	if c.Proxy == "" {
		return d, nil
	}
	u, err := url.Parse(c.Proxy)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("proxy %q: not a URL like socks5://127.0.0.1:1080 or http://127.0.0.1:3128", c.Proxy)
	}
	switch u.Scheme {
	case "socks5", "socks5h":
		pd, err := proxy.FromURL(u, d.plain)
		if err != nil {
			return nil, fmt.Errorf("proxy %q: %w", c.Proxy, err)
		}
		cd, ok := pd.(proxy.ContextDialer)
		if !ok {
			return nil, fmt.Errorf("proxy %q: no context dialer", c.Proxy)
		}
		d.socks = cd
	case "http":
		d.httpProxy = u
	default:
		return nil, fmt.Errorf("proxy %q: scheme %q (want socks5 or http)", c.Proxy, u.Scheme)
	}
	return d, nil
}

// resolve returns the allowed addresses of host (an address or a name);
// ErrDenied when it has addresses but none is allowed.
func (d *dialer) resolve(ctx context.Context, host string) ([]netip.Addr, error) {
	var addrs []netip.Addr
	if a, err := netip.ParseAddr(host); err == nil {
		addrs = []netip.Addr{a}
	} else {
		addrs, err = d.resolver.LookupNetIP(ctx, "ip", host)
		if err != nil {
			return nil, fmt.Errorf("resolve %q: %w", host, err)
		}
	}
	var ok []netip.Addr
	var firstErr error
	for _, a := range addrs {
		if err := d.guard.Check(a.Unmap()); err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		ok = append(ok, a.Unmap())
	}
	if len(ok) == 0 {
		if firstErr == nil {
			firstErr = fmt.Errorf("resolve %q: no address", host)
		}
		return nil, firstErr
	}
	return ok, nil
}

// dialTCP connects to hostport: directly (the address checked when the
// socket connects), or through the SOCKS5 proxy with the destination
// resolved and checked here first. Through an HTTP proxy only HTTP is
// fetched (the transport dials the proxy with dialProxy).
func (d *dialer) dialTCP(ctx context.Context, hostport string) (net.Conn, error) {
	if d.socks == nil {
		if d.httpProxy != nil {
			return nil, errors.New("only HTTP and HTTPS go through an HTTP proxy")
		}
		return d.direct.DialContext(ctx, "tcp", hostport)
	}
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		return nil, err
	}
	addrs, err := d.resolve(ctx, host)
	if err != nil {
		return nil, err
	}
	var last error
	for _, a := range addrs {
		c, err := d.socks.DialContext(ctx, "tcp", net.JoinHostPort(a.String(), port))
		if err == nil {
			return &remoteConn{Conn: c, remote: netip.AddrPortFrom(a, portNum(port))}, nil
		}
		last = err
	}
	return nil, last
}

// dialProxy connects to the HTTP proxy (the transport asks for nothing else).
func (d *dialer) dialProxy(ctx context.Context, network, addr string) (net.Conn, error) {
	if d.httpProxy == nil || addr != canonicalHostPort(d.httpProxy) {
		return nil, fmt.Errorf("%w: %s is not the proxy", ErrDenied, addr)
	}
	return d.plain.DialContext(ctx, network, addr)
}

func canonicalHostPort(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = "80"
	}
	return net.JoinHostPort(u.Hostname(), port)
}

func portNum(s string) uint16 {
	n, _ := strconv.ParseUint(s, 10, 16)
	return uint16(n)
}

// remoteConn reports the destination behind a proxy as its remote address.
type remoteConn struct {
	net.Conn
	remote netip.AddrPort
}

func (c *remoteConn) RemoteAddr() net.Addr { return net.TCPAddrFromAddrPort(c.remote) }

// idleConn moves its read and write deadlines on before every read and
// write, so a peer that stops sending (or sends a byte a minute) is cut
// off after idle, and never past the attempt's end.
type idleConn struct {
	net.Conn
	idle time.Duration
	end  time.Time
}

func (c *idleConn) deadline() time.Time {
	t := time.Now().Add(c.idle)
	if !c.end.IsZero() && c.end.Before(t) {
		return c.end
	}
	return t
}

func (c *idleConn) Read(b []byte) (int, error) {
	c.Conn.SetReadDeadline(c.deadline())
	return c.Conn.Read(b)
}

func (c *idleConn) Write(b []byte) (int, error) {
	c.Conn.SetWriteDeadline(c.deadline())
	return c.Conn.Write(b)
}
