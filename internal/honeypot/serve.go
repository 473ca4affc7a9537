package honeypot

import (
	"errors"
	"net"
	"net/netip"
	"time"

	"github.com/honeyscope/honeyscope/internal/honeypot/guard"
	"github.com/honeyscope/honeyscope/internal/session"
)

// accept runs l's accept loop until the listener is closed.
func (c *Component) accept(l *listener) {
	defer c.accepting.Done()
	var backoff time.Duration
	for {
		nc, err := l.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// Out of file descriptors and the like: wait and retry.
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			c.log.Warn("accept failed", "addr", l.ln.Addr().String(), "err", err, "retry_in", backoff)
			time.Sleep(backoff)
			continue
		}
		backoff = 0
		c.handle(l, nc)
	}
}

func addrPort(a net.Addr) netip.AddrPort {
	if t, ok := a.(*net.TCPAddr); ok {
		ap := t.AddrPort()
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	}
	ap, _ := netip.ParseAddrPort(a.String())
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}

// reset closes nc with a TCP reset (SO_LINGER 0).
func reset(nc net.Conn) {
	if t, ok := nc.(*net.TCPConn); ok {
		_ = t.SetLinger(0)
	}
	nc.Close()
}

// handle decides what an accepted connection gets: filtered, refused over
// a limit, or served by the listener's front end on its own goroutine.
func (c *Component) handle(l *listener, nc net.Conn) {
	src := addrPort(nc.RemoteAddr())
	dst := addrPort(nc.LocalAddr())
	port := dst.Port()
	if l.sp.redirect {
		if p, ok := originalPort(nc); ok {
			port = p
		}
	}
	c.m.connections.WithLabelValues(l.sp.service).Inc()
	hdr := session.Session{
		Sensor: c.s.cfg.Name, Service: l.sp.service, Port: port,
		Src: src.Addr(), SrcPort: src.Port(), Dst: dst.Addr(),
	}
	if c.deps.Locate != nil {
		hdr.Country = c.deps.Locate(hdr.Src).Country
	}
	if l.allow != nil && !l.allow[hdr.Country] {
		c.m.refused.WithLabelValues("filtered").Inc()
		hdr.Filtered = true
		rec := c.hub.Open(hdr, c.s.limits)
		if c.s.refuse {
			reset(nc)
		} else {
			nc.Close()
		}
		rec.Close("refused")
		return
	}
	if why := c.lim.acquire(hdr.Src); why != "" {
		c.m.refused.WithLabelValues(why).Inc()
		reset(nc)
		return
	}
	rec := c.hub.Open(hdr, c.s.limits)
	c.serving.Add(1)
	go c.serve(l.h, nc, rec)
}

// serve runs a front end on one connection and ends the session.
func (c *Component) serve(h Handler, nc net.Conn, rec *session.Recorder) {
	g := guard.Wrap(c.ctx, nc, rec)
	reason := "error"
	defer func() {
		if p := recover(); p != nil {
			c.m.panics.Inc()
			hdr := rec.Header()
			c.log.Error("front end panicked", "service", hdr.Service, "session", hdr.ID, "panic", p)
			reason = "error"
		}
		g.Close()
		rec.Close(reason)
		c.lim.release(rec.Header().Src)
		c.serving.Done()
	}()
	reason = h.Serve(c.ctx, g, rec)
	// A limit the connection hit names the end better than whatever
	// error the front end saw on its way out.
	if err := g.Limit(); err != nil && (reason == "" || reason == "closed") {
		reason = guard.Reason(err)
	}
	if reason == "" {
		reason = "closed"
	}
}
