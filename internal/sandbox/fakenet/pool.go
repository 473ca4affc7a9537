package fakenet

import (
	"net/netip"
	"sync"
)

// MaxNames is the number of names a Pool gives addresses of their own;
// later names share the last one.
const MaxNames = 1 << 16

// Pool gives each name asked an address of its own, the same on every
// query: 198.18.0.1 upwards (198.18.0.0/15, the benchmarking range) and
// 2001:db8::1 upwards, so an address the sample contacts names the domain
// it resolved.
type Pool struct {
	mu    sync.Mutex
	names map[string]int
	order []string
}

// NewPool returns an empty pool.
func NewPool() *Pool { return &Pool{names: map[string]int{}} }

// Addrs returns name's IPv4 and IPv6 addresses.
func (p *Pool) Addrs(name string) (netip.Addr, netip.Addr) {
	p.mu.Lock()
	i, ok := p.names[name]
	if !ok {
		if len(p.order) < MaxNames {
			i = len(p.order) + 1
			p.names[name] = i
			p.order = append(p.order, name)
		} else {
			i = MaxNames
		}
	}
	p.mu.Unlock()
	return addr4(i), addr6(i)
}

func addr4(i int) netip.Addr {
	return netip.AddrFrom4([4]byte{198, 18 + byte(i>>16), byte(i >> 8), byte(i)})
}

func addr6(i int) netip.Addr {
	return netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 12: byte(i >> 24), 13: byte(i >> 16), 14: byte(i >> 8), 15: byte(i)})
}

// NameOf returns the name a Pool address was given to ("" when none).
func (p *Pool) NameOf(a netip.Addr) string {
	i := Index(a)
	p.mu.Lock()
	defer p.mu.Unlock()
	if i < 1 || i > len(p.order) {
		return ""
	}
	return p.order[i-1]
}

// Index returns the position a Pool address stands for (0: not one).
func Index(a netip.Addr) int {
	a = a.Unmap()
	if a.Is4() {
		b := a.As4()
		if b[0] != 198 || b[1]&^1 != 18 {
			return 0
		}
		return int(b[1]-18)<<16 | int(b[2])<<8 | int(b[3])
	}
	b := a.As16()
	if b[0] != 0x20 || b[1] != 0x01 || b[2] != 0x0d || b[3] != 0xb8 {
		return 0
	}
	for _, x := range b[4:12] {
		if x != 0 {
			return 0
		}
	}
	return int(b[12])<<24 | int(b[13])<<16 | int(b[14])<<8 | int(b[15])
}
