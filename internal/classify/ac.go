package classify

import (
	"bytes"
	"fmt"
	"math/bits"
)

// Multi-literal matcher for exploit patterns.
//
// Why hand-written: Match runs on every inbound payload, must not allocate and
// must be fast on benign payloads (which have no match at all). The standard
// library has no multi-pattern search; calling bytes.Index once per literal
// costs one pass over the payload per literal (about 40 here), and regexp is
// both slower and allocation-prone. An Aho–Corasick automaton compiled into a
// dense DFA reads each payload byte exactly once (one table lookup per byte)
// whatever the number of literals, so its cost stays flat as patterns are
// added. To keep the table small, bytes are first mapped to equivalence
// classes: every byte that occurs in no literal shares class 0, and ASCII
// letters are folded to lower case so that one automaton serves both
// case-sensitive and case-insensitive literals (case-sensitive hits are
// re-checked against the original bytes, which happens only on candidate
// hits). Compound conditions (literal A and literal B, context checks such as
// "followed by an uppercase token") are applied after a literal hit, so they
// cost nothing on payloads without candidates.

// maxLiterals bounds the number of literals: the set of literals seen in a
// payload is kept in one uint64 bit mask.
const maxLiterals = 64

// hitFlag marks a DFA transition whose target state ends at least one literal.
const hitFlag = 1 << 31

// literal is one byte string searched for by the automaton.
type literal struct {
	text []byte
	fold bool // ASCII case-insensitive
	// check, when set, must accept the hit; start and end delimit the matched
	// bytes in payload (payload[start:end]).
	check func(payload []byte, start, end int) bool
}

// automaton is an Aho–Corasick DFA over byte classes.
type automaton struct {
	lits   []literal
	class  [256]uint8
	nclass int
	maxLen int      // longest literal, in bytes
	delta  []uint32 // [state*nclass+class] = nextState*nclass | hitFlag
	out    []uint64 // per state (pre-multiplied index / nclass): literals ending here
}

// lowerASCII folds A-Z to a-z and leaves every other byte alone.
func lowerASCII(b byte) byte {
	if b-'A' < 26 {
		return b + ('a' - 'A')
	}
	return b
}

// equalFoldASCII reports whether a and b are equal under ASCII case folding.
func equalFoldASCII(a, b []byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if lowerASCII(a[i]) != lowerASCII(b[i]) {
			return false
		}
	}
	return true
}

// newAutomaton compiles lits into a DFA.
func newAutomaton(lits []literal) (*automaton, error) {
	if len(lits) == 0 || len(lits) > maxLiterals {
		return nil, fmt.Errorf("build exploit matcher: %d literals, want 1..%d", len(lits), maxLiterals)
	}
	a := &automaton{lits: lits}
	for _, l := range lits {
		a.maxLen = max(a.maxLen, len(l.text))
	}

	// Byte classes: class 0 for bytes in no literal, one class per distinct
	// folded byte otherwise. Upper-case letters share their lower-case class.
	var classOfFolded [256]int
	n := 1
	for i, l := range lits {
		if len(l.text) == 0 {
			return nil, fmt.Errorf("build exploit matcher: literal %d is empty", i)
		}
		for _, b := range l.text {
			f := lowerASCII(b)
			if classOfFolded[f] == 0 {
				if n > 255 {
					return nil, fmt.Errorf("build exploit matcher: more than 255 byte classes")
				}
				classOfFolded[f] = n
				n++
			}
		}
	}
	a.nclass = n
	for b := 0; b < 256; b++ {
		a.class[b] = uint8(classOfFolded[lowerASCII(byte(b))])
	}

	// Trie of folded literals.
	type node struct {
		next []int32 // per class, -1 when absent
		out  uint64
		fail int32
	}
	newNode := func() node {
		nx := make([]int32, n)
		for i := range nx {
			nx[i] = -1
		}
		return node{next: nx}
	}
	nodes := []node{newNode()}
	for i, l := range lits {
		s := int32(0)
		for _, b := range l.text {
			c := a.class[b]
			if nodes[s].next[c] < 0 {
				nodes = append(nodes, newNode())
				nodes[s].next[c] = int32(len(nodes) - 1)
			}
			s = nodes[s].next[c]
		}
		nodes[s].out |= 1 << uint(i)
	}
	if uint64(len(nodes))*uint64(n) >= hitFlag {
		return nil, fmt.Errorf("build exploit matcher: automaton too large (%d states)", len(nodes))
	}

	// Breadth-first: failure links, inherited outputs and the full transition
	// function (missing edges follow the failure link).
	queue := make([]int32, 0, len(nodes))
	for c := 0; c < n; c++ {
		t := nodes[0].next[c]
		if t < 0 {
			nodes[0].next[c] = 0
			continue
		}
		nodes[t].fail = 0
		queue = append(queue, t)
	}
	for qi := 0; qi < len(queue); qi++ {
		s := queue[qi]
		f := nodes[s].fail
		nodes[s].out |= nodes[f].out
		for c := 0; c < n; c++ {
			t := nodes[s].next[c]
			if t < 0 {
				nodes[s].next[c] = nodes[f].next[c]
				continue
			}
			nodes[t].fail = nodes[f].next[c]
			queue = append(queue, t)
		}
	}

	a.delta = make([]uint32, len(nodes)*n)
	a.out = make([]uint64, len(nodes))
	for s := range nodes {
		a.out[s] = nodes[s].out
		for c := 0; c < n; c++ {
			t := nodes[s].next[c]
			v := uint32(int(t) * n)
			if nodes[t].out != 0 {
				v |= hitFlag
			}
			a.delta[s*n+c] = v
		}
	}
	return a, nil
}

// laneMin is the payload length from which scan runs four interleaved
// automata instead of one.
const laneMin = 256

// scan returns the set of literals that occur in p and pass their checks.
//
// A DFA walk is bound by the latency of one dependent table load per byte.
// For longer payloads scan therefore splits p into four lanes walked in
// lockstep, so that the four dependency chains overlap in the CPU. Lane k
// starts maxLen-1 bytes before its quarter, from the root state: an
// Aho–Corasick walk started at x reports every occurrence starting at or after
// x, so each occurrence ending in a quarter is found by that quarter's lane.
// Occurrences in the overlaps may be reported twice; seen is a set.
func (a *automaton) scan(p []byte) uint64 {
	if len(p) < laneMin || len(p)/4 < a.maxLen {
		seen, _ := a.scanRange(p, 0, len(p), 0, 0)
		return seen
	}
	var seen uint64
	delta := a.delta
	class := &a.class
	o := a.maxLen - 1
	q := len(p) / 4
	m := q + o
	i0, i1, i2, i3 := 0, q-o, 2*q-o, 3*q-o
	var s0, s1, s2, s3 uint32
	for j := 0; j < m; j++ {
		t0 := delta[s0+uint32(class[p[i0+j]])]
		t1 := delta[s1+uint32(class[p[i1+j]])]
		t2 := delta[s2+uint32(class[p[i2+j]])]
		t3 := delta[s3+uint32(class[p[i3+j]])]
		s0, s1, s2, s3 = t0&^hitFlag, t1&^hitFlag, t2&^hitFlag, t3&^hitFlag
		if (t0|t1|t2|t3)&hitFlag != 0 {
			if t0&hitFlag != 0 {
				seen |= a.verify(p, i0+j+1, a.out[s0/uint32(a.nclass)]&^seen)
			}
			if t1&hitFlag != 0 {
				seen |= a.verify(p, i1+j+1, a.out[s1/uint32(a.nclass)]&^seen)
			}
			if t2&hitFlag != 0 {
				seen |= a.verify(p, i2+j+1, a.out[s2/uint32(a.nclass)]&^seen)
			}
			if t3&hitFlag != 0 {
				seen |= a.verify(p, i3+j+1, a.out[s3/uint32(a.nclass)]&^seen)
			}
		}
	}
	// Lane 3 stopped at 4q; finish the last len(p)-4q bytes from its state.
	seen, _ = a.scanRange(p, i3+m, len(p), s3, seen)
	return seen
}

// scanRange walks p[from:to] from state s, adding verified literals to seen.
// It returns seen and the final state.
func (a *automaton) scanRange(p []byte, from, to int, s uint32, seen uint64) (uint64, uint32) {
	delta := a.delta
	class := &a.class
	for i := from; i < to; i++ {
		t := delta[s+uint32(class[p[i]])]
		s = t &^ hitFlag
		if t&hitFlag != 0 {
			seen |= a.verify(p, i+1, a.out[s/uint32(a.nclass)]&^seen)
		}
	}
	return seen, s
}

// verify returns the subset of cand (literals ending at end in p under case
// folding) whose exact case and context checks pass.
func (a *automaton) verify(p []byte, end int, cand uint64) uint64 {
	var ok uint64
	for cand != 0 {
		i := bits.TrailingZeros64(cand)
		cand &= cand - 1
		l := &a.lits[i]
		start := end - len(l.text)
		if !l.fold && !bytes.Equal(p[start:end], l.text) {
			continue
		}
		if l.check != nil && !l.check(p, start, end) {
			continue
		}
		ok |= 1 << uint(i)
	}
	return ok
}
