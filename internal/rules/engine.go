package rules

import (
	"fmt"
	"slices"

	"github.com/honeyscope/honeyscope/internal/rules/mpm"
)

// Engine is a compiled rule set: read-only, safe for concurrent use. Match
// with a Matcher from NewMatcher.
type Engine struct {
	rules  []*Rule
	set    *Set
	prefil [numBuffers]*mpm.Matcher
	// always lists, per packet kind, the rules without a fast pattern and
	// without buffers; alwaysBuf, per kind and buffer, those without a
	// fast pattern whose first list inspects that buffer (evaluated only
	// when the buffer is present).
	always [numKinds][]int32
	// dpBits holds, for each rule of the always lists (nil for others),
	// its destination ports as a bitmap (both directions for "<>"), so a
	// packet to another port skips it for one load.
	dpBits    []*[1024]uint64
	alwaysBuf [numKinds][numBuffers][]int32
	needs     uint64 // buffers some rule inspects or prefilters on
	order     []int32
	// mustEval marks the rules Matcher.PayloadFirst evaluates even after
	// an alert of a lower index: pass rules and rules that change flowbits.
	mustEval []bool
	fbits    int
	// tlsRules and dnsRules: some rule has a tls or dns header.
	tlsRules, dnsRules bool
}

// Packet kinds the always-evaluated rules are split by.
const (
	kindTCP = iota
	kindUDP
	kindICMP
	kindOther
	kindCmd // command lines
	numKinds
)

// Compile builds the engine of a set. The rules are shared with the set.
func Compile(s *Set) (*Engine, error) {
	e := &Engine{rules: s.Rules, set: s, fbits: len(s.bits.names)}
	var pats [numBuffers][]mpm.Pattern
	for i, r := range s.Rules {
		e.needs |= r.needs
		e.tlsRules = e.tlsRules || r.proto == ProtoTLS
		e.dnsRules = e.dnsRules || r.proto == ProtoDNS
		if r.fp.ok {
			pats[r.fp.buf] = append(pats[r.fp.buf], mpm.Pattern{Bytes: r.fp.pat, Fold: r.fp.fold, ID: int32(i)})
			continue
		}
		for k := 0; k < numKinds; k++ {
			if !r.couldMatchKind(k) {
				continue
			}
			if len(r.lists) == 0 {
				e.always[k] = append(e.always[k], int32(i))
			} else {
				b := r.lists[0].buf
				e.alwaysBuf[k][b] = append(e.alwaysBuf[k][b], int32(i))
			}
		}
	}
	for b := range pats {
		if len(pats[b]) == 0 {
			continue
		}
		m, err := mpm.New(pats[b])
		if err != nil {
			return nil, fmt.Errorf("rules: prefilter for %s: %w", Buffer(b), err)
		}
		e.prefil[b] = m
		e.needs |= 1 << b
	}
	e.dpBits = make([]*[1024]uint64, len(s.Rules))
	for k := range e.always {
		for _, ri := range e.always[k] {
			r := s.Rules[ri]
			if e.dpBits[ri] != nil || r.dp.any || r.both {
				continue
			}
			var bm [1024]uint64
			for p := 0; p < 65536; p++ {
				if r.dp.match(uint16(p)) {
					bm[p>>6] |= 1 << (p & 63)
				}
			}
			e.dpBits[ri] = &bm
		}
	}
	// Evaluation order: rules that only set flowbits before rules that
	// test them, so a packet that both sets and tests a bit sees the set
	// (Suricata orders rules the same way); load order otherwise.
	e.order = make([]int32, len(s.Rules))
	e.mustEval = make([]bool, len(s.Rules))
	for i, r := range s.Rules {
		e.mustEval[i] = r.Action == ActionPass || r.changesFlowbits()
		k := int32(i)
		if r.testsFlowbits() {
			k += int32(len(s.Rules))
		}
		e.order[i] = k
	}
	for k := range e.always {
		e.sortCandidates(e.always[k])
	}
	return e, nil
}

// Rules returns the engine's rules; Alert.Rule indexes it.
func (e *Engine) Rules() []*Rule { return e.rules }

// Set returns the set the engine was compiled from.
func (e *Engine) Set() *Set { return e.set }

// PrefilterStates returns the total number of automaton states of the
// prefilters (a measure of their memory: states × byte classes × 4 bytes).
func (e *Engine) PrefilterStates() int {
	n := 0
	for _, m := range e.prefil {
		if m != nil {
			n += m.States()
		}
	}
	return n
}

func (r *Rule) testsFlowbits() bool {
	for _, f := range r.flowbits {
		if f.cmd == 'i' || f.cmd == 'n' {
			return true
		}
	}
	return false
}

func (r *Rule) changesFlowbits() bool {
	for _, f := range r.flowbits {
		if f.cmd == 's' || f.cmd == 'u' || f.cmd == 't' {
			return true
		}
	}
	return false
}

// couldMatchKind reports whether the rule's protocol and buffers allow it
// to match a packet kind (used to split rules without a fast pattern).
func (r *Rule) couldMatchKind(k int) bool {
	cmd := r.needs&(1<<BufCmdline) != 0
	if k == kindCmd {
		return cmd
	}
	if cmd {
		return false
	}
	switch r.proto {
	case ProtoTCP, ProtoHTTP, ProtoTLS:
		return k == kindTCP
	case ProtoUDP, ProtoDNS:
		return k == kindUDP
	case ProtoICMP:
		return k == kindICMP
	}
	return k != kindCmd
}

// sortCandidates orders candidate rule indexes for evaluation.
func (e *Engine) sortCandidates(c []int32) {
	slices.SortFunc(c, func(a, b int32) int { return int(e.order[a]) - int(e.order[b]) })
}
