package sandbox

import (
	"encoding/binary"
	"net"
	"net/netip"
	"os"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// Capture bounds.
const (
	snapLen = 65535
	// MaxPcapBytes bounds the pcap a run writes.
	MaxPcapBytes = 256 << 20
)

// capture reads what the loopback interface of the sandbox's network
// namespace transmits (AF_PACKET, outgoing frames only: every frame on lo
// is seen once leaving and once arriving) and writes it to a pcap,
// leaving out the fake world's answers to the sample (frames to the
// sample's address from another).
type capture struct {
	fd       int
	out      *os.File
	sample4  netip.Addr
	sample6  netip.Addr
	written  int64
	packets  atomic.Int64
	dropped  atomic.Int64
	done     chan struct{}
	stopping atomic.Bool
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

func startCapture(out *os.File, sample4, sample6 netip.Addr) (*capture, error) {
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, int(htons(unix.ETH_P_ALL)))
	if err != nil {
		return nil, err
	}
	lo, err := net.InterfaceByName("lo")
	if err != nil {
		unix.Close(fd)
		return nil, err
	}
	if err := unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL), Ifindex: lo.Index}); err != nil {
		unix.Close(fd)
		return nil, err
	}
	_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, 8<<20)
	tv := unix.Timeval{Usec: 100000}
	_ = unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
	c := &capture{fd: fd, out: out, sample4: sample4, sample6: sample6, done: make(chan struct{})}
	var hdr [24]byte
	binary.LittleEndian.PutUint32(hdr[0:], 0xa1b2c3d4)
	binary.LittleEndian.PutUint16(hdr[4:], 2)
	binary.LittleEndian.PutUint16(hdr[6:], 4)
	binary.LittleEndian.PutUint32(hdr[16:], snapLen)
	binary.LittleEndian.PutUint32(hdr[20:], 1) // LINKTYPE_ETHERNET: lo has Ethernet headers
	if _, err := out.Write(hdr[:]); err != nil {
		unix.Close(fd)
		return nil, err
	}
	c.written = 24
	go c.loop()
	return c, nil
}

func (c *capture) loop() {
	defer close(c.done)
	buf := make([]byte, snapLen+16)
	rec := make([]byte, 16, 16+snapLen)
	for {
		n, from, err := unix.Recvfrom(c.fd, buf, 0)
		if err != nil {
			if err == unix.EINTR || err == unix.EAGAIN {
				if c.stopping.Load() {
					return
				}
				continue
			}
			return
		}
		ll, ok := from.(*unix.SockaddrLinklayer)
		if !ok || ll.Pkttype != unix.PACKET_OUTGOING || !c.keep(buf[:n]) {
			continue
		}
		if c.written+16+int64(n) > MaxPcapBytes {
			c.dropped.Add(1)
			continue
		}
		now := time.Now()
		binary.LittleEndian.PutUint32(rec[0:], uint32(now.Unix()))
		binary.LittleEndian.PutUint32(rec[4:], uint32(now.Nanosecond()/1000))
		binary.LittleEndian.PutUint32(rec[8:], uint32(n))
		binary.LittleEndian.PutUint32(rec[12:], uint32(n))
		rec = append(rec[:16], buf[:n]...)
		if _, err := c.out.Write(rec); err != nil {
			return
		}
		c.written += int64(len(rec))
		c.packets.Add(1)
	}
}

// keep reports whether an Ethernet frame is the sample's: not an answer
// of the fake world (to the sample's address from another).
func (c *capture) keep(f []byte) bool {
	if len(f) < 14 {
		return false
	}
	switch binary.BigEndian.Uint16(f[12:14]) {
	case 0x0800:
		if len(f) < 34 {
			return true
		}
		src, dst := netip.AddrFrom4([4]byte(f[26:30])), netip.AddrFrom4([4]byte(f[30:34]))
		return !(dst == c.sample4 && src != c.sample4)
	case 0x86dd:
		if len(f) < 54 {
			return true
		}
		src, dst := netip.AddrFrom16([16]byte(f[22:38])), netip.AddrFrom16([16]byte(f[38:54]))
		return !(dst == c.sample6 && src != c.sample6)
	}
	return true
}

// stop ends the capture once the frames already queued are read.
func (c *capture) stop() {
	c.stopping.Store(true)
	select {
	case <-c.done:
	case <-time.After(2 * time.Second):
	}
	unix.Close(c.fd)
}
