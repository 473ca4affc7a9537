package rules

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// RuleError is the reason a rule does not load.
type RuleError struct {
	GID, SID, Rev uint32 // 0 when the rule text did not get that far
	Msg           string // the rule's msg when it could be read
	Reason        string
}

// Error formats the error as "sid N: reason".
func (e *RuleError) Error() string {
	if e.SID == 0 {
		return e.Reason
	}
	return fmt.Sprintf("sid %d: %s", e.SID, e.Reason)
}

// parser holds the state of parsing one rule's options.
type parser struct {
	r       *Rule
	vars    Vars
	bits    *bitNames
	elems   []pelem
	sticky  Buffer
	hasSt   bool // a sticky buffer was named
	fileDat bool // file.data seen: resolved by direction
	last    int  // index in elems of the last content, -1 none
	lastAny int  // index of the last content or pcre, -1 none
}

// pelem is an element with the buffer it belongs to while options are read.
type pelem struct {
	buf      Buffer
	fileData bool // buffer came from file.data / file_data
	e        elem
}

// bitNames interns flowbit names to small ids, shared by the rules of a Set.
type bitNames struct {
	ids   map[string]int
	names []string
}

func (b *bitNames) id(name string) (int, error) {
	if id, ok := b.ids[name]; ok {
		return id, nil
	}
	if len(b.names) >= maxFlowbits {
		return 0, fmt.Errorf("more than %d distinct flowbit names", maxFlowbits)
	}
	if b.ids == nil {
		b.ids = map[string]int{}
	}
	id := len(b.names)
	b.ids[name] = id
	b.names = append(b.names, name)
	return id, nil
}

// Parse parses one rule. vars resolves $VARIABLES (nil: DefaultVars). The
// error, when not nil, is a *RuleError.
func Parse(text string, vars Vars) (*Rule, error) {
	return parseRule(text, vars, &bitNames{})
}

func parseRule(text string, vars Vars, bits *bitNames) (r *Rule, err error) {
	if vars == nil {
		vars = DefaultVars()
	}
	r = &Rule{GID: 1, Text: text, ipProto: -1}
	defer func() {
		if err != nil {
			var re *RuleError
			if !errors.As(err, &re) {
				err = &RuleError{GID: r.GID, SID: r.SID, Rev: r.Rev, Msg: r.Msg, Reason: err.Error()}
			}
			r = nil
		}
	}()
	if len(text) > MaxRuleLen {
		return r, fmt.Errorf("rule longer than %d bytes", MaxRuleLen)
	}
	open := strings.IndexByte(text, '(')
	close := strings.LastIndexByte(text, ')')
	if open < 0 || close < open {
		return r, errors.New("no option list in parentheses")
	}
	if rest := strings.TrimSpace(text[close+1:]); rest != "" {
		return r, fmt.Errorf("text after the option list: %.40q", rest)
	}
	opts, err := splitOptions(text[open+1 : close])
	if err != nil {
		return r, err
	}
	// Identity first, so every later error names the sid.
	for _, o := range opts {
		switch o.key {
		case "sid":
			n, err := strconv.ParseUint(o.val, 10, 32)
			if err != nil || n == 0 {
				return r, fmt.Errorf("sid %q: want a positive number", o.val)
			}
			r.SID = uint32(n)
		case "gid":
			n, err := strconv.ParseUint(o.val, 10, 32)
			if err != nil {
				return r, fmt.Errorf("gid %q: want a number", o.val)
			}
			r.GID = uint32(n)
		case "rev":
			n, err := strconv.ParseUint(o.val, 10, 32)
			if err != nil {
				return r, fmt.Errorf("rev %q: want a number", o.val)
			}
			r.Rev = uint32(n)
		case "msg":
			if v, err := unquote(o.val); err == nil {
				r.Msg = v
			}
		}
	}
	if r.SID == 0 {
		return r, errors.New("no sid")
	}
	if err := parseHeader(r, text[:open], vars); err != nil {
		return r, err
	}
	p := &parser{r: r, vars: vars, bits: bits, last: -1, lastAny: -1}
	for _, o := range opts {
		if err := p.option(o); err != nil {
			return r, err
		}
	}
	if err := p.finish(); err != nil {
		return r, err
	}
	return r, nil
}

// parseHeader parses "action proto src sport dir dst dport".
func parseHeader(r *Rule, h string, vars Vars) error {
	f := headerFields(h)
	if len(f) != 7 {
		return fmt.Errorf("header %q: want action proto src port direction dst port", strings.TrimSpace(h))
	}
	a, ok := actionNames[f[0]]
	if !ok {
		return fmt.Errorf("action %q not supported", f[0])
	}
	r.Action = a
	r.Proto = f[1]
	switch strings.ToLower(f[1]) {
	case "ip", "pkthdr", "ipv4", "ipv6":
		r.proto = ProtoIP
	case "tcp", "tcp-pkt", "tcp-stream":
		r.proto = ProtoTCP
	case "udp":
		r.proto = ProtoUDP
	case "icmp", "icmpv4", "icmpv6":
		r.proto = ProtoICMP
	case "http", "http1":
		r.proto = ProtoHTTP
	case "dns":
		r.proto = ProtoDNS
	case "tls":
		r.proto = ProtoTLS
	default:
		return fmt.Errorf("protocol %s not supported (no parser for it)", f[1])
	}
	gp := &groupParser{vars: vars}
	src, err := gp.addr(f[2], 0)
	if err != nil {
		return fmt.Errorf("source address: %w", err)
	}
	r.src = newAddrMatcher(src)
	if r.sp, err = gp.port(f[3], 0); err != nil {
		return fmt.Errorf("source port: %w", err)
	}
	switch f[4] {
	case "->":
	case "<>":
		r.both = true
	default:
		return fmt.Errorf("direction %q not supported (want -> or <>)", f[4])
	}
	dst, err := gp.addr(f[5], 0)
	if err != nil {
		return fmt.Errorf("destination address: %w", err)
	}
	r.dst = newAddrMatcher(dst)
	if r.dp, err = gp.port(f[6], 0); err != nil {
		return fmt.Errorf("destination port: %w", err)
	}
	return nil
}

// headerFields splits the header on spaces outside [ ].
func headerFields(h string) []string {
	var out []string
	depth, start := 0, -1
	for i := 0; i < len(h); i++ {
		c := h[i]
		switch {
		case c == '[':
			depth++
		case c == ']':
			depth--
		}
		if (c == ' ' || c == '\t') && depth <= 0 {
			if start >= 0 {
				out = append(out, h[start:i])
				start = -1
			}
			continue
		}
		if start < 0 {
			start = i
		}
	}
	if start >= 0 {
		out = append(out, h[start:])
	}
	return out
}

// unsupportedKeywords gives the reason for keywords known but not run.
var unsupportedKeywords = map[string]string{
	"byte_extract":       "byte_extract (variables) not supported",
	"byte_math":          "byte_math not supported",
	"xbits":              "xbits (cross-flow bits) not supported",
	"base64_decode":      "base64_decode not supported",
	"base64_data":        "base64_data not supported",
	"tls.version":        "TLS field not parsed (tls.version)",
	"tls.cert_subject":   "TLS field not parsed (tls.cert_subject)",
	"tls_cert_subject":   "TLS field not parsed (tls_cert_subject)",
	"tls.cert_issuer":    "TLS field not parsed (tls.cert_issuer)",
	"ssl_state":          "TLS field not parsed (ssl_state)",
	"ssl_version":        "TLS field not parsed (ssl_version)",
	"app-layer-event":    "app-layer-event not supported",
	"app-layer-protocol": "app-layer-protocol not supported",
	"decode-event":       "decode-event not supported",
	"stream_size":        "stream_size needs stream reassembly",
	"tag":                "tag (logging further packets) not supported",
	"frame":              "frame (app-layer frames) not supported",
	"dotprefix":          "dotprefix transform not supported",
	"ssh_proto":          "SSH is not parsed (ssh_proto)",
	"ssh.proto":          "SSH is not parsed (ssh.proto)",
	"ssh.software":       "SSH is not parsed (ssh.software)",
	"sameip":             "sameip not supported",
	"ipopts":             "ipopts not supported",
	"fragbits":           "fragbits not supported",
	"fragoffset":         "fragoffset not supported",
	"window":             "window not supported",
	"seq":                "seq not supported",
	"ack":                "ack not supported",
	"id":                 "id (IP ID) not supported",
	"ttl":                "ttl not supported",
	"tcp.flags":          "tcp.flags sticky buffer not supported",
	"tcp.hdr":            "tcp.hdr sticky buffer not supported",
	"itype":              "itype not supported",
	"icode":              "icode not supported",
	"icmp_id":            "icmp_id not supported",
	"icmp_seq":           "icmp_seq not supported",
	"ipv4-csum":          "ipv4-csum not supported",
	"tcpv4-csum":         "tcpv4-csum not supported",
}

// option handles one option.
func (p *parser) option(o option) error {
	r := p.r
	switch o.key {
	case "sid", "gid", "rev":
		return nil
	case "msg":
		v, err := unquote(o.val)
		if err != nil {
			return fmt.Errorf("msg: %w", err)
		}
		r.Msg = v
		return nil
	case "classtype":
		r.Classtype = o.val
		return nil
	case "priority":
		n, err := strconv.Atoi(o.val)
		if err != nil || n < 1 || n > 255 {
			return fmt.Errorf("priority %q: want 1-255", o.val)
		}
		r.Priority = n
		return nil
	case "reference":
		r.References = append(r.References, o.val)
		return nil
	case "metadata":
		for _, m := range splitComma(o.val) {
			if m != "" {
				r.Metadata = append(r.Metadata, m)
			}
		}
		return nil
	case "target", "rawbytes", "noalert":
		if o.key == "noalert" {
			r.noalert = true
		}
		return nil
	case "content":
		return p.content(o.val)
	case "nocase", "depth", "offset", "distance", "within", "startswith", "endswith", "fast_pattern":
		return p.modifier(o)
	case "pcre":
		return p.pcre(o.val)
	case "isdataat":
		return p.isdataat(o.val)
	case "byte_test", "byte_jump":
		bop, err := parseByteOp(o.key, o.val)
		if err != nil {
			return err
		}
		k := ekByteTest
		if o.key == "byte_jump" {
			k = ekByteJump
		}
		p.add(elem{kind: k, bop: bop, relative: bop.relative}, bop.relative)
		return nil
	case "bsize":
		sz, err := parseSize(o.val)
		if err != nil {
			return fmt.Errorf("bsize: %w", err)
		}
		p.add(elem{kind: ekBsize, size: sz}, false)
		return nil
	case "urilen":
		v := o.val
		buf := BufURI
		if i := strings.IndexByte(v, ','); i >= 0 {
			switch strings.TrimSpace(v[i+1:]) {
			case "raw":
				buf = BufURIRaw
			case "norm":
			default:
				return fmt.Errorf("urilen %q: want norm or raw", v)
			}
			v = v[:i]
		}
		sz, err := parseSize(v)
		if err != nil {
			return fmt.Errorf("urilen: %w", err)
		}
		p.elems = append(p.elems, pelem{buf: buf, e: elem{kind: ekBsize, size: sz}})
		return nil
	case "dsize":
		sz, err := parseSize(o.val)
		if err != nil {
			return fmt.Errorf("dsize: %w", err)
		}
		r.dsize = &sz
		return nil
	case "flow":
		return p.flow(o.val)
	case "flags":
		return p.flags(o.val)
	case "flowbits":
		return p.flowbits(o.val)
	case "threshold", "detection_filter":
		return p.threshold(o.key, o.val)
	case "ip_proto":
		n, err := strconv.Atoi(o.val)
		if err != nil || n < 0 || n > 255 {
			switch strings.ToLower(o.val) {
			case "tcp":
				n = 6
			case "udp":
				n = 17
			case "icmp":
				n = 1
			default:
				return fmt.Errorf("ip_proto %q not supported", o.val)
			}
		}
		r.ipProto = n
		return nil
	case "file.data", "file_data":
		p.sticky, p.hasSt, p.fileDat = BufRequestBody, true, true
		return nil
	}
	if b, ok := stickyBuffers[o.key]; ok && !o.hasVal {
		p.sticky, p.hasSt, p.fileDat = b, true, false
		return nil
	}
	if b, ok := legacyModifiers[o.key]; ok && !o.hasVal {
		if p.last < 0 {
			return fmt.Errorf("%s without a content before it", o.key)
		}
		p.elems[p.last].buf = b
		p.elems[p.last].fileData = false
		return nil
	}
	if why, ok := unsupportedKeywords[o.key]; ok && why != "" {
		return errors.New(why)
	}
	if strings.HasPrefix(o.key, "http.") || strings.HasPrefix(o.key, "http_") {
		return fmt.Errorf("HTTP buffer %s not supported", o.key)
	}
	return fmt.Errorf("keyword %s not supported", o.key)
}

// add appends a non-content element to the sticky buffer, or, for a relative
// element without a sticky buffer, to the buffer of the last content/pcre.
func (p *parser) add(e elem, relative bool) {
	buf, fd := p.sticky, p.fileDat
	if relative && !p.hasSt && p.lastAny >= 0 {
		buf, fd = p.elems[p.lastAny].buf, p.elems[p.lastAny].fileData
	}
	p.elems = append(p.elems, pelem{buf: buf, fileData: fd, e: e})
}

func (p *parser) content(v string) error {
	if len(p.elems) >= MaxElements {
		return fmt.Errorf("more than %d detection keywords", MaxElements)
	}
	neg := false
	if strings.HasPrefix(v, "!") {
		neg = true
		v = strings.TrimSpace(v[1:])
	}
	pat, err := decodeContent(v)
	if err != nil {
		return fmt.Errorf("content: %w", err)
	}
	p.elems = append(p.elems, pelem{buf: p.sticky, fileData: p.fileDat, e: elem{kind: ekContent, pat: pat, neg: neg}})
	p.last = len(p.elems) - 1
	p.lastAny = p.last
	return nil
}

// decodeContent decodes a quoted content value with |hex| sections and the
// escapes \" \; \\ \: .
func decodeContent(v string) ([]byte, error) {
	if len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
		return nil, errors.New("value must be in double quotes")
	}
	v = v[1 : len(v)-1]
	out := make([]byte, 0, len(v))
	hex := false
	var nib int = -1
	for i := 0; i < len(v); i++ {
		c := v[i]
		if hex {
			switch {
			case c == '|':
				if nib >= 0 {
					return nil, errors.New("odd number of hex digits")
				}
				hex = false
			case c == ' ' || c == '\t':
				if nib >= 0 {
					return nil, errors.New("space inside a hex byte")
				}
			default:
				d := hexVal(c)
				if d < 0 {
					return nil, fmt.Errorf("bad hex digit %q", c)
				}
				if nib < 0 {
					nib = d
				} else {
					out = append(out, byte(nib<<4|d))
					nib = -1
				}
			}
			continue
		}
		switch c {
		case '|':
			hex = true
		case '\\':
			if i+1 >= len(v) {
				return nil, errors.New("trailing backslash")
			}
			i++
			switch v[i] {
			case '"', ';', '\\', ':', '|':
				out = append(out, v[i])
			default:
				return nil, fmt.Errorf("unknown escape \\%c", v[i])
			}
		case '"':
			return nil, errors.New("unescaped double quote")
		case ';':
			return nil, errors.New("unescaped ';'")
		default:
			out = append(out, c)
		}
		if len(out) > MaxContentLen {
			return nil, fmt.Errorf("longer than %d bytes", MaxContentLen)
		}
	}
	if hex {
		return nil, errors.New("unterminated |hex| section")
	}
	if len(out) == 0 {
		return nil, errors.New("empty")
	}
	return out, nil
}

func hexVal(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// modifier applies a content modifier to the last content.
func (p *parser) modifier(o option) error {
	if p.last < 0 {
		return fmt.Errorf("%s without a content before it", o.key)
	}
	e := &p.elems[p.last].e
	num := func() (int, error) {
		n, err := strconv.Atoi(o.val)
		if err != nil {
			return 0, fmt.Errorf("%s %q: want a number (byte_extract variables are not supported)", o.key, o.val)
		}
		if n > 65535 || n < -65535 {
			return 0, fmt.Errorf("%s %d out of range", o.key, n)
		}
		return n, nil
	}
	var err error
	switch o.key {
	case "nocase":
		e.nocase = true
	case "depth":
		if e.depth, err = num(); err != nil {
			return err
		}
		if e.depth <= 0 {
			return errors.New("depth must be positive")
		}
		e.hasDepth = true
	case "offset":
		if e.offset, err = num(); err != nil {
			return err
		}
		if e.offset < 0 {
			return errors.New("offset must not be negative")
		}
		e.hasOffset = true
	case "distance":
		if e.distance, err = num(); err != nil {
			return err
		}
		e.hasDistance = true
	case "within":
		if e.within, err = num(); err != nil {
			return err
		}
		if e.within <= 0 {
			return errors.New("within must be positive")
		}
		e.hasWithin = true
	case "startswith":
		e.startswith = true
	case "endswith":
		e.endswith = true
	case "fast_pattern":
		e.fastPattern = true
		switch {
		case !o.hasVal:
		case o.val == "only":
			e.fpOnly = true
		default:
			parts := splitComma(o.val)
			if len(parts) != 2 {
				return fmt.Errorf("fast_pattern %q: want only or OFFSET,LENGTH", o.val)
			}
			a, err1 := strconv.Atoi(parts[0])
			b, err2 := strconv.Atoi(parts[1])
			if err1 != nil || err2 != nil || a < 0 || b <= 0 {
				return fmt.Errorf("fast_pattern %q: want only or OFFSET,LENGTH", o.val)
			}
			e.fpOff, e.fpLen, e.hasFPRange = a, b, true
		}
	}
	return nil
}

func (p *parser) isdataat(v string) error {
	neg := false
	if strings.HasPrefix(v, "!") {
		neg = true
		v = v[1:]
	}
	parts := splitComma(v)
	n, err := strconv.Atoi(parts[0])
	if err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("isdataat %q: want a number (byte_extract variables are not supported)", v)
	}
	rel := false
	for _, x := range parts[1:] {
		switch x {
		case "relative":
			rel = true
		case "rawbytes":
		default:
			return fmt.Errorf("isdataat option %q not supported", x)
		}
	}
	p.add(elem{kind: ekIsdataat, n: n, neg: neg, relative: rel}, rel)
	return nil
}

// parseSize parses bsize/dsize/urilen: "N", "<N", ">N", "<=N", ">=N",
// "!N", "N<>M".
func parseSize(v string) (sizeCmp, error) {
	v = strings.TrimSpace(v)
	num := func(s string) (int, error) {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 0 {
			return 0, fmt.Errorf("%q: want a size", v)
		}
		return n, nil
	}
	if i := strings.Index(v, "<>"); i >= 0 {
		lo, err := num(v[:i])
		if err != nil {
			return sizeCmp{}, err
		}
		hi, err := num(v[i+2:])
		if err != nil {
			return sizeCmp{}, err
		}
		if hi <= lo {
			return sizeCmp{}, fmt.Errorf("%q: range upper bound not above lower", v)
		}
		return sizeCmp{op: 'r', lo: lo, hi: hi}, nil
	}
	op := byte('=')
	switch {
	case strings.HasPrefix(v, "<="):
		op, v = 'l', v[2:]
	case strings.HasPrefix(v, ">="):
		op, v = 'g', v[2:]
	case strings.HasPrefix(v, "<"):
		op, v = '<', v[1:]
	case strings.HasPrefix(v, ">"):
		op, v = '>', v[1:]
	case strings.HasPrefix(v, "!"):
		op, v = '!', v[1:]
	case strings.HasPrefix(v, "="):
		v = v[1:]
	}
	n, err := num(v)
	if err != nil {
		return sizeCmp{}, err
	}
	return sizeCmp{op: op, lo: n}, nil
}

func (p *parser) flow(v string) error {
	f := &p.r.flow
	f.set = true
	for _, x := range splitComma(v) {
		switch strings.ToLower(x) {
		case "established":
			f.established = 1
		case "not_established":
			f.established = -1
		case "stateless":
		case "to_server", "from_client":
			f.dir = 1
		case "to_client", "from_server":
			f.dir = -1
		case "only_stream":
			f.stream = 1
		case "no_stream":
			f.stream = -1
		case "no_frag", "only_frag":
		default:
			return fmt.Errorf("flow option %q not supported", x)
		}
	}
	return nil
}

// TCP flag bits as in the TCP header.
const (
	flagFIN = 0x01
	flagSYN = 0x02
	flagRST = 0x04
	flagPSH = 0x08
	flagACK = 0x10
	flagURG = 0x20
	flagECE = 0x40
	flagCWR = 0x80
)

func flagBits(s string) (uint8, error) {
	var b uint8
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case 'F', 'f':
			b |= flagFIN
		case 'S', 's':
			b |= flagSYN
		case 'R', 'r':
			b |= flagRST
		case 'P', 'p':
			b |= flagPSH
		case 'A', 'a':
			b |= flagACK
		case 'U', 'u':
			b |= flagURG
		case 'E', 'e', '2':
			b |= flagECE
		case 'C', 'c', '1':
			b |= flagCWR
		case ' ':
		default:
			return 0, fmt.Errorf("flags: unknown flag %q", s[i])
		}
	}
	return b, nil
}

func (p *parser) flags(v string) error {
	f := &flagsOpt{}
	parts := splitComma(v)
	s := parts[0]
	if s != "" && strings.ContainsRune("+*!", rune(s[0])) {
		f.mod = s[0]
		s = s[1:]
	}
	if s != "" && strings.ContainsRune("+*", rune(s[len(s)-1])) {
		f.mod = s[len(s)-1]
		s = s[:len(s)-1]
	}
	if s == "0" {
		f.zero = true
	} else {
		b, err := flagBits(s)
		if err != nil {
			return err
		}
		if b == 0 {
			return fmt.Errorf("flags %q: no flags", v)
		}
		f.bits = b
	}
	if len(parts) > 1 {
		m, err := flagBits(parts[1])
		if err != nil {
			return err
		}
		f.mask = m
	}
	if len(parts) > 2 {
		return fmt.Errorf("flags %q: too many arguments", v)
	}
	p.r.flags = f
	return nil
}

func (p *parser) flowbits(v string) error {
	parts := splitComma(v)
	op := flowbitOp{}
	switch parts[0] {
	case "noalert":
		p.r.noalert = true
		return nil
	case "set":
		op.cmd = 's'
	case "unset":
		op.cmd = 'u'
	case "toggle":
		op.cmd = 't'
	case "isset":
		op.cmd = 'i'
	case "isnotset":
		op.cmd = 'n'
	default:
		return fmt.Errorf("flowbits %q not supported", parts[0])
	}
	if len(parts) != 2 || parts[1] == "" {
		return fmt.Errorf("flowbits %q: want COMMAND,NAME", v)
	}
	name := parts[1]
	sep := ""
	switch {
	case strings.Contains(name, "|"):
		sep, op.any = "|", true
	case strings.Contains(name, "&"):
		sep = "&"
	}
	names := []string{name}
	if sep != "" {
		if op.cmd != 'i' && op.cmd != 'n' && sep == "&" {
			return fmt.Errorf("flowbits %q: & only with isset/isnotset", v)
		}
		names = strings.Split(name, sep)
	}
	for _, n := range names {
		n = strings.TrimSpace(n)
		if n == "" || len(n) > maxFlowbitName {
			return fmt.Errorf("flowbits %q: bad name", v)
		}
		id, err := p.bits.id(n)
		if err != nil {
			return err
		}
		op.bits = append(op.bits, id)
	}
	p.r.flowbits = append(p.r.flowbits, op)
	return nil
}

func (p *parser) threshold(key, v string) error {
	t := &threshold{}
	if key == "detection_filter" {
		t.kind = 'd'
	}
	for _, part := range splitComma(v) {
		f := strings.Fields(part)
		if len(f) != 2 {
			return fmt.Errorf("%s %q: want NAME VALUE pairs", key, v)
		}
		switch f[0] {
		case "type":
			if key == "detection_filter" {
				return fmt.Errorf("detection_filter has no type")
			}
			switch f[1] {
			case "limit":
				t.kind = 'l'
			case "threshold":
				t.kind = 't'
			case "both":
				t.kind = 'b'
			default:
				return fmt.Errorf("%s type %q not supported", key, f[1])
			}
		case "track":
			switch f[1] {
			case "by_src":
				t.track = 's'
			case "by_dst":
				t.track = 'd'
			case "by_rule":
				t.track = 'r'
			case "by_both":
				t.track = 'b'
			default:
				return fmt.Errorf("%s track %q not supported", key, f[1])
			}
		case "count", "seconds":
			n, err := strconv.ParseUint(f[1], 10, 32)
			if err != nil {
				return fmt.Errorf("%s %s %q: want a number", key, f[0], f[1])
			}
			if f[0] == "count" {
				t.count = uint32(n)
			} else {
				t.seconds = uint32(n)
			}
		default:
			return fmt.Errorf("%s %q: unknown field %s", key, v, f[0])
		}
	}
	if t.kind == 0 || t.track == 0 || t.count == 0 {
		return fmt.Errorf("%s %q: type, track and count are required", key, v)
	}
	if p.r.thr != nil {
		return fmt.Errorf("more than one threshold/detection_filter")
	}
	p.r.thr = t
	return nil
}
