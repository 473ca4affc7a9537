package honeypot

import (
	"net/netip"
	"sync"
)

// limiter bounds concurrent connections, in all and per source address.
type limiter struct {
	max, perSource int

	mu    sync.Mutex
	total int
	per   map[netip.Addr]int
}

func newLimiter(max, perSource int) *limiter {
	return &limiter{max: max, perSource: perSource, per: map[netip.Addr]int{}}
}

// acquire takes a slot for src; it returns "" or the reason it was refused
// ("global", "per_source").
func (l *limiter) acquire(src netip.Addr) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.total >= l.max {
		return "global"
	}
	if l.per[src] >= l.perSource {
		return "per_source"
	}
	l.total++
	l.per[src]++
	return ""
}

// release returns src's slot.
func (l *limiter) release(src netip.Addr) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.total--
	if n := l.per[src] - 1; n > 0 {
		l.per[src] = n
	} else {
		delete(l.per, src)
	}
}

// count returns the connections held.
func (l *limiter) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.total
}
