package honeypot

import (
	"net"
	"unsafe"

	"golang.org/x/sys/unix"
)

// soOriginalDst is SO_ORIGINAL_DST (linux/netfilter_ipv4.h) and
// IP6T_SO_ORIGINAL_DST (linux/netfilter_ipv6/ip6_tables.h): both 80.
const soOriginalDst = 80

// originalPort returns the destination port a connection had before a
// netfilter redirect (SO_ORIGINAL_DST), or ok false when the kernel does
// not know one (no conntrack entry, not redirected).
func originalPort(c net.Conn) (port uint16, ok bool) {
	tc, isTCP := c.(*net.TCPConn)
	if !isTCP {
		return 0, false
	}
	la, isAddr := tc.LocalAddr().(*net.TCPAddr)
	if !isAddr {
		return 0, false
	}
	raw, err := tc.SyscallConn()
	if err != nil {
		return 0, false
	}
	v4 := la.IP.To4() != nil
	cerr := raw.Control(func(fd uintptr) {
		if v4 {
			// struct sockaddr_in fits the 20 bytes of an ipv6_mreq.
			m, err := unix.GetsockoptIPv6Mreq(int(fd), unix.SOL_IP, soOriginalDst)
			if err != nil || uint16(m.Multiaddr[0])|uint16(m.Multiaddr[1])<<8 != unix.AF_INET {
				return
			}
			port, ok = uint16(m.Multiaddr[2])<<8|uint16(m.Multiaddr[3]), true
			return
		}
		// struct sockaddr_in6 (28 bytes) fits an ip6_mtuinfo (32).
		info, err := unix.GetsockoptIPv6MTUInfo(int(fd), unix.SOL_IPV6, soOriginalDst)
		if err != nil || info.Addr.Family != unix.AF_INET6 {
			return
		}
		p := (*[2]byte)(unsafe.Pointer(&info.Addr.Port))
		port, ok = uint16(p[0])<<8|uint16(p[1]), true
	})
	if cerr != nil || port == 0 {
		return 0, false
	}
	return port, ok
}
