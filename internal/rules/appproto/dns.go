package appproto

// ParseDNSQuery returns the name of the first question of the DNS message
// in p, dotted ("www.example.com"), written into scratch (at least 255
// bytes capacity for full names). ok is false when p is not a DNS query
// with a question, or the name uses compression or runs past p.
func ParseDNSQuery(p []byte, scratch []byte) (name []byte, ok bool) {
	if len(p) < 12+1 {
		return nil, false
	}
	if p[2]&0x80 != 0 { // QR: a response
		return nil, false
	}
	if qd := int(p[4])<<8 | int(p[5]); qd == 0 {
		return nil, false
	}
	out := scratch[:0]
	i := 12
	for {
		if i >= len(p) {
			return nil, false
		}
		n := int(p[i])
		if n == 0 {
			break
		}
		if n&0xc0 != 0 || i+1+n > len(p) {
			return nil, false
		}
		if len(out) > 0 {
			if len(out) >= cap(out) {
				return nil, false
			}
			out = append(out, '.')
		}
		if len(out)+n > cap(out) {
			return nil, false
		}
		out = append(out, p[i+1:i+1+n]...)
		i += 1 + n
	}
	return out, true
}
