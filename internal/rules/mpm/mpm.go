// Package mpm is a multi-pattern matcher: an Aho–Corasick automaton compiled
// into a dense DFA over byte classes, for prefiltering thousands of rules by
// their fast-pattern contents in one pass over a buffer.
//
// It generalises the automaton of internal/classify (which holds at most 64
// literals in a bit mask) to any number of patterns, each carrying a caller
// id: Scan reports the ids of the patterns found, each once per scan, into a
// caller-provided slice, and allocates nothing. Letters are folded to lower
// case in the automaton so one DFA serves case-sensitive and case-insensitive
// patterns; case-sensitive hits are re-checked against the buffer.
//
// Patterns longer than MaxPrefix bytes are searched by their first MaxPrefix
// bytes: a prefilter may report candidates that do not match in full (the
// caller evaluates the rule anyway) but never misses one.
package mpm

import (
	"errors"
	"fmt"
)

// MaxPrefix is the number of leading bytes of a pattern the automaton
// searches for.
const MaxPrefix = 16

// MaxStates bounds the automaton.
const MaxStates = 1 << 20

// Pattern is one pattern to search for.
type Pattern struct {
	Bytes []byte
	Fold  bool  // ASCII case-insensitive
	ID    int32 // reported by Scan (ids may repeat across patterns)
}

// Matcher is a compiled automaton; read-only and safe for concurrent use.
type Matcher struct {
	class  [256]uint8
	nclass uint32
	delta  []uint32 // [state*nclass+class] = next state * nclass | hitFlag
	// out[state] is the first pattern (index+1) ending in state, 0 none;
	// dict[state] is the next state on the suffix chain with an output
	// (pre-multiplied), or noDict.
	out  []int32
	dict []uint32
	next []int32 // pattern index -> next pattern index+1 ending in the same state
	pats []cpat
}

type cpat struct {
	b    []byte // searched prefix (original case)
	fold bool
	id   int32
}

const noDict = ^uint32(0)

// hitFlag marks a transition into a state with an output on its suffix
// chain, so the scan loop looks at outputs only on candidate hits.
const hitFlag = 1 << 31

func lower(b byte) byte {
	if b-'A' < 26 {
		return b + 32
	}
	return b
}

// New compiles the patterns. Empty patterns are an error.
func New(pats []Pattern) (*Matcher, error) {
	if len(pats) == 0 {
		return nil, errors.New("mpm: no patterns")
	}
	m := &Matcher{pats: make([]cpat, len(pats))}
	var classOf [256]int
	n := 1
	for i, p := range pats {
		if len(p.Bytes) == 0 {
			return nil, fmt.Errorf("mpm: pattern %d is empty", i)
		}
		b := p.Bytes
		if len(b) > MaxPrefix {
			b = b[:MaxPrefix]
		}
		m.pats[i] = cpat{b: b, fold: p.Fold, id: p.ID}
		for _, c := range b {
			f := lower(c)
			if classOf[f] == 0 {
				classOf[f] = n
				n++
			}
		}
	}
	if n > 256 {
		return nil, errors.New("mpm: more than 255 byte classes")
	}
	m.nclass = uint32(n)
	for c := 0; c < 256; c++ {
		m.class[c] = uint8(classOf[lower(byte(c))])
	}
	// Trie: goto as a map from (state,class) while building.
	type node struct {
		next map[uint8]int32
		out  int32 // first pattern index+1
		fail int32
	}
	nodes := []node{{}}
	m.next = make([]int32, len(pats))
	for i, p := range m.pats {
		s := int32(0)
		for _, c := range p.b {
			cl := m.class[c]
			t, ok := nodes[s].next[cl]
			if !ok {
				if len(nodes) >= MaxStates {
					return nil, errors.New("mpm: automaton too large")
				}
				if nodes[s].next == nil {
					nodes[s].next = map[uint8]int32{}
				}
				nodes = append(nodes, node{})
				t = int32(len(nodes) - 1)
				nodes[s].next[cl] = t
			}
			s = t
		}
		m.next[i] = nodes[s].out
		nodes[s].out = int32(i + 1)
	}
	ns := len(nodes)
	if uint64(ns)*uint64(n) >= hitFlag {
		return nil, errors.New("mpm: automaton too large")
	}
	m.delta = make([]uint32, ns*n)
	m.out = make([]int32, ns)
	m.dict = make([]uint32, ns)
	// BFS for failure links and the full transition table.
	queue := make([]int32, 0, ns)
	for c := 0; c < n; c++ {
		if t, ok := nodes[0].next[uint8(c)]; ok {
			nodes[t].fail = 0
			queue = append(queue, t)
			m.delta[c] = uint32(t) * uint32(n)
		}
	}
	for qi := 0; qi < len(queue); qi++ {
		s := queue[qi]
		f := nodes[s].fail
		for c := 0; c < n; c++ {
			t, ok := nodes[s].next[uint8(c)]
			if !ok {
				m.delta[int(s)*n+c] = m.delta[int(f)*n+c]
				continue
			}
			nodes[t].fail = int32(m.delta[int(f)*n+c] / uint32(n))
			m.delta[int(s)*n+c] = uint32(t) * uint32(n)
			queue = append(queue, t)
		}
	}
	for s := range nodes {
		m.out[s] = nodes[s].out
	}
	// Dictionary suffix links, in BFS order (a node's fail is shallower).
	m.dict[0] = noDict
	for _, s := range queue {
		f := nodes[s].fail
		switch {
		case f == 0:
			m.dict[s] = noDict
		case m.out[f] != 0:
			m.dict[s] = uint32(f)
		default:
			m.dict[s] = m.dict[f]
		}
	}
	for i, v := range m.delta {
		t := v / uint32(n)
		if m.out[t] != 0 || m.dict[t] != noDict {
			m.delta[i] = v | hitFlag
		}
	}
	return m, nil
}

// Len returns the number of patterns.
func (m *Matcher) Len() int { return len(m.pats) }

// States returns the number of automaton states (for memory estimates).
func (m *Matcher) States() int { return len(m.out) }

// Scanner holds the scratch of scans: which ids were reported in the current
// scan. One per goroutine; reuse it.
type Scanner struct {
	stamp []uint32 // per id: generation of the last report
	gen   uint32
}

// NewScanner returns a scanner for ids 0..maxID.
func NewScanner(maxID int) *Scanner { return &Scanner{stamp: make([]uint32, maxID+1)} }

// Reset starts a new round: ids reported before can be reported again.
func (s *Scanner) Reset() {
	s.gen++
	if s.gen == 0 {
		clear(s.stamp)
		s.gen = 1
	}
}

// Scan appends to dst the ids of the patterns found in p that were not
// already reported since the scanner's last Reset, and returns dst.
func (m *Matcher) Scan(s *Scanner, p []byte, dst []int32) []int32 {
	delta, class := m.delta, &m.class
	nc := m.nclass
	var st uint32
	for i := 0; i < len(p); i++ {
		t := delta[st+uint32(class[p[i]])]
		st = t &^ hitFlag
		if t&hitFlag == 0 {
			continue
		}
		for q := st / nc; q != noDict; {
			for pi := m.out[q]; pi != 0; pi = m.next[pi-1] {
				cp := &m.pats[pi-1]
				if int(cp.id) >= len(s.stamp) || s.stamp[cp.id] == s.gen {
					continue
				}
				if !cp.fold && !equalAt(p, i+1-len(cp.b), cp.b) {
					continue
				}
				s.stamp[cp.id] = s.gen
				dst = append(dst, cp.id)
			}
			q = m.dict[q]
		}
	}
	return dst
}

func equalAt(p []byte, start int, b []byte) bool {
	if start < 0 {
		return false
	}
	return string(p[start:start+len(b)]) == string(b)
}
