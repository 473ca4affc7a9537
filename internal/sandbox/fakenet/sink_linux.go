package fakenet

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/netip"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// transparent marks a socket IP_TRANSPARENT (so a TPROXY rule may hand it
// connections for any address) and asks for the original destination of
// datagrams.
func transparent(network, address string, c syscall.RawConn) error {
	var serr error
	err := c.Control(func(fd uintptr) {
		v6 := network == "tcp6" || network == "udp6"
		if v6 {
			serr = unix.SetsockoptInt(int(fd), unix.SOL_IPV6, unix.IPV6_TRANSPARENT, 1)
			if serr == nil && network == "udp6" {
				serr = unix.SetsockoptInt(int(fd), unix.SOL_IPV6, unix.IPV6_RECVORIGDSTADDR, 1)
			}
		} else {
			serr = unix.SetsockoptInt(int(fd), unix.SOL_IP, unix.IP_TRANSPARENT, 1)
			if serr == nil && network == "udp4" {
				serr = unix.SetsockoptInt(int(fd), unix.SOL_IP, unix.IP_RECVORIGDSTADDR, 1)
			}
		}
	})
	if err != nil {
		return err
	}
	return serr
}

// ListenTransparent opens a transparent TCP listener ("tcp4" or "tcp6")
// on addr, for a TPROXY rule to send connections to.
func ListenTransparent(network, addr string) (net.Listener, error) {
	lc := net.ListenConfig{Control: transparent}
	return lc.Listen(context.Background(), network, addr)
}

// ListenTransparentUDP opens a transparent UDP socket ("udp4" or "udp6")
// on addr that learns each datagram's original destination.
func ListenTransparentUDP(network, addr string) (*net.UDPConn, error) {
	lc := net.ListenConfig{Control: transparent}
	pc, err := lc.ListenPacket(context.Background(), network, addr)
	if err != nil {
		return nil, err
	}
	return pc.(*net.UDPConn), nil
}

// TCPSink accepts every connection a listener is handed, records its
// original destination (the connection's local address: TPROXY keeps it),
// sends the scripted answer for its port, and reads what the sample sends
// (bounded) until it closes or ConnTimeout.
type TCPSink struct {
	Rec    *Recorder
	Script Script
}

// Serve accepts on l until it is closed.
func (s *TCPSink) Serve(l net.Listener) error {
	sem := make(chan struct{}, MaxConns)
	for {
		c, err := l.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return err
		}
		select {
		case sem <- struct{}{}:
			go func() {
				defer func() { <-sem }()
				s.serve(c)
			}()
		default:
			s.Rec.Add(Event{Kind: KindTCP, Src: addrPort(c.RemoteAddr()), Dst: addrPort(c.LocalAddr())})
			c.Close()
		}
	}
}

func (s *TCPSink) serve(c net.Conn) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(ConnTimeout))
	e := Event{Kind: KindTCP, Src: addrPort(c.RemoteAddr()), Dst: addrPort(c.LocalAddr()), Time: time.Now().UTC()}
	if ans, ok := s.Script[e.Dst.Port()]; ok {
		_, _ = c.Write(ans)
	}
	head := make([]byte, HeadSize)
	n, _ := io.ReadFull(c, head)
	e.Head = head[:n]
	rest, _ := io.Copy(io.Discard, io.LimitReader(c, ReadLimit-int64(n)))
	e.Bytes = n + int(rest)
	s.Rec.Add(e)
}

// UDPSink records every datagram a transparent UDP socket receives.
type UDPSink struct {
	Rec *Recorder
}

// Serve reads from c until it is closed.
func (s *UDPSink) Serve(c *net.UDPConn) error {
	buf := make([]byte, 65536)
	oob := make([]byte, 256)
	for {
		n, oobn, _, from, err := c.ReadMsgUDPAddrPort(buf, oob)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return nil
			}
			continue
		}
		dst := origDst(oob[:oobn])
		src := netip.AddrPortFrom(from.Addr().Unmap(), from.Port())
		s.Rec.Add(Event{Kind: KindUDP, Src: src, Dst: dst, Bytes: n, Head: append([]byte(nil), buf[:min(n, HeadSize)]...)})
	}
}

// origDst reads IP_ORIGDSTADDR or IPV6_ORIGDSTADDR from control messages.
func origDst(oob []byte) netip.AddrPort {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return netip.AddrPort{}
	}
	for _, m := range msgs {
		d := m.Data
		switch {
		case m.Header.Level == unix.SOL_IP && m.Header.Type == unix.IP_ORIGDSTADDR && len(d) >= 8:
			a := netip.AddrFrom4([4]byte(d[4:8]))
			return netip.AddrPortFrom(a, binary.BigEndian.Uint16(d[2:4]))
		case m.Header.Level == unix.SOL_IPV6 && m.Header.Type == unix.IPV6_ORIGDSTADDR && len(d) >= 24:
			a := netip.AddrFrom16([16]byte(d[8:24])).Unmap()
			return netip.AddrPortFrom(a, binary.BigEndian.Uint16(d[2:4]))
		}
	}
	return netip.AddrPort{}
}
