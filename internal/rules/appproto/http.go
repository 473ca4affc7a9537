// Package appproto parses the application messages the rule engine
// inspects out of one packet payload, without reassembly and without
// allocating: an HTTP/1.x request or response (start line, header fields,
// body), a TLS handshake (server name, certificates) and a DNS question.
// Every result is a slice of the payload (or of a scratch buffer the caller
// owns); every count is bounded. A payload that does not start the message
// is not that protocol: parsers only look at what a single packet carries.
package appproto

// MaxFields is the number of HTTP header fields kept; later ones are ignored.
const MaxFields = 64

// MaxMethod is the longest HTTP method token accepted.
const MaxMethod = 24

// Field is one HTTP header field, name and value as sent (value trimmed of
// surrounding white space).
type Field struct {
	Name, Value []byte
}

// HTTP is an HTTP/1.x request or response parsed from one payload.
type HTTP struct {
	Request bool // a request line was parsed (else a status line)

	Method, URI, Protocol []byte // request line parts
	StatCode, StatMsg     []byte // status line parts
	StartLine             []byte // request or status line, without its line end

	// Headers is the header block as received: from after the start line to
	// the end of the last header line (its line end included), not the blank
	// line. Start is everything up to and including the blank line (or to
	// the end of the payload when it has none).
	Headers, Start []byte
	// HeaderBlock is Headers followed by the blank line when there is one.
	HeaderBlock []byte
	Fields      [MaxFields]Field
	NFields     int
	Complete    bool   // the blank line ending the headers was seen
	Body        []byte // bytes after the blank line (what the packet holds)
}

// Header returns the value of the first field named name (ASCII
// case-insensitive), and whether there was one.
func (h *HTTP) Header(name string) ([]byte, bool) {
	for i := 0; i < h.NFields; i++ {
		if equalFold(h.Fields[i].Name, name) {
			return h.Fields[i].Value, true
		}
	}
	return nil, false
}

func equalFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range b {
		if lower(b[i]) != lower(s[i]) {
			return false
		}
	}
	return true
}

func lower(c byte) byte {
	if c-'A' < 26 {
		return c + 32
	}
	return c
}

// line returns the line starting at p[i:] without its line end and the
// index after the line end; ok is false when no line end follows.
func line(p []byte, i int) (l []byte, next int, ok bool) {
	for j := i; j < len(p); j++ {
		if p[j] == '\n' {
			e := j
			if e > i && p[e-1] == '\r' {
				e--
			}
			return p[i:e], j + 1, true
		}
	}
	return p[i:], len(p), false
}

func isTokenByte(c byte) bool {
	return c-'A' < 26 || c-'a' < 26 || c-'0' < 10 || c == '-' || c == '_' || c == '.' || c == '!' || c == '~'
}

// ParseHTTP parses p as the start of an HTTP/1.x request or response into h
// and reports whether it is one. A request line is METHOD SP TARGET [SP
// HTTP/x.y]; a status line is HTTP/x.y SP CODE [SP MESSAGE]. The start line
// must end within the payload.
func ParseHTTP(p []byte, h *HTTP) bool {
	*h = HTTP{}
	if len(p) < 5 {
		return false
	}
	sl, next, ok := line(p, 0)
	if !ok {
		return false
	}
	if len(sl) > 5 && string(sl[:5]) == "HTTP/" {
		sp := indexByte(sl, ' ')
		if sp < 0 || sp+4 > len(sl) {
			return false
		}
		code := sl[sp+1 : sp+4]
		for _, c := range code {
			if c-'0' >= 10 {
				return false
			}
		}
		if sp+4 < len(sl) && sl[sp+4] != ' ' {
			return false
		}
		h.Protocol, h.StatCode = sl[:sp], code
		if sp+5 <= len(sl) {
			h.StatMsg = sl[sp+5:]
		}
	} else {
		sp := indexByte(sl, ' ')
		if sp <= 0 || sp > MaxMethod {
			return false
		}
		for _, c := range sl[:sp] {
			if !isTokenByte(c) {
				return false
			}
		}
		h.Request = true
		h.Method = sl[:sp]
		rest := sl[sp+1:]
		// The target runs to the last space when a protocol follows.
		if k := lastIndexByte(rest, ' '); k >= 0 && len(rest)-k-1 >= 5 && string(rest[k+1:k+6]) == "HTTP/" {
			h.URI, h.Protocol = rest[:k], rest[k+1:]
		} else {
			h.URI = rest
		}
		if len(h.URI) == 0 {
			return false
		}
	}
	h.StartLine = sl
	hstart := next
	i := next
	for {
		if i >= len(p) {
			h.Headers, h.Start, h.HeaderBlock = p[hstart:], p, p[hstart:]
			return true
		}
		l, n, ok := line(p, i)
		if len(l) == 0 && ok {
			h.Headers, h.Start = p[hstart:i], p[:n]
			h.HeaderBlock = p[hstart:n]
			h.Complete = true
			h.Body = p[n:]
			return true
		}
		if !ok {
			// A header line cut by the end of the packet.
			h.Headers, h.Start, h.HeaderBlock = p[hstart:], p, p[hstart:]
			return true
		}
		if h.NFields < MaxFields && len(l) > 0 && l[0] != ' ' && l[0] != '\t' {
			if c := indexByte(l, ':'); c > 0 {
				h.Fields[h.NFields] = Field{Name: trim(l[:c]), Value: trim(l[c+1:])}
				h.NFields++
			}
		}
		i = n
	}
}

func trim(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}

func indexByte(b []byte, c byte) int {
	for i := range b {
		if b[i] == c {
			return i
		}
	}
	return -1
}

func lastIndexByte(b []byte, c byte) int {
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] == c {
			return i
		}
	}
	return -1
}
