package rules

import (
	"net/netip"
	"sync"
)

// flowWords is the size in 64-bit words of one flow's flowbit set.
const flowWords = maxFlowbits / 64

// probe is how many slots a lookup examines before it evicts the least
// recently used of them.
const probe = 8

// State keeps what rules remember across packets: flowbits per flow or
// session id, and threshold / detection_filter counters per rule and
// tracked address. Both tables are fixed-size: when full, the least
// recently used entry near the new key is evicted (so a flood of flows
// costs old flows their bits, never memory). Safe for concurrent use.
type State struct {
	mu    sync.Mutex
	tick  uint64
	flows []flowEntry
	thr   []thrEntry
	// noThr: thresholds are not applied (NewFlowbitState).
	noThr bool
}

type flowEntry struct {
	key  uint64
	used uint64
	bits [flowWords]uint64
}

type thrEntry struct {
	rule  int32
	a, b  netip.Addr
	used  uint64
	start int64 // window start, Unix nanoseconds
	count uint32
	valid bool
}

// NewState returns a state with room for flows flow ids and counters
// threshold counters (each rounded up to a power of two, at least 16).
func NewState(flows, counters int) *State {
	return &State{flows: make([]flowEntry, pow2(flows)), thr: make([]thrEntry, pow2(counters))}
}

// NewFlowbitState returns a state that keeps flowbits only, for flows
// flow ids: the rules' threshold and detection_filter are not applied
// (every match alerts), as without a state.
func NewFlowbitState(flows int) *State {
	return &State{flows: make([]flowEntry, pow2(flows)), noThr: true}
}

func pow2(n int) int {
	p := 16
	for p < n && p < 1<<26 {
		p <<= 1
	}
	return p
}

func mix(x uint64) uint64 {
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	x *= 0xc4ceb9fe1a85ec53
	x ^= x >> 33
	return x
}

// flow returns the entry of key, creating it (evicting) when absent. Call
// with mu held. key 0 is never stored.
func (s *State) flow(key uint64) *flowEntry {
	s.tick++
	mask := uint64(len(s.flows) - 1)
	h := mix(key)
	var victim *flowEntry
	for i := uint64(0); i < probe; i++ {
		e := &s.flows[(h+i)&mask]
		if e.key == key {
			e.used = s.tick
			return e
		}
		if victim == nil || e.used < victim.used {
			victim = e
		}
	}
	*victim = flowEntry{key: key, used: s.tick}
	return victim
}

// Forget drops the flowbits of a flow (a session ended).
func (s *State) Forget(flow uint64) {
	if s == nil || flow == 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	mask := uint64(len(s.flows) - 1)
	h := mix(flow)
	for i := uint64(0); i < probe; i++ {
		e := &s.flows[(h+i)&mask]
		if e.key == flow {
			*e = flowEntry{}
		}
	}
}

// counter returns the threshold entry of (rule, a, b). Call with mu held.
func (s *State) counter(rule int32, a, b netip.Addr) *thrEntry {
	s.tick++
	mask := uint64(len(s.thr) - 1)
	h := mix(uint64(rule)<<32 ^ addrHash(a) ^ addrHash(b)*31)
	var victim *thrEntry
	for i := uint64(0); i < probe; i++ {
		e := &s.thr[(h+i)&mask]
		if e.valid && e.rule == rule && e.a == a && e.b == b {
			e.used = s.tick
			return e
		}
		if victim == nil || !e.valid || (victim.valid && e.used < victim.used) {
			victim = e
		}
	}
	*victim = thrEntry{rule: rule, a: a, b: b, used: s.tick, valid: true}
	return victim
}

func addrHash(a netip.Addr) uint64 {
	b := a.As16()
	var x uint64
	for i := 0; i < 16; i += 8 {
		x = x*0x9e3779b97f4a7c15 ^ (uint64(b[i])<<56 | uint64(b[i+1])<<48 | uint64(b[i+2])<<40 | uint64(b[i+3])<<32 |
			uint64(b[i+4])<<24 | uint64(b[i+5])<<16 | uint64(b[i+6])<<8 | uint64(b[i+7]))
	}
	return x
}

// allow applies a rule's threshold to one match at time now (Unix
// nanoseconds) and reports whether it alerts. Semantics as in Suricata:
//
//   - limit: the first count matches of each window alert.
//   - threshold: every count-th match within a window alerts.
//   - both: the count-th match of a window alerts, once.
//   - detection_filter: every match after the first count of a window.
//
// The window starts at the first match and lasts seconds.
func (s *State) allow(t *threshold, rule int32, src, dst netip.Addr, now int64) bool {
	if s.noThr {
		return true
	}
	var a, b netip.Addr
	switch t.track {
	case 's':
		a = src
	case 'd':
		a = dst
	case 'b':
		a, b = src, dst
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.counter(rule, a, b)
	win := int64(t.seconds) * 1e9
	if e.count == 0 || now-e.start >= win || now < e.start {
		e.start, e.count = now, 0
	}
	e.count++
	switch t.kind {
	case 'l':
		return e.count <= t.count
	case 't':
		if e.count >= t.count {
			e.count = 0
			e.start = now
			return true
		}
		return false
	case 'b':
		return e.count == t.count
	case 'd':
		return e.count > t.count
	}
	return true
}
