package appproto

// MaxCerts is the number of certificates kept from a Certificate message.
const MaxCerts = 8

// TLS is what one payload shows of a TLS handshake.
type TLS struct {
	SNI    []byte // server_name of a ClientHello
	Certs  [MaxCerts][]byte
	NCerts int
}

// ParseTLS parses p as TLS records carrying handshake messages. Handshake
// fragments of consecutive records are joined in scratch (bounded by its
// capacity), so results may be slices of scratch. A certificate cut by the
// end of the payload is kept as far as it was captured. It reports whether
// p starts with a TLS handshake record.
func ParseTLS(p []byte, t *TLS, scratch []byte) bool {
	*t = TLS{}
	if len(p) < 5 || p[0] != 22 || p[1] != 3 || p[2] > 4 {
		return false
	}
	hs := scratch[:0]
	i := 0
	single := true
	var first []byte
	for i+5 <= len(p) && p[i] == 22 && p[i+1] == 3 {
		n := int(p[i+3])<<8 | int(p[i+4])
		frag := p[i+5 : min(len(p), i+5+n)]
		if first == nil {
			first = frag
		} else {
			single = false
		}
		if len(hs)+len(frag) <= cap(hs) {
			hs = append(hs, frag...)
		}
		i += 5 + n
	}
	if single {
		hs = first
	}
	for len(hs) >= 4 {
		typ := hs[0]
		n := int(hs[1])<<16 | int(hs[2])<<8 | int(hs[3])
		body := hs[4:min(len(hs), 4+n)]
		switch typ {
		case 1:
			t.SNI = clientHelloSNI(body)
		case 11:
			parseCerts(body, t)
		}
		if 4+n > len(hs) {
			break
		}
		hs = hs[4+n:]
	}
	return true
}

func parseCerts(b []byte, t *TLS) {
	if len(b) < 3 {
		return
	}
	b = b[3:]
	for len(b) >= 3 && t.NCerts < MaxCerts {
		n := int(b[0])<<16 | int(b[1])<<8 | int(b[2])
		c := b[3:min(len(b), 3+n)]
		if len(c) > 0 {
			t.Certs[t.NCerts] = c
			t.NCerts++
		}
		if 3+n > len(b) {
			return
		}
		b = b[3+n:]
	}
}

// clientHelloSNI returns the first host_name of the server_name extension.
func clientHelloSNI(b []byte) []byte {
	// version(2) random(32) session_id(1+n) cipher_suites(2+n)
	// compression(1+n) extensions(2+n)
	i := 34
	if i >= len(b) {
		return nil
	}
	i += 1 + int(b[i])
	if i+2 > len(b) {
		return nil
	}
	i += 2 + (int(b[i])<<8 | int(b[i+1]))
	if i >= len(b) {
		return nil
	}
	i += 1 + int(b[i])
	if i+2 > len(b) {
		return nil
	}
	end := min(len(b), i+2+(int(b[i])<<8|int(b[i+1])))
	i += 2
	for i+4 <= end {
		typ := int(b[i])<<8 | int(b[i+1])
		n := int(b[i+2])<<8 | int(b[i+3])
		ext := b[i+4 : min(end, i+4+n)]
		if typ == 0 && len(ext) >= 5 && ext[2] == 0 {
			ln := int(ext[3])<<8 | int(ext[4])
			return ext[5:min(len(ext), 5+ln)]
		}
		i += 4 + n
	}
	return nil
}
