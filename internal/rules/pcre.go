package rules

import (
	"errors"
	"fmt"
	"regexp"
	"regexp/syntax"
	"strconv"
	"strings"
)

// pcre flags handled (Suricata's pcre:"/re/flags"):
//
//	i s m x      as in PCRE: caseless (ASCII), dot matches newline, multiline
//	             ^ and $, extended (white space and # comments dropped)
//	A            anchored at the start of the buffer (or the relative position)
//	E            $ matches only at the very end (PCRE matches before a final
//	             newline too, which is the default here as well)
//	G            ungreedy (quantifiers lazy by default)
//	R            relative to the end of the previous match in the buffer
//	U I P Q H D M C K V W Z S Y   the buffer: http.uri, http.uri.raw,
//	             http.request_body, file.data, http.header, http.header.raw,
//	             http.method, http.cookie, http.cookie (raw), http.user_agent,
//	             http.host, http.host.raw, http.stat_code, http.stat_msg
//	B O          accepted and ignored (B: raw bytes, O: match limits)
//
// Patterns are translated to Go's regexp (RE2 syntax). PCRE features RE2
// cannot express make the rule unsupported: backreferences, lookahead and
// lookbehind, atomic groups, possessive quantifiers, \G, recursion and
// subroutine calls, conditionals, \K, callouts, counted repetition above
// 1000.

// pcreBuffers maps pcre buffer flags to buffers.
var pcreBuffers = map[byte]Buffer{
	'U': BufURI, 'I': BufURIRaw, 'P': BufRequestBody, 'Q': BufRequestBody, 'H': BufHeader,
	'D': BufHeaderRaw, 'M': BufMethod, 'C': BufCookie, 'K': BufCookie, 'V': BufUserAgent,
	'W': BufHost, 'Z': BufHostRaw, 'S': BufStatCode, 'Y': BufStatMsg,
}

func (p *parser) pcre(v string) error {
	if len(p.elems) >= MaxElements {
		return fmt.Errorf("more than %d detection keywords", MaxElements)
	}
	neg := false
	if strings.HasPrefix(v, "!") {
		neg = true
		v = strings.TrimSpace(v[1:])
	}
	s, err := unquotePcre(v)
	if err != nil {
		return err
	}
	if len(s) > MaxPcreLen {
		return fmt.Errorf("pcre longer than %d bytes", MaxPcreLen)
	}
	if len(s) < 2 {
		return errors.New("pcre: want /pattern/flags")
	}
	var pat, flags string
	if s[0] == '/' {
		end := strings.LastIndexByte(s, '/')
		if end == 0 {
			return errors.New("pcre: no closing /")
		}
		pat, flags = s[1:end], s[end+1:]
	} else if s[0] == 'm' && len(s) > 2 {
		d := s[1]
		end := strings.LastIndexByte(s, d)
		if end <= 1 {
			return errors.New("pcre: no closing delimiter")
		}
		pat, flags = s[2:end], s[end+1:]
	} else {
		return errors.New("pcre: want /pattern/flags")
	}
	var o pcreOpts
	buf, hasBuf := Buffer(0), false
	for i := 0; i < len(flags); i++ {
		c := flags[i]
		switch c {
		case 'i':
			o.i = true
		case 's':
			o.s = true
		case 'm':
			o.m = true
		case 'x':
			o.x = true
		case 'A':
			o.anchored = true
		case 'E':
			o.dollarEnd = true
		case 'G':
			o.ungreedy = true
		case 'R':
			o.relative = true
		case 'B', 'O':
		default:
			b, ok := pcreBuffers[c]
			if !ok {
				return fmt.Errorf("pcre flag %q not supported", c)
			}
			if hasBuf && b != buf {
				return errors.New("pcre: more than one buffer flag")
			}
			buf, hasBuf = b, true
		}
	}
	re, err := translatePcre(pat, o)
	if err != nil {
		return fmt.Errorf("pcre %q: %w", truncate(pat, 60), err)
	}
	e := elem{kind: ekPcre, re: re, neg: neg, relative: o.relative}
	if hasBuf {
		p.elems = append(p.elems, pelem{buf: buf, e: e})
	} else {
		p.add(e, o.relative)
	}
	p.lastAny = len(p.elems) - 1
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

type pcreOpts struct {
	i, s, m, x, anchored, dollarEnd, ungreedy, relative bool
}

// translatePcre rewrites a PCRE pattern in RE2 syntax and compiles it. Every
// byte of the subject is one character (PCRE without UTF): raw bytes 0x80
// and above in the pattern become \x{HH}, and the matcher feeds the subject
// byte by byte, so \xff in a pattern matches the byte 0xff.
func translatePcre(pat string, o pcreOpts) (*regexp.Regexp, error) {
	var b strings.Builder
	b.Grow(len(pat) + 16)
	flags := ""
	if o.i {
		flags += "i"
	}
	if o.s {
		flags += "s"
	}
	if o.m {
		flags += "m"
	}
	if o.ungreedy {
		flags += "U"
	}
	if flags != "" {
		b.WriteString("(?" + flags + ")")
	}
	if o.anchored {
		b.WriteString(`\A(?:`)
	}
	inClass := false
	classStart := false
	for i := 0; i < len(pat); i++ {
		c := pat[i]
		if c >= 0x80 {
			fmt.Fprintf(&b, `\x{%02x}`, c)
			classStart = false
			continue
		}
		if inClass {
			switch {
			case c == ']' && !classStart:
				inClass = false
				b.WriteByte(c)
			case c == '[' && i+1 < len(pat) && pat[i+1] == ':':
				end := strings.Index(pat[i:], ":]")
				if end < 0 {
					return nil, errors.New("unterminated [: class")
				}
				b.WriteString(pat[i : i+end+2])
				i += end + 1
			case c == '[':
				b.WriteString(`\[`)
			case c == '\\':
				n, err := classEscape(&b, pat, i)
				if err != nil {
					return nil, err
				}
				i = n
			default:
				b.WriteByte(c)
			}
			classStart = false
			continue
		}
		switch c {
		case '\\':
			n, err := escape(&b, pat, i, o)
			if err != nil {
				return nil, err
			}
			i = n
		case '[':
			inClass, classStart = true, true
			b.WriteByte('[')
			if i+1 < len(pat) && pat[i+1] == '^' {
				b.WriteByte('^')
				i++
			}
			// A ']' right after '[' or '[^' is a literal.
			if i+1 < len(pat) && pat[i+1] == ']' {
				b.WriteString(`\]`)
				i++
				classStart = false
			}
		case '(':
			n, err := group(&b, pat, i)
			if err != nil {
				return nil, err
			}
			i = n
		case '$':
			if o.m {
				b.WriteByte('$')
			} else if o.dollarEnd {
				b.WriteString(`\z`)
			} else {
				// PCRE's $ also matches before a final newline.
				b.WriteString(`(?:\n?\z)`)
			}
		case '*', '+', '?', '}':
			b.WriteByte(c)
			if i+1 < len(pat) && pat[i+1] == '+' {
				return nil, errors.New("possessive quantifier (RE2 has none)")
			}
		case '{':
			// Counted repetition: check the bound; a '{' that is not a
			// quantifier is a literal in both.
			j := i + 1
			for j < len(pat) && (pat[j] >= '0' && pat[j] <= '9' || pat[j] == ',') {
				j++
			}
			if j < len(pat) && pat[j] == '}' && j > i+1 {
				for _, part := range strings.Split(pat[i+1:j], ",") {
					if part == "" {
						continue
					}
					if n, err := strconv.Atoi(part); err != nil || n > 1000 {
						return nil, fmt.Errorf("repetition {%s} above RE2's limit of 1000", pat[i+1:j])
					}
				}
				if strings.HasPrefix(pat[i+1:j], ",") {
					// PCRE before 10.43 reads {,n} as a literal.
					b.WriteString(`\{`)
					continue
				}
				b.WriteByte('{')
			} else {
				b.WriteString(`\{`)
			}
		case ' ', '\t', '\n', '\r', '\f', '\v':
			if o.x {
				continue
			}
			b.WriteByte(c)
		case '#':
			if o.x {
				for i < len(pat) && pat[i] != '\n' {
					i++
				}
				continue
			}
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	if inClass {
		return nil, errors.New("unterminated character class")
	}
	if o.anchored {
		b.WriteByte(')')
	}
	re, err := regexp.Compile(b.String())
	if err != nil {
		var se *syntax.Error
		if errors.As(err, &se) {
			return nil, fmt.Errorf("not valid in RE2: %s", se.Code)
		}
		return nil, err
	}
	return re, nil
}

// group handles '(' at pat[i]: plain groups, (?: (?i) flags, named groups;
// rejects what RE2 lacks. It returns the index of the last byte consumed.
func group(b *strings.Builder, pat string, i int) (int, error) {
	if i+1 >= len(pat) || pat[i+1] != '?' {
		if strings.HasPrefix(pat[i:], "(*") {
			return 0, errors.New("backtracking verb (*...) not supported by RE2")
		}
		b.WriteByte('(')
		return i, nil
	}
	rest := pat[i+2:]
	switch {
	case strings.HasPrefix(rest, "="), strings.HasPrefix(rest, "!"):
		return 0, errors.New("lookahead (?= / (?! not supported by RE2")
	case strings.HasPrefix(rest, "<="), strings.HasPrefix(rest, "<!"):
		return 0, errors.New("lookbehind (?<= / (?<! not supported by RE2")
	case strings.HasPrefix(rest, ">"):
		return 0, errors.New("atomic group (?> not supported by RE2")
	case strings.HasPrefix(rest, "|"):
		return 0, errors.New("branch reset (?| not supported by RE2")
	case strings.HasPrefix(rest, "("):
		return 0, errors.New("conditional (?( not supported by RE2")
	case strings.HasPrefix(rest, "R"), strings.HasPrefix(rest, "&"), strings.HasPrefix(rest, "P>"),
		len(rest) > 0 && (rest[0] >= '0' && rest[0] <= '9' || rest[0] == '+' || rest[0] == '-' && len(rest) > 1 && rest[1] >= '0' && rest[1] <= '9'):
		return 0, errors.New("recursion or subroutine call not supported by RE2")
	case strings.HasPrefix(rest, "P="):
		return 0, errors.New("backreference (?P= not supported by RE2")
	case strings.HasPrefix(rest, "C"):
		return 0, errors.New("callout (?C not supported by RE2")
	case strings.HasPrefix(rest, "#"):
		end := strings.IndexByte(rest, ')')
		if end < 0 {
			return 0, errors.New("unterminated (?# comment")
		}
		return i + 2 + end, nil
	case strings.HasPrefix(rest, "<"), strings.HasPrefix(rest, "P<"), strings.HasPrefix(rest, "'"):
		// Named group: RE2 accepts (?P<name> and (?<name>.
		start := 1
		if rest[0] == 'P' {
			start = 2
		}
		endc := byte('>')
		if rest[0] == '\'' {
			endc = '\''
		}
		end := strings.IndexByte(rest[start:], endc)
		if end < 0 {
			return 0, errors.New("unterminated group name")
		}
		b.WriteString("(?P<" + rest[start:start+end] + ">")
		return i + 2 + start + end, nil
	}
	// Inline flags (?i) (?s-i:...) (?:...): RE2 knows i m s U; PCRE's x, J,
	// X are not expressible inline here.
	j := 0
	for j < len(rest) && rest[j] != ')' && rest[j] != ':' {
		switch rest[j] {
		case 'i', 'm', 's', '-':
		case 'U':
		default:
			return 0, fmt.Errorf("inline option (?%c not supported", rest[j])
		}
		j++
	}
	if j >= len(rest) {
		return 0, errors.New("unterminated (? group")
	}
	b.WriteString("(?" + rest[:j+1])
	return i + 2 + j, nil
}

// escape handles a backslash outside a class at pat[i]; returns the index
// of the last byte consumed.
func escape(b *strings.Builder, pat string, i int, o pcreOpts) (int, error) {
	if i+1 >= len(pat) {
		return 0, errors.New("trailing backslash")
	}
	c := pat[i+1]
	switch c {
	case 'd', 'D', 's', 'S', 'w', 'W', 'b', 'B', 'A', 'z', 'n', 'r', 't', 'f', 'a':
		b.WriteByte('\\')
		b.WriteByte(c)
		return i + 1, nil
	case 'Z':
		b.WriteString(`(?:\n?\z)`)
		return i + 1, nil
	case 'G':
		return 0, errors.New(`\G not supported by RE2`)
	case 'K':
		return 0, errors.New(`\K not supported by RE2`)
	case 'R':
		b.WriteString(`(?:\r\n|[\n\x0b\x0c\r\x{85}])`)
		return i + 1, nil
	case 'X', 'C':
		return 0, fmt.Errorf(`\%c not supported`, c)
	case 'h':
		b.WriteString(`[\t \x{a0}]`)
		return i + 1, nil
	case 'H':
		b.WriteString(`[^\t \x{a0}]`)
		return i + 1, nil
	case 'v':
		b.WriteString(`[\n\x0b\x0c\r\x{85}]`)
		return i + 1, nil
	case 'V':
		b.WriteString(`[^\n\x0b\x0c\r\x{85}]`)
		return i + 1, nil
	case 'e':
		b.WriteString(`\x1b`)
		return i + 1, nil
	case 'k', 'g':
		return 0, fmt.Errorf(`backreference \%c not supported by RE2`, c)
	case 'Q':
		end := strings.Index(pat[i+2:], `\E`)
		lit := pat[i+2:]
		next := len(pat) - 1
		if end >= 0 {
			lit = pat[i+2 : i+2+end]
			next = i + 2 + end + 1
		}
		for k := 0; k < len(lit); k++ {
			writeLiteral(b, lit[k])
		}
		return next, nil
	case 'E':
		return i + 1, nil
	case 'p', 'P':
		return 0, fmt.Errorf(`Unicode property \%c not supported (subject is bytes)`, c)
	case 'x':
		v, n, err := hexEscape(pat, i)
		if err != nil {
			return 0, err
		}
		writeLiteral(b, byte(v))
		return n, nil
	case 'c':
		if i+2 >= len(pat) {
			return 0, errors.New(`\c at end of pattern`)
		}
		writeLiteral(b, byte(upperASCII(pat[i+2])^0x40))
		return i + 2, nil
	case '0':
		v, n := octalEscape(pat, i+1, 3)
		writeLiteral(b, byte(v))
		return n, nil
	}
	if c >= '1' && c <= '9' {
		return 0, fmt.Errorf(`backreference \%c not supported by RE2`, c)
	}
	if c < 0x80 && !isAlnum(c) {
		writeLiteral(b, c)
		return i + 1, nil
	}
	return 0, fmt.Errorf(`escape \%c not supported`, c)
}

// classEscape handles a backslash inside [ ].
func classEscape(b *strings.Builder, pat string, i int) (int, error) {
	if i+1 >= len(pat) {
		return 0, errors.New("trailing backslash")
	}
	c := pat[i+1]
	switch c {
	case 'd', 'D', 's', 'S', 'w', 'W', 'n', 'r', 't', 'f', 'a':
		b.WriteByte('\\')
		b.WriteByte(c)
		return i + 1, nil
	case 'b':
		b.WriteString(`\x08`)
		return i + 1, nil
	case 'h':
		b.WriteString(`\t \x{a0}`)
		return i + 1, nil
	case 'v':
		b.WriteString(`\n\x0b\x0c\r\x{85}`)
		return i + 1, nil
	case 'e':
		b.WriteString(`\x1b`)
		return i + 1, nil
	case 'x':
		v, n, err := hexEscape(pat, i)
		if err != nil {
			return 0, err
		}
		writeClassLiteral(b, byte(v))
		return n, nil
	case 'c':
		if i+2 >= len(pat) {
			return 0, errors.New(`\c at end of pattern`)
		}
		writeClassLiteral(b, byte(upperASCII(pat[i+2])^0x40))
		return i + 2, nil
	case 'H', 'V', 'p', 'P', 'R', 'X':
		return 0, fmt.Errorf(`\%c inside a class not supported`, c)
	}
	if c >= '0' && c <= '7' {
		v, n := octalEscape(pat, i+1, 3)
		writeClassLiteral(b, byte(v))
		return n, nil
	}
	if c < 0x80 && !isAlnum(c) {
		writeClassLiteral(b, c)
		return i + 1, nil
	}
	return 0, fmt.Errorf(`escape \%c inside a class not supported`, c)
}

// hexEscape reads \xH, \xHH or \x{H..} at pat[i]; returns the value and the
// index of the last byte consumed.
func hexEscape(pat string, i int) (int, int, error) {
	j := i + 2
	if j < len(pat) && pat[j] == '{' {
		end := strings.IndexByte(pat[j:], '}')
		if end < 0 {
			return 0, 0, errors.New(`unterminated \x{`)
		}
		v, err := strconv.ParseUint(pat[j+1:j+end], 16, 16)
		if err != nil || v > 0xff {
			return 0, 0, fmt.Errorf(`\x{%s}: want a byte value`, pat[j+1:j+end])
		}
		return int(v), j + end, nil
	}
	v, n := 0, 0
	for n < 2 && j+n < len(pat) && hexVal(pat[j+n]) >= 0 {
		v = v<<4 | hexVal(pat[j+n])
		n++
	}
	return v, j + n - 1, nil
}

// octalEscape reads up to max octal digits starting at pat[j].
func octalEscape(pat string, j, max int) (int, int) {
	v, n := 0, 0
	for n < max && j+n < len(pat) && pat[j+n] >= '0' && pat[j+n] <= '7' {
		v = v<<3 | int(pat[j+n]-'0')
		n++
	}
	return v & 0xff, j + n - 1
}

func writeLiteral(b *strings.Builder, c byte) {
	switch {
	case c >= 0x80 || c < 0x20 || c == 0x7f:
		fmt.Fprintf(b, `\x{%02x}`, c)
	case strings.IndexByte(`\.+*?()|[]{}^$`, c) >= 0:
		b.WriteByte('\\')
		b.WriteByte(c)
	default:
		b.WriteByte(c)
	}
}

func writeClassLiteral(b *strings.Builder, c byte) {
	switch {
	case c >= 0x80 || c < 0x20 || c == 0x7f:
		fmt.Fprintf(b, `\x{%02x}`, c)
	case strings.IndexByte(`\[]^-`, c) >= 0:
		b.WriteByte('\\')
		b.WriteByte(c)
	default:
		b.WriteByte(c)
	}
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func upperASCII(c byte) byte {
	if c >= 'a' && c <= 'z' {
		return c - 32
	}
	return c
}
