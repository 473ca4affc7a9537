//go:build linux

package nflogsrc

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// readBufSize holds the largest datagram the kernel sends: a batch of at
// most 128 KiB, or one message of a 64 KiB packet with its attributes.
const readBufSize = 256 << 10

// Netfilter netlink constants (linux/netfilter/nfnetlink_log.h).
const (
	msgPacket = unix.NFNL_SUBSYS_ULOG<<8 | 0 // NFULNL_MSG_PACKET
	msgConfig = unix.NFNL_SUBSYS_ULOG<<8 | 1 // NFULNL_MSG_CONFIG

	attrCfgCmd      = 1 // NFULA_CFG_CMD
	attrCfgMode     = 2 // NFULA_CFG_MODE
	attrCfgNLBufSiz = 3 // NFULA_CFG_NLBUFSIZ
	attrCfgTimeout  = 4 // NFULA_CFG_TIMEOUT
	attrCfgQThresh  = 5 // NFULA_CFG_QTHRESH
	attrCfgFlags    = 6 // NFULA_CFG_FLAGS

	cmdBind     = 1      // NFULNL_CFG_CMD_BIND
	copyPacket  = 2      // NFULNL_COPY_PACKET
	flagSeq     = 0x0001 // NFULNL_CFG_F_SEQ
	attrTypeMax = 0x3fff // attribute type without NLA_F_NESTED / NLA_F_NET_BYTEORDER

	attrPacketHdr = 1  // NFULA_PACKET_HDR
	attrTimestamp = 3  // NFULA_TIMESTAMP
	attrPayload   = 9  // NFULA_PAYLOAD
	attrSeq       = 12 // NFULA_SEQ

	nfgenLen = 4 // struct nfgenmsg
	nlaLen   = 4 // struct nlattr
)

// Source is a bound NFLOG group. Run delivers its packets; Stats and Close
// may be called from any goroutine.
type Source struct {
	group uint16
	file  *os.File
	buf   []byte

	// Set by readOnce, read by Run.
	n     int
	rerr  unix.Errno
	readF func(fd uintptr) bool

	seqSeen bool
	nextSeq uint32

	messages, delivered, skipped, lost, overruns, errs atomic.Uint64

	closeOnce sync.Once
	closeErr  error
	closed    atomic.Bool
}

// Open binds NFLOG group with a socket receive buffer of bufsize bytes
// (0: DefaultRcvBuf) and the other options at their defaults.
func Open(group uint16, bufsize int) (*Source, error) {
	return OpenOptions(group, Options{RcvBuf: bufsize})
}

// OpenOptions binds NFLOG group with the given options. It fails when the
// group is bound by another socket (EPERM, or EBUSY from the same one),
// when the kernel lacks NFLOG support, or without CAP_NET_ADMIN (EPERM).
func OpenOptions(group uint16, o Options) (*Source, error) {
	if o.RcvBuf <= 0 {
		o.RcvBuf = DefaultRcvBuf
	}
	if o.CopyRange == 0 {
		o.CopyRange = 0xffff
	}
	if o.NLBufSize == 0 {
		o.NLBufSize = DefaultNLBufSize
	}
	if o.QThreshold == 0 {
		o.QThreshold = DefaultQThreshold
	}
	if o.Flush <= 0 {
		o.Flush = DefaultFlush
	}
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_NETFILTER)
	if err != nil {
		return nil, fmt.Errorf("nflog: netlink socket: %w", err)
	}
	ok := false
	defer func() {
		if !ok {
			unix.Close(fd)
		}
	}()
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return nil, fmt.Errorf("nflog: bind netlink socket: %w", err)
	}
	if unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, o.RcvBuf) != nil {
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, o.RcvBuf); err != nil {
			return nil, fmt.Errorf("nflog: receive buffer: %w", err)
		}
	}
	// The acknowledgement is awaited with a timeout so that Open cannot
	// hang; the socket is made non-blocking afterwards for the poller.
	tv := unix.NsecToTimeval(int64(5 * time.Second))
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		return nil, fmt.Errorf("nflog: receive timeout: %w", err)
	}
	if err := configure(fd, group, o); err != nil {
		return nil, err
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		return nil, fmt.Errorf("nflog: non-blocking socket: %w", err)
	}
	s := &Source{group: group, buf: make([]byte, readBufSize)}
	s.file = os.NewFile(uintptr(fd), fmt.Sprintf("nflog:%d", group))
	s.readF = s.readOnce
	ok = true
	return s, nil
}

// configRequest builds the one NFULNL_MSG_CONFIG message that binds group
// and sets the copy mode, batch size, flush timeout, queue threshold and
// sequence numbering.
func configRequest(group uint16, seq uint32, o Options) []byte {
	ne := binary.NativeEndian
	b := make([]byte, unix.SizeofNlMsghdr, 128)
	b = append(b, unix.AF_UNSPEC, unix.NFNETLINK_V0)
	b = binary.BigEndian.AppendUint16(b, group)
	attr := func(typ uint16, val []byte) {
		b = ne.AppendUint16(b, uint16(nlaLen+len(val)))
		b = ne.AppendUint16(b, typ)
		b = append(b, val...)
		for len(b)%4 != 0 {
			b = append(b, 0)
		}
	}
	be32 := func(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }
	attr(attrCfgCmd, []byte{cmdBind})
	attr(attrCfgMode, append(be32(uint32(o.CopyRange)), copyPacket, 0))
	attr(attrCfgNLBufSiz, be32(o.NLBufSize))
	attr(attrCfgTimeout, be32(uint32(max(1, o.Flush/(10*time.Millisecond)))))
	attr(attrCfgQThresh, be32(o.QThreshold))
	attr(attrCfgFlags, binary.BigEndian.AppendUint16(nil, flagSeq))
	ne.PutUint32(b[0:], uint32(len(b)))
	ne.PutUint16(b[4:], msgConfig)
	ne.PutUint16(b[6:], unix.NLM_F_REQUEST|unix.NLM_F_ACK)
	ne.PutUint32(b[8:], seq)
	return b
}

// configure sends the configuration request and waits for its
// acknowledgement, skipping any packet message that arrives first.
func configure(fd int, group uint16, o Options) error {
	const seq = 1
	if err := unix.Sendto(fd, configRequest(group, seq, o), 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return fmt.Errorf("nflog: configure group %d: %w", group, err)
	}
	buf := make([]byte, readBufSize)
	for range 64 {
		n, _, err := unix.Recvfrom(fd, buf, 0)
		if err != nil {
			return fmt.Errorf("nflog: configure group %d: no acknowledgement: %w", group, err)
		}
		for m := buf[:n]; len(m) >= unix.SizeofNlMsghdr; {
			l := int(binary.NativeEndian.Uint32(m[0:4]))
			if l < unix.SizeofNlMsghdr || l > len(m) {
				break
			}
			typ := binary.NativeEndian.Uint16(m[4:6])
			if typ == unix.NLMSG_ERROR && binary.NativeEndian.Uint32(m[8:12]) == seq && l >= unix.SizeofNlMsghdr+4 {
				if code := int32(binary.NativeEndian.Uint32(m[16:20])); code != 0 {
					e := unix.Errno(-code)
					if e == unix.EPERM || e == unix.EBUSY {
						// The kernel answers EPERM when another socket
						// holds the group, as well as without privilege.
						return fmt.Errorf("nflog: bind group %d (bound by another listener, or no CAP_NET_ADMIN): %w", group, e)
					}
					return fmt.Errorf("nflog: bind group %d: %w", group, e)
				}
				return nil
			}
			m = m[min(nlmAlign(l), len(m)):]
		}
	}
	return fmt.Errorf("nflog: configure group %d: no acknowledgement", group)
}

func nlmAlign(n int) int { return (n + unix.NLMSG_ALIGNTO - 1) &^ (unix.NLMSG_ALIGNTO - 1) }

// Group returns the NFLOG group the source is bound to.
func (s *Source) Group() uint16 { return s.group }

// Stats returns the counts so far.
func (s *Source) Stats() Stats {
	return Stats{
		Messages: s.messages.Load(), Delivered: s.delivered.Load(), Skipped: s.skipped.Load(),
		Lost: s.lost.Load(), Overruns: s.overruns.Load(), Errors: s.errs.Load(),
	}
}

// Close releases the group and ends Run.
func (s *Source) Close() error {
	s.closeOnce.Do(func() {
		s.closed.Store(true)
		s.closeErr = s.file.Close()
	})
	return s.closeErr
}

// readOnce reads one datagram into s.buf; it returns false to wait for
// the socket to become readable.
func (s *Source) readOnce(fd uintptr) bool {
	// recvfrom with MSG_TRUNC returns the datagram's full length, so that
	// a datagram larger than the buffer is seen; no address is asked for,
	// so nothing is allocated.
	n, _, e := unix.Syscall6(unix.SYS_RECVFROM, fd, uintptr(unsafe.Pointer(&s.buf[0])), uintptr(len(s.buf)), unix.MSG_TRUNC, 0, 0)
	if e == unix.EAGAIN || e == unix.EINTR {
		return false
	}
	s.n, s.rerr = int(n), e
	return true
}

// Run reads packets and passes them to h until ctx is done or Close is
// called, then closes the source and returns nil; it returns an error only
// when reading fails for good. It must not be called twice at once.
func (s *Source) Run(ctx context.Context, h Handler) error {
	rc, err := s.file.SyscallConn()
	if err != nil {
		if s.closed.Load() {
			return nil
		}
		s.Close()
		return fmt.Errorf("nflog: %w", err)
	}
	stop := context.AfterFunc(ctx, func() { s.Close() })
	defer stop()
	defer s.Close()
	for {
		if err := rc.Read(s.readF); err != nil {
			if s.closed.Load() || errors.Is(err, os.ErrClosed) {
				return nil
			}
			return fmt.Errorf("nflog: read: %w", err)
		}
		switch {
		case s.rerr == unix.ENOBUFS:
			s.overruns.Add(1)
			continue
		case s.rerr != 0:
			s.errs.Add(1)
			if s.rerr == unix.EBADF {
				return nil
			}
			continue
		case s.n > len(s.buf):
			s.errs.Add(1)
			continue
		}
		s.parse(s.buf[:s.n], h)
	}
}

// parse walks the netlink messages of one datagram.
func (s *Source) parse(b []byte, h Handler) {
	ne := binary.NativeEndian
	for len(b) >= unix.SizeofNlMsghdr {
		l := int(ne.Uint32(b[0:4]))
		if l < unix.SizeofNlMsghdr || l > len(b) {
			s.errs.Add(1)
			return
		}
		if ne.Uint16(b[4:6]) == msgPacket {
			s.message(b[unix.SizeofNlMsghdr:l], h)
		}
		b = b[min(nlmAlign(l), len(b)):]
	}
}

// message handles one NFULNL_MSG_PACKET body: nfgenmsg, then attributes.
func (s *Source) message(b []byte, h Handler) {
	s.messages.Add(1)
	if len(b) < nfgenLen {
		s.errs.Add(1)
		s.skipped.Add(1)
		return
	}
	fam := b[0]
	var (
		payload   []byte
		hwProto   uint16
		ts        int64
		seq       uint32
		hasSeq    bool
		malformed bool
	)
	ne := binary.NativeEndian
	for a := b[nfgenLen:]; len(a) >= nlaLen; {
		l := int(ne.Uint16(a[0:2]))
		if l < nlaLen || l > len(a) {
			malformed = true
			break
		}
		v := a[nlaLen:l]
		switch ne.Uint16(a[2:4]) & attrTypeMax {
		case attrPacketHdr:
			if len(v) >= 2 {
				hwProto = binary.BigEndian.Uint16(v[0:2])
			}
		case attrTimestamp:
			if len(v) >= 16 {
				sec := binary.BigEndian.Uint64(v[0:8])
				usec := binary.BigEndian.Uint64(v[8:16])
				if sec < 1<<33 && usec < 1e6 {
					ts = int64(sec)*1e9 + int64(usec)*1e3
				}
			}
		case attrPayload:
			payload = v
		case attrSeq:
			if len(v) >= 4 {
				seq, hasSeq = binary.BigEndian.Uint32(v[0:4]), true
			}
		}
		a = a[min((l+3)&^3, len(a)):]
	}
	if malformed {
		s.errs.Add(1)
	}
	if hasSeq {
		if s.seqSeen && seq != s.nextSeq {
			if gap := seq - s.nextSeq; gap < 1<<31 {
				s.lost.Add(uint64(gap))
			}
		}
		s.seqSeen, s.nextSeq = true, seq+1
	}
	fam = ipFamily(fam, hwProto, payload)
	if fam == 0 || len(payload) == 0 {
		s.skipped.Add(1)
		return
	}
	if ts == 0 {
		ts = time.Now().UnixNano()
	}
	s.delivered.Add(1)
	h(ts, fam, payload)
}

// ipFamily returns AF_INET or AF_INET6 for a logged packet, or 0: from
// the message's family for ip/ip6/inet tables, from the hardware protocol
// or the IP version for bridge and netdev ones.
func ipFamily(fam uint8, hwProto uint16, payload []byte) uint8 {
	switch fam {
	case unix.AF_INET, unix.AF_INET6:
		return fam
	}
	switch hwProto {
	case 0x0800:
		return unix.AF_INET
	case 0x86dd:
		return unix.AF_INET6
	}
	if len(payload) > 0 {
		switch payload[0] >> 4 {
		case 4:
			return unix.AF_INET
		case 6:
			return unix.AF_INET6
		}
	}
	return 0
}
