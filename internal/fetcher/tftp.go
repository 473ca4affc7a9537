package fetcher

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"time"
)

// TFTP (RFC 1350): a read request in octet mode, 512-byte blocks, each
// acknowledged; the server answers from a port of its own (its TID), which
// the transfer then sticks to. Written by hand because the protocol is
// small and every bound must be the fetcher's: the content size, the time
// without a new block, the number of stray or out-of-order packets.

// TFTP opcodes.
const (
	tftpRRQ   = 1
	tftpDATA  = 3
	tftpACK   = 4
	tftpERROR = 5
)

const (
	tftpBlock = 512
	// tftpMaxStray bounds packets that are not the next block (duplicates,
	// out-of-order blocks, other sources) before the transfer is given up.
	tftpMaxStray = 64
	// tftpMaxName bounds the file name of a read request.
	tftpMaxName = 255
	// tftpRetransmit is the longest wait before a request or ACK is sent again.
	tftpRetransmit = 2 * time.Second
)

// tftpPacket is a parsed TFTP packet.
type tftpPacket struct {
	op    uint16
	block uint16
	data  []byte // DATA payload, or ERROR message
}

// parseTFTP reads a packet the client may receive (DATA or ERROR; others
// are returned with their opcode only). It never panics.
func parseTFTP(b []byte) (tftpPacket, error) {
	if len(b) < 4 {
		return tftpPacket{}, fmt.Errorf("%w: TFTP packet of %d bytes", ErrProtocol, len(b))
	}
	p := tftpPacket{op: binary.BigEndian.Uint16(b), block: binary.BigEndian.Uint16(b[2:])}
	switch p.op {
	case tftpDATA:
		if len(b)-4 > tftpBlock {
			return p, fmt.Errorf("%w: TFTP block of %d bytes", ErrProtocol, len(b)-4)
		}
		p.data = b[4:]
	case tftpERROR:
		msg := b[4:]
		if i := bytes.IndexByte(msg, 0); i >= 0 {
			msg = msg[:i]
		}
		p.data = msg[:min(len(msg), 256)]
	}
	return p, nil
}

func tftpRequest(name string) []byte {
	b := []byte{0, tftpRRQ}
	b = append(b, name...)
	b = append(b, 0)
	b = append(b, "octet"...)
	return append(b, 0)
}

func tftpAck(block uint16) []byte { return []byte{0, tftpACK, byte(block >> 8), byte(block)} }

func tftpError(code uint16, msg string) []byte {
	b := []byte{0, tftpERROR, byte(code >> 8), byte(code)}
	return append(append(b, msg...), 0)
}

func (c *Client) fetchTFTP(ctx context.Context, u *url.URL, r *Result) {
	name := strings.TrimPrefix(u.Path, "/")
	if u.Opaque != "" {
		name = u.Opaque
	}
	if name == "" || len(name) > tftpMaxName || strings.IndexByte(name, 0) >= 0 {
		r.Err = fmt.Errorf("%w: TFTP file name of %d bytes", ErrBadURL, len(name))
		return
	}
	addrs, err := c.dial.resolve(ctx, u.Hostname())
	if err != nil {
		r.Err = err
		r.Temporary = !errIsDenied(err)
		return
	}
	port := uint16(69)
	if p := u.Port(); p != "" {
		port = portNum(p)
	}
	server := netip.AddrPortFrom(addrs[0], port)
	network, local := "udp4", "0.0.0.0:0"
	if server.Addr().Is6() {
		network, local = "udp6", "[::]:0"
	}
	if c.cfg.SourceAddr.IsValid() {
		local = netip.AddrPortFrom(c.cfg.SourceAddr, 0).String()
	}
	lc := net.ListenConfig{Control: c.guard.control(c.cfg.Interface, false)}
	pc, err := lc.ListenPacket(ctx, network, local)
	if err != nil {
		r.Err = fmt.Errorf("tftp: %w", err)
		return
	}
	defer pc.Close()
	conn := pc.(*net.UDPConn)
	r.Server = server.String()
	content, err := c.tftpTransfer(ctx, conn, server, name, r)
	if err != nil {
		r.Err = err
		return
	}
	r.Content = content
}

// tftpTransfer runs the read request on conn.
func (c *Client) tftpTransfer(ctx context.Context, conn *net.UDPConn, server netip.AddrPort, name string, r *Result) ([]byte, error) {
	end, _ := ctx.Deadline()
	rto := min(tftpRetransmit, max(c.cfg.Idle/4, 50*time.Millisecond))
	last := tftpRequest(name) // what is sent again on a timeout
	if _, err := conn.WriteToUDPAddrPort(last, server); err != nil {
		r.Temporary = true
		return nil, fmt.Errorf("tftp: %w", err)
	}
	var (
		tid      netip.AddrPort // the server's transfer port, once known
		expect   = uint16(1)
		buf      = make([]byte, tftpBlock+4+1)
		out      = &limitedBuffer{max: c.cfg.MaxBytes}
		stray    int
		progress = time.Now()
	)
	for {
		if ctx.Err() != nil {
			r.Temporary = true
			return nil, fmt.Errorf("tftp: %w", ctx.Err())
		}
		if time.Since(progress) > c.cfg.Idle {
			r.Temporary = true
			return nil, fmt.Errorf("tftp: no block %d for %s", expect, c.cfg.Idle)
		}
		dl := time.Now().Add(rto)
		if !end.IsZero() && end.Before(dl) {
			dl = end
		}
		conn.SetReadDeadline(dl)
		n, from, err := conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				dst := server
				if tid.IsValid() {
					dst = tid
				}
				conn.WriteToUDPAddrPort(last, dst)
				continue
			}
			return nil, fmt.Errorf("tftp: %w", err)
		}
		from = netip.AddrPortFrom(from.Addr().Unmap(), from.Port())
		if from.Addr() != server.Addr() || tid.IsValid() && from != tid {
			// Another host or port: RFC 1350 says answer it with an
			// error and carry on.
			conn.WriteToUDPAddrPort(tftpError(5, "unknown transfer ID"), from)
			if stray++; stray > tftpMaxStray {
				return nil, fmt.Errorf("%w: TFTP: %d stray packets", ErrProtocol, stray)
			}
			continue
		}
		p, err := parseTFTP(buf[:n])
		if err != nil {
			return nil, err
		}
		switch p.op {
		case tftpERROR:
			return nil, fmt.Errorf("%w: TFTP error %d: %q", ErrStatus, p.block, strings.ToValidUTF8(string(p.data), "?"))
		case tftpDATA:
		default:
			return nil, fmt.Errorf("%w: TFTP opcode %d", ErrProtocol, p.op)
		}
		if !tid.IsValid() {
			tid = from
			r.Server = tid.String()
		}
		if p.block != expect {
			// A duplicate (our ACK was lost: acknowledge it again) or a
			// block out of order (ignored; the server sends it again).
			if p.block == expect-1 {
				conn.WriteToUDPAddrPort(tftpAck(p.block), tid)
			}
			if stray++; stray > tftpMaxStray {
				return nil, fmt.Errorf("%w: TFTP: %d duplicate or out-of-order blocks", ErrProtocol, stray)
			}
			continue
		}
		if _, err := out.Write(p.data); err != nil {
			r.Size = out.n
			conn.WriteToUDPAddrPort(tftpError(3, "too large"), tid)
			return nil, fmt.Errorf("%w (%d bytes)", ErrTooLarge, c.cfg.MaxBytes)
		}
		r.Size = out.n
		progress = time.Now()
		last = tftpAck(p.block)
		conn.WriteToUDPAddrPort(last, tid)
		if len(p.data) < tftpBlock {
			if out.buf == nil {
				return []byte{}, nil
			}
			return out.buf, nil
		}
		expect++
	}
}
