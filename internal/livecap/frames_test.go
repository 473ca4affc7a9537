package livecap

import (
	"encoding/binary"
	"net/netip"

	"github.com/honeyscope/honeyscope/internal/classify"
)

// synFrame builds an Ethernet frame holding a TCP SYN from src to dst with
// the given sequence number and (IPv4) IP ID.
func synFrame(src, dst netip.Addr, dport uint16, seq uint32, id uint16) []byte {
	tcp := make([]byte, 20)
	binary.BigEndian.PutUint16(tcp[0:], 40000)
	binary.BigEndian.PutUint16(tcp[2:], dport)
	binary.BigEndian.PutUint32(tcp[4:], seq)
	tcp[12] = 5 << 4
	tcp[13] = 0x02 // SYN
	binary.BigEndian.PutUint16(tcp[14:], 1024)
	f := make([]byte, 14, 14+40+len(tcp))
	copy(f[0:6], []byte{0x02, 0, 0, 0, 0, 0xbb})
	copy(f[6:12], []byte{0x02, 0, 0, 0, 0, 0xaa})
	if src.Is4() {
		binary.BigEndian.PutUint16(f[12:], 0x0800)
		ip := make([]byte, 20)
		ip[0] = 0x45
		binary.BigEndian.PutUint16(ip[2:], uint16(20+len(tcp)))
		binary.BigEndian.PutUint16(ip[4:], id)
		ip[8], ip[9] = 64, 6
		s, d := src.As4(), dst.As4()
		copy(ip[12:], s[:])
		copy(ip[16:], d[:])
		var sum uint32
		for i := 0; i < 20; i += 2 {
			sum += uint32(binary.BigEndian.Uint16(ip[i:]))
		}
		for sum > 0xffff {
			sum = sum>>16 + sum&0xffff
		}
		binary.BigEndian.PutUint16(ip[10:], ^uint16(sum))
		f = append(f, ip...)
	} else {
		binary.BigEndian.PutUint16(f[12:], 0x86dd)
		ip := make([]byte, 40)
		ip[0] = 0x60
		binary.BigEndian.PutUint16(ip[4:], uint16(len(tcp)))
		ip[6], ip[7] = 6, 64
		s, d := src.As16(), dst.As16()
		copy(ip[8:], s[:])
		copy(ip[24:], d[:])
		f = append(f, ip...)
	}
	return append(f, tcp...)
}

// mix is a set of frames to one sensor address with the number of
// packets of each class it holds.
type mix struct {
	frames [][]byte
	want   [classify.NumClasses]uint64
}

// trafficTo builds n of each kind of SYN to dst (IPv4) and dst6: Mirai
// (seq == dst), ZMap (IP ID 54321), plain, and IPv6 plain.
func trafficTo(dst, dst6 netip.Addr, n int) mix {
	var m mix
	src := netip.MustParseAddr("198.51.100.7")
	src6 := netip.MustParseAddr("2001:db8:bad::7")
	d4 := binary.BigEndian.Uint32(dst.AsSlice())
	for i := 0; i < n; i++ {
		m.frames = append(m.frames,
			synFrame(src, dst, 23, d4, uint16(1000+i)),
			synFrame(src, dst, 80, 77777+uint32(i), 54321),
			synFrame(src, dst, 22, 123456+uint32(i), 4242),
			synFrame(src6, dst6, 23, d4, 0))
	}
	m.want[classify.Access] = uint64(4 * n)
	m.want[classify.Mirai] = uint64(n)
	m.want[classify.ZMap] = uint64(n)
	return m
}
