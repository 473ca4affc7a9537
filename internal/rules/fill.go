package rules

import (
	"github.com/honeyscope/honeyscope/internal/rules/appproto"
)

// fillTCP sets the HTTP or TLS buffers of a TCP payload.
func (m *Matcher) fillTCP(p []byte) {
	e := m.e
	if p[0] == 22 {
		if e.tlsRules || e.needs&(1<<BufTLSCerts|1<<BufTLSSNI) != 0 {
			if appproto.ParseTLS(p, &m.tls, m.tlsbuf[:0:cap(m.tlsbuf)]) {
				m.isTLS = true
				if m.tls.SNI != nil {
					m.set(BufTLSSNI, m.tls.SNI)
				}
				if m.tls.NCerts > 0 {
					m.has |= 1 << BufTLSCerts
				}
			}
		}
		return
	}
	if !appproto.ParseHTTP(p, &m.http) {
		return
	}
	h := &m.http
	m.set(BufStart, h.Start)
	m.set(BufHeaderRaw, h.HeaderBlock)
	if h.Protocol != nil {
		m.set(BufProtocol, h.Protocol)
	}
	if h.Request {
		m.set(BufMethod, h.Method)
		m.set(BufURIRaw, h.URI)
		m.set(BufRequestLine, h.StartLine)
		if e.needs&(1<<BufURI) != 0 {
			m.uri = normalizeURI(m.uri[:0], h.URI)
			m.set(BufURI, m.uri)
		}
		if h.Complete && len(h.Body) > 0 {
			m.set(BufRequestBody, h.Body)
		}
	} else {
		m.set(BufStatCode, h.StatCode)
		m.set(BufStatMsg, h.StatMsg)
		m.set(BufResponseLine, h.StartLine)
		if h.Complete && len(h.Body) > 0 {
			m.set(BufResponseBody, h.Body)
		}
	}
	if e.needs&(1<<BufHeader) != 0 && h.NFields > 0 {
		b := m.hdrBuf[:0]
		for i := 0; i < h.NFields && len(b) < MaxNormalized; i++ {
			f := &h.Fields[i]
			b = append(b, f.Name...)
			b = append(b, ": "...)
			b = append(b, f.Value...)
			b = append(b, "\r\n"...)
		}
		if h.Complete {
			b = append(b, "\r\n"...)
		}
		m.hdrBuf = b
		m.set(BufHeader, b)
	}
	if e.needs&(1<<BufHeaderNames) != 0 && h.NFields > 0 {
		b := append(m.names[:0], "\r\n"...)
		for i := 0; i < h.NFields && len(b) < MaxNormalized; i++ {
			b = append(b, h.Fields[i].Name...)
			b = append(b, "\r\n"...)
		}
		b = append(b, "\r\n"...)
		m.names = b
		m.set(BufHeaderNames, b)
	}
	for i := 0; i < h.NFields; i++ {
		f := &h.Fields[i]
		var b Buffer
		switch {
		case eqFold(f.Name, "user-agent"):
			b = BufUserAgent
		case eqFold(f.Name, "host"):
			m.set(BufHostRaw, f.Value)
			if e.needs&(1<<BufHost) != 0 {
				m.host = normalizeHost(m.host[:0], f.Value)
				m.set(BufHost, m.host)
			}
			continue
		case eqFold(f.Name, "cookie") || eqFold(f.Name, "set-cookie"):
			b = BufCookie
		case eqFold(f.Name, "content-type"):
			b = BufContentType
		case eqFold(f.Name, "referer"):
			b = BufReferer
		case eqFold(f.Name, "content-length"):
			b = BufContentLen
		case eqFold(f.Name, "accept"):
			b = BufAccept
		case eqFold(f.Name, "accept-encoding"):
			b = BufAcceptEnc
		case eqFold(f.Name, "accept-language"):
			b = BufAcceptLang
		case eqFold(f.Name, "connection"):
			b = BufConnection
		case eqFold(f.Name, "server"):
			b = BufServer
		case eqFold(f.Name, "location"):
			b = BufLocation
		default:
			continue
		}
		if m.has&(1<<b) == 0 {
			m.set(b, f.Value)
		}
	}
}

// fillUDP sets the DNS buffer of a UDP payload.
func (m *Matcher) fillUDP(p []byte) {
	if m.e.needs&(1<<BufDNSQuery) == 0 && !m.e.dnsRules {
		return
	}
	if name, ok := appproto.ParseDNSQuery(p, m.dns[:0:cap(m.dns)]); ok {
		m.set(BufDNSQuery, name)
	}
}

func (m *Matcher) set(b Buffer, v []byte) {
	m.bufs[b] = v
	m.has |= 1 << b
}

func eqFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range b {
		if lowerASCII(b[i]) != s[i] {
			return false
		}
	}
	return true
}

// normalizeURI appends the normalized form of a request target to dst:
// %XX decoded, and in the path (before '?') "." and ".." segments resolved
// and repeated slashes folded, as libhtp does by default for Suricata's
// http.uri. Bounded by MaxNormalized.
func normalizeURI(dst, u []byte) []byte {
	if len(u) > MaxNormalized {
		u = u[:MaxNormalized]
	}
	q := len(u)
	for i, c := range u {
		if c == '?' {
			q = i
			break
		}
	}
	start := len(dst)
	path := u[:q]
	for i := 0; i < len(path); i++ {
		c := path[i]
		if c == '%' && i+2 < len(path) && hexVal(path[i+1]) >= 0 && hexVal(path[i+2]) >= 0 {
			c = byte(hexVal(path[i+1])<<4 | hexVal(path[i+2]))
			i += 2
		}
		dst = append(dst, c)
	}
	dst = removeDots(dst, start)
	for i := q; i < len(u); i++ {
		c := u[i]
		if c == '%' && i+2 < len(u) && hexVal(u[i+1]) >= 0 && hexVal(u[i+2]) >= 0 {
			c = byte(hexVal(u[i+1])<<4 | hexVal(u[i+2]))
			i += 2
		}
		dst = append(dst, c)
	}
	return dst
}

// removeDots resolves "." and ".." segments and folds "//" in b[start:],
// in place.
func removeDots(b []byte, start int) []byte {
	p := b[start:]
	if len(p) == 0 || p[0] != '/' {
		return b
	}
	w := 0
	i := 0
	for i < len(p) {
		// p[i] == '/': read the segment after it.
		j := i + 1
		for j < len(p) && p[j] != '/' {
			j++
		}
		seg := p[i+1 : j]
		switch {
		case len(seg) == 0 && j < len(p):
			// "//": fold.
		case len(seg) == 1 && seg[0] == '.':
			if j == len(p) {
				p[w] = '/'
				w++
			}
		case len(seg) == 2 && seg[0] == '.' && seg[1] == '.':
			for w > 0 {
				w--
				if p[w] == '/' {
					break
				}
			}
			if j == len(p) {
				p[w] = '/'
				w++
			}
		default:
			p[w] = '/'
			w++
			w += copy(p[w:], seg)
		}
		i = j
	}
	return b[:start+w]
}

// normalizeHost appends the lower-cased host without a port.
func normalizeHost(dst, h []byte) []byte {
	end := len(h)
	if len(h) > 0 && h[0] == '[' {
		for i, c := range h {
			if c == ']' {
				end = i + 1
				break
			}
		}
	} else {
		for i, c := range h {
			if c == ':' {
				end = i
				break
			}
		}
	}
	for _, c := range h[:min(end, MaxNormalized)] {
		dst = append(dst, lowerASCII(c))
	}
	return dst
}
