package rules

import (
	"net/netip"
	"slices"

	"github.com/honeyscope/honeyscope/internal/decode"
	"github.com/honeyscope/honeyscope/internal/rules/appproto"
	"github.com/honeyscope/honeyscope/internal/rules/mpm"
)

// Alert is one rule that matched.
type Alert struct {
	Rule int32 // index into Engine.Rules()
	// Buffer, Start and End locate the first content or pcre match of the
	// rule's first inspected buffer (Start = End = -1 when the rule has no
	// content or pcre).
	Buffer     Buffer
	Start, End int32
}

// Direction is the direction of a packet or message in its flow.
type Direction uint8

// Directions. DirToServer is the zero value: a darknet or honeypot sensor
// receives what clients send.
const (
	DirToServer Direction = iota
	DirToClient
)

// Established says whether a packet belongs to an established flow.
type Established uint8

// EstAuto derives it from the packet (see Matcher.Packet); EstYes and EstNo
// are what a caller that tracks flows knows.
const (
	EstAuto Established = iota
	EstYes
	EstNo
)

// Context is what the caller knows about a packet or message beyond its
// bytes.
type Context struct {
	// State keeps flowbits and thresholds across calls; nil: flowbits
	// live only within one call and thresholds are not applied (every
	// match alerts).
	State *State
	// Flow identifies the flow or honeypot session for flowbits (0: no
	// flow: bits set in this call are forgotten after it).
	Flow uint64
	// Time is the packet's time, Unix nanoseconds (thresholds).
	Time int64
	Dir  Direction
	Est  Established
	// Src, Dst, SrcPort, DstPort describe a honeypot message or command
	// (ignored by Packet, which takes them from the packet). Rule header
	// checks are skipped for a zero address or port.
	Src, Dst         netip.Addr
	SrcPort, DstPort uint16
}

// Limits of one evaluation.
const (
	// MaxSteps bounds content occurrences tried (backtracking) per rule and
	// buffer, like Suricata's inspection recursion limit.
	MaxSteps = 3000
	// MaxNormalized bounds each built buffer (normalized URI, header
	// buffer, header names); longer input is cut.
	MaxNormalized = 64 << 10
	// MaxMessage bounds the HTTP message Matcher.HTTP assembles.
	MaxMessage = 1 << 20
)

// Matcher evaluates an engine's rules. It holds the scratch space of one
// evaluation: not safe for concurrent use (make one per goroutine), and it
// does not allocate once its buffers have grown to the inputs' sizes.
type Matcher struct {
	e    *Engine
	sc   *mpm.Scanner
	cand []int32
	bufs [numBuffers][]byte
	has  uint64 // bit set of buffers present
	http appproto.HTTP
	tls  appproto.TLS

	uri, hdrBuf, names, host, dns, tlsbuf, msg []byte
	cmd                                        []byte

	steps    int
	spanSet  bool // record the span of the list being inspected
	curBuf   Buffer
	isTLS    bool
	tmpBits  [flowWords]uint64
	span     Alert
	rr       byteRuneReader
	proto    uint8
	kind     int
	toServer bool
	est      bool
	src, dst netip.Addr
	sp, dp   uint16
	tcpFlags uint8
	hasFlags bool
	dsize    int
	ipProto  uint8
}

// NewMatcher returns a matcher for e.
func NewMatcher(e *Engine) *Matcher {
	return &Matcher{
		e:      e,
		sc:     mpm.NewScanner(len(e.rules)),
		cand:   make([]int32, 0, 64),
		uri:    make([]byte, 0, 2048),
		hdrBuf: make([]byte, 0, 4096),
		names:  make([]byte, 0, 512),
		host:   make([]byte, 0, 256),
		dns:    make([]byte, 0, 256),
		tlsbuf: make([]byte, 0, 16<<10),
	}
}

// Engine returns the matcher's engine.
func (m *Matcher) Engine() *Engine { return m.e }

// Packet appends to dst the alerts of a decoded packet and returns dst.
//
// Direction and establishment, for packets without a tracked handshake
// (darknet captures): the packet is to_server unless ctx.Dir says
// DirToClient. With ctx.Est EstAuto a TCP packet is established when it has
// ACK set and neither SYN nor RST (so a lone SYN never is, and a
// payload-carrying segment to the sensor is); UDP and ICMP are never
// established (Suricata needs a packet in each direction). Later fragments
// and ICMP errors quoting another packet have no payload to inspect.
func (m *Matcher) Packet(p *decode.Packet, ctx *Context, dst []Alert) []Alert {
	if p == nil {
		return dst
	}
	m.reset(ctx)
	m.src, m.dst, m.sp, m.dp = p.Src, p.Dst, p.SrcPort, p.DstPort
	m.proto = p.Proto
	m.ipProto = p.Proto
	payload := p.Payload
	if p.Frag == decode.FragLater || p.Quoted {
		payload = nil
	}
	m.dsize = len(payload)
	switch p.Proto {
	case decode.ProtoTCP:
		m.kind = kindTCP
		m.tcpFlags, m.hasFlags = p.TCPFlags, p.HasTransport
		if ctx == nil || ctx.Est == EstAuto {
			f := p.TCPFlags
			m.est = p.HasTransport && f&flagACK != 0 && f&(flagSYN|flagRST) == 0
		}
	case decode.ProtoUDP:
		m.kind = kindUDP
		if ctx == nil || ctx.Est == EstAuto {
			m.est = false
		}
	case decode.ProtoICMP, decode.ProtoICMPv6:
		m.kind = kindICMP
		m.proto = decode.ProtoICMP
	default:
		m.kind = kindOther
	}
	if len(payload) > 0 {
		m.bufs[BufPayload] = payload
		m.has |= 1 << BufPayload
		switch m.kind {
		case kindTCP:
			m.fillTCP(payload)
		case kindUDP:
			m.fillUDP(payload)
		}
	}
	return m.run(ctx, dst)
}

// Payload appends to dst the alerts of a bare payload and returns dst: the
// bytes are inspected as the payload of a TCP packet to a server
// (to_server, established; HTTP and TLS buffers apply) with unknown
// addresses and ports, so rule headers match on protocol only. This is what
// the classify.ExploitMatcher adapter uses.
func (m *Matcher) Payload(b []byte, ctx *Context, dst []Alert) []Alert {
	m.reset(ctx)
	m.sessionHeader(ctx)
	m.dsize = len(b)
	if len(b) > 0 {
		m.set(BufPayload, b)
		m.fillTCP(b)
	}
	return m.run(ctx, dst)
}

// PayloadFirst returns the first alert Payload would append (the lowest
// rule index) and true, or false when Payload would give none. It skips
// the rules that cannot change that answer, so it is cheaper when an early
// rule matches; with a State in ctx, the thresholds of skipped rules do not
// count the payload.
func (m *Matcher) PayloadFirst(b []byte, ctx *Context) (Alert, bool) {
	m.reset(ctx)
	m.sessionHeader(ctx)
	m.dsize = len(b)
	if len(b) > 0 {
		m.set(BufPayload, b)
		m.fillTCP(b)
	}
	return m.runFirst(ctx)
}

// HTTPRequest is a request as the honeypot recorded it.
type HTTPRequest struct {
	Method, URI, Protocol string // Protocol "" means HTTP/1.1
	// Headers is the header block, one "Name: value" per line (LF or CRLF).
	Headers string
	Body    []byte
}

// HTTP appends to dst the alerts of a honeypot HTTP request (to_server,
// established) and returns dst. The request is assembled into one message
// (bounded by MaxMessage; a longer body is cut) and inspected like a
// request found in a packet: the payload buffer is that message.
func (m *Matcher) HTTP(req *HTTPRequest, ctx *Context, dst []Alert) []Alert {
	m.reset(ctx)
	m.sessionHeader(ctx)
	proto := req.Protocol
	if proto == "" {
		proto = "HTTP/1.1"
	}
	b := m.msg[:0]
	b = append(b, req.Method...)
	b = append(b, ' ')
	b = append(b, req.URI...)
	b = append(b, ' ')
	b = append(b, proto...)
	b = append(b, "\r\n"...)
	h := req.Headers
	for len(h) > 0 && len(b) < MaxMessage {
		i := 0
		for i < len(h) && h[i] != '\n' {
			i++
		}
		l := h[:i]
		if len(l) > 0 && l[len(l)-1] == '\r' {
			l = l[:len(l)-1]
		}
		if len(l) > 0 {
			b = append(b, l...)
			b = append(b, "\r\n"...)
		}
		if i < len(h) {
			i++
		}
		h = h[i:]
	}
	b = append(b, "\r\n"...)
	body := req.Body
	if room := MaxMessage - len(b); len(body) > room {
		body = body[:max(0, room)]
	}
	b = append(b, body...)
	m.msg = b
	m.dsize = len(b)
	m.bufs[BufPayload] = b
	m.has |= 1 << BufPayload
	m.fillTCP(b)
	return m.run(ctx, dst)
}

// Command appends to dst the alerts of one honeypot shell command line
// (the honeyscope.cmdline buffer; to_server, established) and returns dst.
// Only rules that inspect honeyscope.cmdline can match.
func (m *Matcher) Command(line string, ctx *Context, dst []Alert) []Alert {
	m.reset(ctx)
	m.sessionHeader(ctx)
	m.kind = kindCmd
	if len(line) > MaxRuleLen {
		line = line[:MaxRuleLen]
	}
	m.cmd = append(m.cmd[:0], line...)
	m.dsize = len(m.cmd)
	m.bufs[BufCmdline] = m.cmd
	m.has |= 1 << BufCmdline
	return m.run(ctx, dst)
}

func (m *Matcher) reset(ctx *Context) {
	m.has = 0
	m.toServer, m.est = true, true
	if ctx != nil {
		m.toServer = ctx.Dir == DirToServer
		switch ctx.Est {
		case EstNo:
			m.est = false
		}
	}
	m.hasFlags = false
	m.isTLS = false
	m.tls.NCerts = 0
}

// sessionHeader sets the header fields of a honeypot message from ctx.
func (m *Matcher) sessionHeader(ctx *Context) {
	m.proto, m.ipProto, m.kind = 6, 6, kindTCP
	m.src, m.dst, m.sp, m.dp = netip.Addr{}, netip.Addr{}, 0, 0
	if ctx != nil {
		m.src, m.dst, m.sp, m.dp = ctx.Src, ctx.Dst, ctx.SrcPort, ctx.DstPort
	}
}

// run prefilters, evaluates the candidates and appends the alerts.
func (m *Matcher) run(ctx *Context, dst []Alert) []Alert {
	e := m.e
	c := m.candidates()
	if len(c) == 0 {
		return dst
	}
	clear(m.tmpBits[:])
	var st *State
	var flow uint64
	var now int64
	if ctx != nil {
		st, flow, now = ctx.State, ctx.Flow, ctx.Time
	}
	first := len(dst)
	pass := false
	for _, ri := range c {
		r := e.rules[ri]
		if !m.evalRule(r, st, flow) {
			continue
		}
		m.applyFlowbits(r, st, flow)
		if r.Action == ActionPass {
			pass = true
			continue
		}
		if r.noalert {
			continue
		}
		if r.thr != nil && st != nil && !st.allow(r.thr, ri, m.src, m.dst, now) {
			continue
		}
		a := m.span
		a.Rule = ri
		dst = append(dst, a)
	}
	if pass {
		return dst[:first]
	}
	if len(dst)-first > 1 {
		slices.SortFunc(dst[first:], func(a, b Alert) int { return int(a.Rule) - int(b.Rule) })
	}
	return dst
}

// runFirst is run when only the first alert (the lowest rule index) is
// wanted: it evaluates the candidates in the same order but skips, once a
// rule has alerted, every later candidate of a higher index that can
// neither suppress the alert (a pass rule) nor change the flowbits a
// candidate tested later sees. Its answer is run's first alert.
func (m *Matcher) runFirst(ctx *Context) (Alert, bool) {
	e := m.e
	c := m.candidates()
	if len(c) == 0 {
		return Alert{}, false
	}
	clear(m.tmpBits[:])
	var st *State
	var flow uint64
	var now int64
	if ctx != nil {
		st, flow, now = ctx.State, ctx.Flow, ctx.Time
	}
	best := Alert{Rule: -1}
	for _, ri := range c {
		if best.Rule >= 0 && ri > best.Rule && !e.mustEval[ri] {
			continue
		}
		r := e.rules[ri]
		if !m.evalRule(r, st, flow) {
			continue
		}
		m.applyFlowbits(r, st, flow)
		if r.Action == ActionPass {
			return Alert{}, false
		}
		if r.noalert || best.Rule >= 0 && ri > best.Rule {
			continue
		}
		if r.thr != nil && st != nil && !st.allow(r.thr, ri, m.src, m.dst, now) {
			continue
		}
		best = m.span
		best.Rule = ri
	}
	return best, best.Rule >= 0
}

// candidates runs the prefilters over the present buffers and returns the
// rules to evaluate, in evaluation order, without duplicates.
func (m *Matcher) candidates() []int32 {
	e := m.e
	m.sc.Reset()
	c := m.cand[:0]
	for b := Buffer(0); b < numBuffers; b++ {
		if m.has&(1<<b) == 0 {
			continue
		}
		c = append(c, e.alwaysBuf[m.kind][b]...)
		if e.prefil[b] == nil {
			continue
		}
		if b == BufTLSCerts {
			for i := 0; i < m.tls.NCerts; i++ {
				c = e.prefil[b].Scan(m.sc, m.tls.Certs[i], c)
			}
			continue
		}
		c = e.prefil[b].Scan(m.sc, m.bufs[b], c)
	}
	hits := len(c) > 0
	for _, ri := range e.always[m.kind] {
		if bm := e.dpBits[ri]; bm != nil && m.dp != 0 && bm[m.dp>>6]&(1<<(m.dp&63)) == 0 {
			continue
		}
		c = append(c, ri)
	}
	if len(c) > 0 && hits {
		e.sortCandidates(c)
		c = slices.Compact(c)
	}
	m.cand = c
	return c
}

// evalRule evaluates everything but the actions of a match.
func (m *Matcher) evalRule(r *Rule, st *State, flow uint64) bool {
	if !m.header(r) {
		return false
	}
	if r.flow.set {
		if r.flow.dir > 0 && !m.toServer || r.flow.dir < 0 && m.toServer {
			return false
		}
		if r.flow.established > 0 && !m.est || r.flow.established < 0 && m.est {
			return false
		}
		if r.flow.stream > 0 && m.has&(1<<BufPayload) == 0 {
			return false
		}
	}
	if r.flags != nil && (!m.hasFlags || !r.flags.match(m.tcpFlags)) {
		return false
	}
	if r.dsize != nil && !r.dsize.match(m.dsize) {
		return false
	}
	if r.ipProto >= 0 && int(m.ipProto) != r.ipProto {
		return false
	}
	if len(r.flowbits) > 0 && !m.checkFlowbits(r, st, flow) {
		return false
	}
	m.span = Alert{Start: -1, End: -1}
	for li, l := range r.lists {
		if m.has&(1<<l.buf) == 0 {
			return false
		}
		m.spanSet = li == 0
		m.curBuf = l.buf
		if l.buf == BufTLSCerts {
			ok := false
			for i := 0; i < m.tls.NCerts && !ok; i++ {
				m.steps = MaxSteps
				ok = m.inspect(l, m.tls.Certs[i], 0, 0)
			}
			if !ok {
				return false
			}
			continue
		}
		m.steps = MaxSteps
		if !m.inspect(l, m.bufs[l.buf], 0, 0) {
			return false
		}
	}
	return true
}

// header checks the rule header's protocol, addresses and ports.
func (m *Matcher) header(r *Rule) bool {
	switch r.proto {
	case ProtoTCP:
		if m.proto != 6 {
			return false
		}
	case ProtoUDP:
		if m.proto != 17 {
			return false
		}
	case ProtoICMP:
		if m.proto != 1 {
			return false
		}
	case ProtoHTTP:
		if m.proto != 6 || m.has&(1<<BufMethod|1<<BufStatCode) == 0 {
			return false
		}
	case ProtoTLS:
		if m.proto != 6 || !m.isTLS {
			return false
		}
	case ProtoDNS:
		if m.has&(1<<BufDNSQuery) == 0 {
			return false
		}
	}
	if m.hdrMatch(r, m.src, m.sp, m.dst, m.dp) {
		return true
	}
	return r.both && m.hdrMatch(r, m.dst, m.dp, m.src, m.sp)
}

func (m *Matcher) hdrMatch(r *Rule, src netip.Addr, sp uint16, dst netip.Addr, dp uint16) bool {
	if sp != 0 && !r.sp.match(sp) {
		return false
	}
	if dp != 0 && !r.dp.match(dp) {
		return false
	}
	if src.IsValid() && !r.src.match(src) {
		return false
	}
	return !dst.IsValid() || r.dst.match(dst)
}

// flowBits returns the bit set of the current flow.
func (m *Matcher) flowBits(st *State, flow uint64) *[flowWords]uint64 {
	if st == nil || flow == 0 {
		return &m.tmpBits
	}
	return &st.flow(flow).bits
}

func (m *Matcher) checkFlowbits(r *Rule, st *State, flow uint64) bool {
	if st != nil {
		st.mu.Lock()
		defer st.mu.Unlock()
	}
	bits := m.flowBits(st, flow)
	for _, f := range r.flowbits {
		if f.cmd != 'i' && f.cmd != 'n' {
			continue
		}
		n := 0
		for _, b := range f.bits {
			if bits[b/64]&(1<<(b%64)) != 0 {
				n++
			}
		}
		var ok bool
		switch {
		case f.cmd == 'i' && f.any:
			ok = n > 0
		case f.cmd == 'i':
			ok = n == len(f.bits)
		case f.any: // isnotset a|b: some bit not set
			ok = n < len(f.bits)
		default: // isnotset: none set
			ok = n == 0
		}
		if !ok {
			return false
		}
	}
	return true
}

func (m *Matcher) applyFlowbits(r *Rule, st *State, flow uint64) {
	if len(r.flowbits) == 0 {
		return
	}
	if st != nil {
		st.mu.Lock()
		defer st.mu.Unlock()
	}
	bits := m.flowBits(st, flow)
	for _, f := range r.flowbits {
		for _, b := range f.bits {
			w, bit := b/64, uint64(1)<<(b%64)
			switch f.cmd {
			case 's':
				bits[w] |= bit
			case 'u':
				bits[w] &^= bit
			case 't':
				bits[w] ^= bit
			}
		}
	}
}
