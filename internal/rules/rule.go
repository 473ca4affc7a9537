package rules

import (
	"fmt"
	"regexp"
)

// Action is a rule's action.
type Action uint8

// Rule actions. Drop and the reject variants alert like alert (the engine
// observes, it does not block); a matching pass rule suppresses every alert
// of the same packet or message.
const (
	ActionAlert Action = iota
	ActionDrop
	ActionReject
	ActionPass
)

var actionNames = map[string]Action{
	"alert": ActionAlert, "drop": ActionDrop, "reject": ActionReject, "rejectsrc": ActionReject,
	"rejectdst": ActionReject, "rejectboth": ActionReject, "pass": ActionPass,
}

// String returns the action keyword.
func (a Action) String() string {
	switch a {
	case ActionDrop:
		return "drop"
	case ActionReject:
		return "reject"
	case ActionPass:
		return "pass"
	}
	return "alert"
}

// Proto is the transport a rule applies to, from its header.
type Proto uint8

// Header protocols. ProtoHTTP is TCP whose payload parses as an HTTP request
// or response; ProtoDNS is UDP whose payload parses as a DNS query; ProtoTLS
// is TCP whose payload starts with a TLS handshake record.
const (
	ProtoIP Proto = iota
	ProtoTCP
	ProtoUDP
	ProtoICMP
	ProtoHTTP
	ProtoDNS
	ProtoTLS
)

// Rule is one loaded rule. The exported fields describe it; the compiled
// detection is kept unexported.
type Rule struct {
	Action     Action
	Proto      string // protocol as written in the header ("tcp", "http", ...)
	GID        uint32 // 1 unless the rule says gid
	SID        uint32
	Rev        uint32
	Msg        string
	Classtype  string
	Priority   int // 0 when the rule does not say priority
	References []string
	Metadata   []string // each "key value" entry of metadata, as written
	File       string   // file the rule came from ("" for text given directly)
	Line       int      // line of the rule's first line in File (1-based)
	Text       string   // the rule as written (continued lines joined)

	proto    Proto
	src, dst *addrMatcher
	sp, dp   *portGroup
	both     bool // "<>": either direction
	flow     flowOpts
	flags    *flagsOpt
	dsize    *sizeCmp
	ipProto  int // -1 unless ip_proto
	lists    []*list
	flowbits []flowbitOp
	noalert  bool
	thr      *threshold
	fp       fastPattern
	needs    uint64 // bit set of buffers the rule inspects
}

// ID returns "gid:sid:rev".
func (r *Rule) ID() string { return fmt.Sprintf("%d:%d:%d", r.GID, r.SID, r.Rev) }

// Buffers returns the names of the buffers the rule inspects, in order.
func (r *Rule) Buffers() []string {
	out := make([]string, 0, len(r.lists))
	for _, l := range r.lists {
		out = append(out, l.buf.String())
	}
	return out
}

// list is the detection of one buffer: its elements in rule order.
type list struct {
	buf   Buffer
	elems []elem
}

type elemKind uint8

const (
	ekContent elemKind = iota
	ekPcre
	ekIsdataat
	ekByteTest
	ekByteJump
	ekBsize
)

// elem is one detection keyword in a buffer.
type elem struct {
	kind elemKind
	neg  bool

	// content
	pat                    []byte
	fold                   []byte // lower-cased pat when nocase
	nocase                 bool
	offset, depth          int
	hasOffset, hasDepth    bool
	distance, within       int
	hasDistance, hasWithin bool
	startswith, endswith   bool
	fastPattern            bool
	fpOnly                 bool
	fpOff, fpLen           int
	hasFPRange             bool

	// pcre
	re       *regexp.Regexp
	relative bool // pcre /R, isdataat/byte_* relative
	needEnd  bool // a later element is relative to this pcre's end

	// isdataat
	n int

	// byte_test / byte_jump
	bop *byteOp

	// bsize, urilen
	size sizeCmp
}

// isRelative reports whether the element is positioned after the previous
// element of its list.
func (e *elem) isRelative() bool {
	switch e.kind {
	case ekContent:
		return e.hasDistance || e.hasWithin
	case ekPcre, ekIsdataat, ekByteTest, ekByteJump:
		return e.relative
	}
	return false
}

// sizeCmp is a size comparison: bsize, dsize, urilen.
type sizeCmp struct {
	op     byte // '=', '<', '>', 'r' (lo<>hi, exclusive), '!' (not equal)
	lo, hi int
}

func (s sizeCmp) match(n int) bool {
	switch s.op {
	case '<':
		return n < s.lo
	case '>':
		return n > s.lo
	case 'r':
		return n > s.lo && n < s.hi
	case '!':
		return n != s.lo
	case 'l': // <=
		return n <= s.lo
	case 'g': // >=
		return n >= s.lo
	}
	return n == s.lo
}

// flowOpts is the flow keyword.
type flowOpts struct {
	set         bool
	established int8 // 1 established, -1 not_established, 0 either
	dir         int8 // 1 to_server, -1 to_client, 0 either
	stream      int8 // 1 only_stream, -1 no_stream
}

// flagsOpt is the TCP flags keyword.
type flagsOpt struct {
	mod  byte // 0 exact, '+' all of these and maybe others, '*' any of these, '!' not these
	bits uint8
	mask uint8 // bits ignored
	zero bool  // flags:0
}

func (f *flagsOpt) match(fl uint8) bool {
	fl &^= f.mask
	if f.zero {
		return fl == 0
	}
	switch f.mod {
	case '+':
		return fl&f.bits == f.bits
	case '*':
		return fl&f.bits != 0
	case '!':
		return fl&f.bits == 0
	}
	return fl == f.bits
}

// flowbitOp is one flowbits keyword.
type flowbitOp struct {
	cmd  byte  // 's' set, 'u' unset, 't' toggle, 'i' isset, 'n' isnotset
	bits []int // flowbit ids; for isset/isnotset any ('|') or all ('&')
	any  bool
}

// threshold is threshold or detection_filter.
type threshold struct {
	kind    byte // 'l' limit, 't' threshold, 'b' both, 'd' detection_filter
	track   byte // 's' by_src, 'd' by_dst, 'r' by_rule, 'b' by_both
	count   uint32
	seconds uint32
}

// fastPattern is the content a rule is prefiltered on.
type fastPattern struct {
	ok   bool
	buf  Buffer
	pat  []byte
	fold bool
}
