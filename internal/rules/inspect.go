package rules

import (
	"bytes"
	"io"
	"regexp"
)

// inspect evaluates l.elems[i:] on buf with the previous match ending at
// prev. Contents followed by a relative element are retried at each later
// occurrence when the rest fails (as Suricata does), within the step budget.
func (m *Matcher) inspect(l *list, buf []byte, i, prev int) bool {
	for ; i < len(l.elems); i++ {
		e := &l.elems[i]
		switch e.kind {
		case ekContent:
			lo, hi := window(e, len(buf), prev)
			if e.neg {
				if lo <= hi && hi-lo >= len(e.pat) && indexIn(buf[lo:hi], e) >= 0 {
					return false
				}
				continue
			}
			backtrack := i+1 < len(l.elems) && l.elems[i+1].isRelative()
			for lo <= hi-len(e.pat) {
				k := indexIn(buf[lo:hi], e)
				if k < 0 {
					return false
				}
				s := lo + k
				end := s + len(e.pat)
				m.steps--
				if m.steps < 0 {
					return false
				}
				if !backtrack {
					m.record(e, s, end, prev, i)
					prev = end
					goto next
				}
				if m.inspect(l, buf, i+1, end) {
					m.record(e, s, end, prev, i)
					return true
				}
				lo = s + 1
			}
			return false
		case ekPcre:
			start := 0
			if e.relative {
				start = prev
			}
			if start > len(buf) {
				return e.neg
			}
			ok, end := m.reMatch(e.re, buf[start:], e.needEnd && !e.neg)
			if ok == e.neg {
				return false
			}
			if !e.neg {
				if e.needEnd && m.spanSet && m.span.Start < 0 {
					m.span = Alert{Buffer: l.buf, Start: int32(start), End: int32(start + end)}
				}
				if e.needEnd {
					prev = start + end
				}
			}
		case ekIsdataat:
			// As in Suricata: absolute isdataat:N wants a byte at offset N;
			// relative wants N more bytes after the previous match.
			has := e.n < len(buf)
			if e.relative {
				has = prev+e.n <= len(buf)
			}
			if has == e.neg {
				return false
			}
		case ekByteTest:
			b := e.bop
			pos := b.offset
			if b.relative {
				pos += prev
			}
			if b.fromEnd {
				pos = len(buf) + b.offset
			}
			v, ok := b.extract(buf, pos)
			if !ok || !b.test(v) {
				return false
			}
		case ekByteJump:
			b := e.bop
			pos := b.offset
			if b.relative {
				pos += prev
			}
			v, ok := b.extract(buf, pos)
			if !ok || v > 1<<30 {
				return false
			}
			j := int(v * b.mult)
			if b.align && j%4 != 0 {
				j += 4 - j%4
			}
			switch {
			case b.fromBegin:
				j += b.post
			case b.fromEnd:
				j = len(buf) + j + b.post
			default:
				j += pos + b.nbytes + b.post
			}
			if j < 0 || j > len(buf) {
				return false
			}
			prev = j
		case ekBsize:
			if !e.size.match(len(buf)) {
				return false
			}
		}
	next:
	}
	return true
}

// record notes the first content match of the first list for the alert.
func (m *Matcher) record(e *elem, s, end, _ int, i int) {
	if m.spanSet && (m.span.Start < 0 || i == 0) {
		m.span.Buffer, m.span.Start, m.span.End = m.curBuf, int32(s), int32(end)
	}
}

// window returns the byte range a content must lie in.
func window(e *elem, n, prev int) (lo, hi int) {
	hi = n
	switch {
	case e.startswith:
		lo, hi = 0, min(n, len(e.pat))
	case e.hasDistance || e.hasWithin:
		lo = prev + e.distance
		if lo < 0 {
			lo = 0
		}
		if e.hasWithin {
			hi = min(n, prev+e.distance+e.within)
		}
	default:
		lo = e.offset
		if e.hasDepth {
			hi = min(n, e.offset+e.depth)
		}
	}
	if e.endswith {
		if s := n - len(e.pat); s > lo {
			lo = s
		}
	}
	if lo > n {
		lo = n
	}
	if hi < lo {
		hi = lo
	}
	return lo, hi
}

// indexIn finds the content in b.
func indexIn(b []byte, e *elem) int {
	if !e.nocase {
		return bytes.Index(b, e.pat)
	}
	return indexFold(b, e.fold)
}

// indexFold finds lower-cased pat in b under ASCII case folding.
func indexFold(b, pat []byte) int {
	n := len(pat)
	if n == 0 {
		return 0
	}
	c0 := pat[0]
	c1 := c0
	if c0-'a' < 26 {
		c1 = c0 - 32
	}
	for i := 0; i+n <= len(b); i++ {
		c := b[i]
		if c != c0 && c != c1 {
			// Skip ahead to the next candidate first byte.
			j := bytes.IndexByte(b[i:len(b)-n+1], c0)
			if c1 != c0 {
				if k := bytes.IndexByte(b[i:len(b)-n+1], c1); k >= 0 && (j < 0 || k < j) {
					j = k
				}
			}
			if j < 0 {
				return -1
			}
			i += j
		}
		k := 1
		for k < n && lowerASCII(b[i+k]) == pat[k] {
			k++
		}
		if k == n {
			return i
		}
	}
	return -1
}

// reMatch runs a translated pcre on b, every byte one character. An ASCII
// subject runs as is; otherwise the bytes are fed as runes 0-255 through a
// RuneReader, so \xff in the pattern matches the byte 0xff (Go would read
// invalid UTF-8 as U+FFFD). end (with wantEnd) is the match end; finding it
// allocates the two-int result of FindIndex, only on a match.
func (m *Matcher) reMatch(re *regexp.Regexp, b []byte, wantEnd bool) (bool, int) {
	ascii := true
	for _, c := range b {
		if c >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		if !wantEnd {
			return re.Match(b), 0
		}
		loc := re.FindIndex(b)
		if loc == nil {
			return false, 0
		}
		return true, loc[1]
	}
	m.rr = byteRuneReader{b: b}
	if !wantEnd {
		return re.MatchReader(&m.rr), 0
	}
	m.rr = byteRuneReader{b: b}
	loc := re.FindReaderIndex(&m.rr)
	if loc == nil {
		return false, 0
	}
	return true, loc[1]
}

// byteRuneReader reads each byte as one rune of value 0-255 and size 1.
type byteRuneReader struct {
	b []byte
	i int
}

// ReadRune implements io.RuneReader.
func (r *byteRuneReader) ReadRune() (rune, int, error) {
	if r.i >= len(r.b) {
		return 0, 0, io.EOF
	}
	c := r.b[r.i]
	r.i++
	return rune(c), 1, nil
}
