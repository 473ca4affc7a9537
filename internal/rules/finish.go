package rules

import (
	"errors"
	"fmt"
)

// finish groups the elements by buffer, resolves file.data by direction,
// checks what can be checked only on the whole rule and picks the fast
// pattern.
func (p *parser) finish() error {
	r := p.r
	for i := range p.elems {
		pe := &p.elems[i]
		if pe.fileData && r.flow.dir < 0 {
			pe.buf = BufResponseBody
		}
	}
	for _, pe := range p.elems {
		var l *list
		for _, x := range r.lists {
			if x.buf == pe.buf {
				l = x
				break
			}
		}
		if l == nil {
			l = &list{buf: pe.buf}
			r.lists = append(r.lists, l)
		}
		l.elems = append(l.elems, pe.e)
		r.needs |= 1 << pe.buf
	}
	for _, l := range r.lists {
		if l.buf.isHTTP() && r.proto != ProtoHTTP && r.proto != ProtoTCP && r.proto != ProtoIP {
			return fmt.Errorf("%s in a %s rule", l.buf, r.Proto)
		}
		if (l.buf == BufTLSSNI || l.buf == BufTLSCerts) && r.proto != ProtoTLS && r.proto != ProtoTCP && r.proto != ProtoIP {
			return fmt.Errorf("%s in a %s rule", l.buf, r.Proto)
		}
		if l.buf == BufDNSQuery && r.proto != ProtoDNS && r.proto != ProtoUDP && r.proto != ProtoIP && r.proto != ProtoTCP {
			return fmt.Errorf("dns.query in a %s rule", r.Proto)
		}
		for i := range l.elems {
			e := &l.elems[i]
			if e.kind == ekContent {
				if err := checkContent(e); err != nil {
					return err
				}
			}
			if e.kind == ekPcre {
				for j := i + 1; j < len(l.elems); j++ {
					if l.elems[j].isRelative() {
						e.needEnd = true
						break
					}
					if l.elems[j].kind == ekContent || l.elems[j].kind == ekPcre {
						break
					}
				}
			}
		}
	}
	if (r.flags != nil) && r.proto != ProtoTCP && r.proto != ProtoHTTP && r.proto != ProtoTLS && r.proto != ProtoIP {
		return fmt.Errorf("flags in a %s rule", r.Proto)
	}
	r.fp = pickFastPattern(r)
	return nil
}

// checkContent rejects combinations Suricata rejects too.
func checkContent(e *elem) error {
	if e.nocase {
		e.fold = make([]byte, len(e.pat))
		for i, c := range e.pat {
			e.fold[i] = lowerASCII(c)
		}
	}
	rel := e.hasDistance || e.hasWithin
	if rel && (e.hasOffset || e.hasDepth) {
		return errors.New("content: offset/depth mixed with distance/within")
	}
	if e.startswith && (e.hasOffset || e.hasDepth || rel) {
		return errors.New("content: startswith with offset, depth, distance or within")
	}
	if e.hasDepth && e.depth < len(e.pat) {
		return fmt.Errorf("content: depth %d shorter than the pattern (%d bytes)", e.depth, len(e.pat))
	}
	if e.hasWithin && e.within < len(e.pat) {
		return fmt.Errorf("content: within %d shorter than the pattern (%d bytes)", e.within, len(e.pat))
	}
	if e.hasFPRange && e.fpOff+e.fpLen > len(e.pat) {
		return errors.New("content: fast_pattern range beyond the pattern")
	}
	return nil
}

// pickFastPattern returns the content a rule is prefiltered on: the one
// marked fast_pattern, else the longest positive content (a content of
// http.method only when no other buffer has one, as the method is a poor
// filter). A rule without positive content has none: it is evaluated for
// every packet of its protocol.
func pickFastPattern(r *Rule) fastPattern {
	var best *elem
	var bestBuf Buffer
	score := func(e *elem, b Buffer) int {
		s := len(e.pat)
		if b == BufMethod {
			s -= 1000
		}
		return s
	}
	for _, l := range r.lists {
		for i := range l.elems {
			e := &l.elems[i]
			if e.kind != ekContent || e.neg {
				continue
			}
			if e.fastPattern {
				pat := e.pat
				if e.hasFPRange {
					pat = pat[e.fpOff : e.fpOff+e.fpLen]
				}
				return fastPattern{ok: true, buf: l.buf, pat: pat, fold: e.nocase}
			}
			if best == nil || score(e, l.buf) > score(best, bestBuf) {
				best, bestBuf = e, l.buf
			}
		}
	}
	if best == nil {
		return fastPattern{}
	}
	return fastPattern{ok: true, buf: bestBuf, pat: best.pat, fold: best.nocase}
}

// lowerASCII folds A-Z to a-z.
func lowerASCII(b byte) byte {
	if b-'A' < 26 {
		return b + 32
	}
	return b
}
