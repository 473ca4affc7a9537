package shell

import (
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"path"
	"sort"
	"strconv"
	"strings"
)

// unescape decodes echo -e escapes: \\ \a \b \c \e \f \n \r \t \v, \0NNN
// (octal), \NNN and \xHH. stop reports \c (no further output).
func unescape(s string, out []byte) (b []byte, stop bool) {
	b = out
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if ch != '\\' || i+1 >= len(s) {
			b = append(b, ch)
			continue
		}
		i++
		switch e := s[i]; e {
		case '\\':
			b = append(b, '\\')
		case 'a':
			b = append(b, 7)
		case 'b':
			b = append(b, 8)
		case 'c':
			return b, true
		case 'e', 'E':
			b = append(b, 27)
		case 'f':
			b = append(b, 12)
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		case 'v':
			b = append(b, 11)
		case 'x':
			v, n := 0, 0
			for n < 2 && i+1 < len(s) && isHex(s[i+1]) {
				v = v*16 + hexVal(s[i+1])
				i++
				n++
			}
			if n == 0 {
				b = append(b, '\\', 'x')
			} else {
				b = append(b, byte(v))
			}
		case '0', '1', '2', '3', '4', '5', '6', '7':
			// \0NNN: up to three octal digits after the 0; \NNN: up to three.
			v, n, maxN := 0, 0, 3
			if e == '0' {
				i++
			}
			for n < maxN && i < len(s) && s[i] >= '0' && s[i] <= '7' {
				v = v*8 + int(s[i]-'0')
				i++
				n++
			}
			i--
			b = append(b, byte(v))
		default:
			b = append(b, '\\', e)
		}
	}
	return b, false
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func hexVal(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	}
	return int(c-'A') + 10
}

// cmdEcho is BusyBox echo: -n, -e, -E and their combinations.
func cmdEcho(c *call) int {
	c.via = "echo"
	args := c.args[1:]
	newline, escapes := true, false
	for len(args) > 0 {
		a := args[0]
		if len(a) < 2 || a[0] != '-' || strings.Trim(a[1:], "neE") != "" {
			break
		}
		for _, f := range a[1:] {
			switch f {
			case 'n':
				newline = false
			case 'e':
				escapes = true
			case 'E':
				escapes = false
			}
		}
		args = args[1:]
	}
	var b []byte
	for i, a := range args {
		if i > 0 {
			b = append(b, ' ')
		}
		if escapes {
			var stop bool
			b, stop = unescape(a, b)
			if stop {
				c.write(b)
				return 0
			}
		} else {
			b = append(b, a...)
		}
		if len(b) > maxCmdOutput*4 {
			break
		}
	}
	if newline {
		b = append(b, '\n')
	}
	c.write(b)
	return 0
}

// cmdPrintf is printf FORMAT [ARG...]: %s %b %c %d %i %u %x %X %o %e %f
// %g %%, flags and widths, escapes in the format; the format is reused
// while arguments remain (bounded).
func cmdPrintf(c *call) int {
	c.via = "printf"
	if len(c.args) < 2 {
		c.errorf("printf: usage: printf FORMAT [ARGUMENT...]")
		return 1
	}
	format, args := c.args[1], c.args[2:]
	var out []byte
	for round := 0; round < 256; round++ {
		var used int
		out, used = printfOnce(format, args, out)
		args = args[min(used, len(args)):]
		if used == 0 || len(args) == 0 || len(out) > maxCmdOutput {
			break
		}
	}
	c.write(out)
	return 0
}

// printfOnce applies format once, returning how many args it used.
func printfOnce(format string, args []string, out []byte) ([]byte, int) {
	used := 0
	next := func() string {
		if used < len(args) {
			used++
			return args[used-1]
		}
		used++
		return ""
	}
	for i := 0; i < len(format); i++ {
		ch := format[i]
		switch {
		case ch == '\\':
			j := i + 1
			for j < len(format) && j < i+5 && (isHex(format[j]) || format[j] == 'x') {
				j++
			}
			if j == i+1 && j < len(format) {
				j++
			}
			var stop bool
			out, stop = unescape(format[i:j], out)
			if stop {
				return out, used
			}
			i = j - 1
		case ch == '%' && i+1 < len(format):
			j := i + 1
			for j < len(format) && strings.IndexByte("-+ #0", format[j]) >= 0 {
				j++
			}
			for j < len(format) && (format[j] >= '0' && format[j] <= '9' || format[j] == '.') {
				j++
			}
			if j >= len(format) {
				out = append(out, format[i:]...)
				return out, used
			}
			spec := format[i+1 : j]
			verb := format[j]
			width, prec, left, zero := parseSpec(spec)
			var field string
			switch verb {
			case '%':
				out = append(out, '%')
				i = j
				continue
			case 's':
				field = next()
				if prec >= 0 && prec < len(field) {
					field = field[:prec]
				}
			case 'b':
				b, _ := unescape(next(), nil)
				field = string(b)
			case 'c':
				a := next()
				if a != "" {
					field = a[:1]
				}
			case 'd', 'i', 'u', 'x', 'X', 'o':
				a := next()
				n, err := strconv.ParseInt(strings.TrimSpace(a), 0, 64)
				if err != nil && len(a) > 1 && (a[0] == '\'' || a[0] == '"') {
					n, err = int64(a[1]), nil
				}
				_ = err
				switch verb {
				case 'x':
					field = strconv.FormatInt(n, 16)
				case 'X':
					field = strings.ToUpper(strconv.FormatInt(n, 16))
				case 'o':
					field = strconv.FormatInt(n, 8)
				default:
					field = strconv.FormatInt(n, 10)
				}
			case 'e', 'f', 'g', 'E', 'G':
				f, _ := strconv.ParseFloat(strings.TrimSpace(next()), 64)
				p := prec
				if p < 0 {
					p = 6
				}
				field = strconv.FormatFloat(f, verb, p, 64)
			default:
				out = append(out, format[i:j+1]...)
				i = j
				continue
			}
			if width > 4096 {
				width = 4096
			}
			if len(field) < width {
				padc := " "
				if zero && !left {
					padc = "0"
				}
				fill := strings.Repeat(padc, width-len(field))
				if left {
					field += fill
				} else {
					field = fill + field
				}
			}
			out = append(out, field...)
			i = j
		default:
			out = append(out, ch)
		}
		if len(out) > maxCmdOutput {
			return out, used
		}
	}
	return out, used
}

func parseSpec(spec string) (width, prec int, left, zero bool) {
	prec = -1
	i := 0
	for i < len(spec) && strings.IndexByte("-+ #0", spec[i]) >= 0 {
		if spec[i] == '-' {
			left = true
		}
		if spec[i] == '0' {
			zero = true
		}
		i++
	}
	w, p, hasP := spec[i:], "", false
	if k := strings.IndexByte(w, '.'); k >= 0 {
		w, p, hasP = w[:k], w[k+1:], true
	}
	width, _ = strconv.Atoi(w)
	if hasP {
		prec, _ = strconv.Atoi(p)
		prec = min(prec, 4096)
	}
	return width, prec, left, zero
}

// input returns the bytes a filter reads: the named files, or stdin.
func (c *call) input(files []string) ([]byte, int) {
	if len(files) == 0 {
		return c.stdin, 0
	}
	var b []byte
	st := 0
	for _, f := range files {
		if f == "-" {
			b = append(b, c.stdin...)
			continue
		}
		n, err := c.s.fs.lookup(abs(c.s.cwd, f), true)
		if err != nil {
			c.errorf(path.Base(c.args[0]), ": ", f, ": ", err.Error())
			st = 1
			continue
		}
		if n.isDir() {
			c.errorf(path.Base(c.args[0]), ": ", f, ": ", errIsDir.Error())
			st = 1
			continue
		}
		b = append(b, n.read()...)
		if len(b) > 4*maxCmdOutput {
			break
		}
	}
	return b, st
}

func lines(b []byte) []string {
	s := string(b)
	s = strings.TrimSuffix(s, "\n")
	if s == "" {
		return nil
	}
	l := strings.Split(s, "\n")
	if len(l) > 65536 {
		l = l[:65536]
	}
	return l
}

func cmdGrep(c *call) int {
	flags, ops := opts(c.args[1:], "em")
	var pat string
	if v, ok := flags['e']; ok {
		pat = v
	} else if len(ops) > 0 {
		pat, ops = ops[0], ops[1:]
	} else {
		c.errorf("BusyBox v1.24.1 (2017-03-23 10:05:44 CST) multi-call binary.\n\nUsage: grep [-HhnlLoqvsriwFE] [-m N] [-A/B/C N] PATTERN/-e PATTERN.../-f FILE [FILE]...")
		return 2
	}
	in, st := c.input(ops)
	fold := has(flags, 'i')
	invert := has(flags, 'v')
	quiet := has(flags, 'q')
	count := has(flags, 'c')
	m := newMatcher(pat, fold, has(flags, 'F') || path.Base(c.args[0]) == "fgrep")
	n := 0
	for _, l := range lines(in) {
		if m(l) != invert {
			n++
			if !quiet && !count {
				c.print(l, "\n")
			}
		}
	}
	if count {
		c.print(itoa(n), "\n")
	}
	if st != 0 {
		return 2
	}
	if n == 0 {
		return 1
	}
	return 0
}

// newMatcher returns a line matcher for a grep pattern: literal text with
// the basic regular-expression features loaders use ('.', '^', '$', a
// bracket class), anything else matched literally.
func newMatcher(pat string, fold, fixed bool) func(string) bool {
	if fold {
		pat = strings.ToLower(pat)
	}
	if fixed || !strings.ContainsAny(pat, ".^$[*\\") {
		return func(l string) bool {
			if fold {
				l = strings.ToLower(l)
			}
			return strings.Contains(l, pat)
		}
	}
	anchorStart := strings.HasPrefix(pat, "^")
	anchorEnd := strings.HasSuffix(pat, "$") && !strings.HasSuffix(pat, "\\$")
	p := strings.TrimPrefix(pat, "^")
	if anchorEnd {
		p = p[:len(p)-1]
	}
	toks := compileBRE(p)
	return func(l string) bool {
		if fold {
			l = strings.ToLower(l)
		}
		budget := 1 << 16
		for i := 0; i <= len(l) && budget > 0; i++ {
			if end, ok := matchToks(toks, l, i, &budget); ok && (!anchorEnd || end == len(l)) {
				return true
			}
			if anchorStart {
				break
			}
		}
		return false
	}
}

// bre is one element of a small basic regular expression.
type bre struct {
	class string // bytes accepted ("" with any: every byte)
	any   bool
	star  bool
}

func compileBRE(p string) []bre {
	var out []bre
	for i := 0; i < len(p) && len(out) < 256; i++ {
		var t bre
		switch p[i] {
		case '.':
			t.any = true
		case '[':
			j := strings.IndexByte(p[i+1:], ']')
			if j < 0 {
				t.class = "["
				break
			}
			set := p[i+1 : i+1+j]
			var b strings.Builder
			for k := 0; k < len(set); k++ {
				if k+2 < len(set) && set[k+1] == '-' {
					for ch := set[k]; ch <= set[k+2] && ch >= set[k]; ch++ {
						b.WriteByte(ch)
						if ch == 0xff {
							break
						}
					}
					k += 2
					continue
				}
				b.WriteByte(set[k])
			}
			t.class = b.String()
			i += j + 1
		case '\\':
			if i+1 < len(p) {
				i++
			}
			t.class = p[i : i+1]
		default:
			t.class = p[i : i+1]
		}
		if i+1 < len(p) && p[i+1] == '*' {
			t.star = true
			i++
		}
		out = append(out, t)
	}
	return out
}

// matchToks matches toks at l[i:]; budget bounds the work of backtracking.
func matchToks(toks []bre, l string, i int, budget *int) (int, bool) {
	*budget--
	if *budget < 0 {
		return 0, false
	}
	if len(toks) == 0 {
		return i, true
	}
	t := toks[0]
	ok := func(j int) bool {
		return j < len(l) && (t.any || strings.IndexByte(t.class, l[j]) >= 0)
	}
	if t.star {
		j := i
		for ok(j) {
			j++
		}
		for ; j >= i; j-- { // greedy, bounded by the line and pattern lengths
			if end, good := matchToks(toks[1:], l, j, budget); good {
				return end, true
			}
		}
		return 0, false
	}
	if !ok(i) {
		return 0, false
	}
	return matchToks(toks[1:], l, i+1, budget)
}

func headTailCount(c *call) (int, []string) {
	n := 10
	var rest []string
	for _, a := range c.args[1:] {
		if len(a) > 1 && a[0] == '-' && strings.Trim(a[1:], "0123456789") == "" {
			n, _ = strconv.Atoi(a[1:])
			continue
		}
		rest = append(rest, a)
	}
	flags, ops := opts(rest, "nc")
	if v, ok := flags['n']; ok {
		if x, err := strconv.Atoi(strings.TrimPrefix(v, "+")); err == nil {
			n = x
		}
	}
	return n, ops
}

func cmdHead(c *call) int {
	n, ops := headTailCount(c)
	in, st := c.input(ops)
	for i, l := range lines(in) {
		if i >= n {
			break
		}
		c.print(l, "\n")
	}
	return st
}

func cmdTail(c *call) int {
	n, ops := headTailCount(c)
	in, st := c.input(ops)
	ls := lines(in)
	if len(ls) > n {
		ls = ls[len(ls)-n:]
	}
	for _, l := range ls {
		c.print(l, "\n")
	}
	return st
}

func cmdWc(c *call) int {
	flags, ops := opts(c.args[1:], "")
	in, st := c.input(ops)
	nl := strings.Count(string(in), "\n")
	nw := len(strings.Fields(string(in)))
	nc := len(in)
	switch {
	case has(flags, 'l'):
		c.print(itoa(nl), "\n")
	case has(flags, 'w'):
		c.print(itoa(nw), "\n")
	case has(flags, 'c'):
		c.print(itoa(nc), "\n")
	default:
		c.print(pad(itoa(nl), 7), " ", pad(itoa(nw), 7), " ", pad(itoa(nc), 7), "\n")
	}
	return st
}

func cmdSort(c *call) int {
	flags, ops := opts(c.args[1:], "kt")
	in, st := c.input(ops)
	ls := lines(in)
	sort.Strings(ls)
	if has(flags, 'r') {
		for i, j := 0, len(ls)-1; i < j; i, j = i+1, j-1 {
			ls[i], ls[j] = ls[j], ls[i]
		}
	}
	for i, l := range ls {
		if has(flags, 'u') && i > 0 && ls[i-1] == l {
			continue
		}
		c.print(l, "\n")
	}
	return st
}

func cmdUniq(c *call) int {
	flags, ops := opts(c.args[1:], "")
	in, st := c.input(ops)
	ls := lines(in)
	for i := 0; i < len(ls); {
		j := i
		for j < len(ls) && ls[j] == ls[i] {
			j++
		}
		if has(flags, 'c') {
			c.print(pad(itoa(j-i), 7), " ", ls[i], "\n")
		} else {
			c.print(ls[i], "\n")
		}
		i = j
	}
	return st
}

func cmdBase64(c *call) int {
	flags, ops := opts(c.args[1:], "w")
	in, st := c.input(ops)
	if has(flags, 'd') {
		clean := strings.Map(func(r rune) rune {
			if r == '\n' || r == '\r' || r == ' ' || r == '\t' {
				return -1
			}
			return r
		}, string(in))
		out, err := base64.StdEncoding.DecodeString(clean)
		if err != nil {
			out, err = base64.RawStdEncoding.DecodeString(strings.TrimRight(clean, "="))
		}
		if err != nil {
			c.errorf("base64: invalid input")
			return 1
		}
		c.via = "redirect"
		c.write(out)
		return st
	}
	enc := base64.StdEncoding.EncodeToString(in)
	for len(enc) > 76 {
		c.print(enc[:76], "\n")
		enc = enc[76:]
	}
	c.print(enc, "\n")
	return st
}

func cmdTee(c *call) int {
	s := c.s
	flags, ops := opts(c.args[1:], "")
	c.write(c.stdin)
	st := 0
	for _, o := range ops {
		k, err := s.openSink(o, has(flags, 'a'))
		if err != nil {
			c.errorf("tee: ", o, ": ", err.Error())
			st = 1
			continue
		}
		s.write(k, c.stdin)
		s.finishRedirs([]*sink{k}, "redirect", c.err)
	}
	return st
}

func cmdSeq(c *call) int {
	_, ops := opts(c.args[1:], "")
	first, last := 1, 0
	switch len(ops) {
	case 1:
		last, _ = strconv.Atoi(ops[0])
	case 2, 3:
		first, _ = strconv.Atoi(ops[0])
		last, _ = strconv.Atoi(ops[len(ops)-1])
	}
	for i, n := first, 0; i <= last && n < 10000; i, n = i+1, n+1 {
		c.print(itoa(i), "\n")
	}
	return 0
}

func cmdTr(c *call) int {
	flags, ops := opts(c.args[1:], "")
	in := string(c.stdin)
	if has(flags, 'd') && len(ops) > 0 {
		c.print(strings.Map(func(r rune) rune {
			if strings.ContainsRune(ops[0], r) {
				return -1
			}
			return r
		}, in))
		return 0
	}
	if len(ops) == 2 && len(ops[0]) > 0 && len(ops[1]) > 0 {
		from, to := ops[0], ops[1]
		c.print(strings.Map(func(r rune) rune {
			if i := strings.IndexRune(from, r); i >= 0 {
				return rune(to[min(i, len(to)-1)])
			}
			return r
		}, in))
		return 0
	}
	c.write(c.stdin)
	return 0
}

func cmdCut(c *call) int {
	flags, ops := opts(c.args[1:], "dfc")
	in, st := c.input(ops)
	delim := "\t"
	if d, ok := flags['d']; ok && d != "" {
		delim = d[:1]
	}
	field, _ := strconv.Atoi(strings.Split(flags['f'], ",")[0])
	for _, l := range lines(in) {
		fs := strings.Split(l, delim)
		if field >= 1 && field <= len(fs) {
			c.print(fs[field-1], "\n")
		} else {
			c.print("\n")
		}
	}
	return st
}

func cmdBasename(c *call) int {
	if len(c.args) < 2 {
		return 1
	}
	b := path.Base(c.args[1])
	if len(c.args) > 2 {
		b = strings.TrimSuffix(b, c.args[2])
	}
	c.print(b, "\n")
	return 0
}

func cmdDirname(c *call) int {
	if len(c.args) < 2 {
		return 1
	}
	c.print(path.Dir(c.args[1]), "\n")
	return 0
}

func cmdMd5sum(c *call) int {
	_, ops := opts(c.args[1:], "")
	if len(ops) == 0 {
		sum := md5.Sum(c.stdin)
		c.print(hex.EncodeToString(sum[:]), "  -\n")
		return 0
	}
	st := 0
	for _, o := range ops {
		n, err := c.s.fs.lookup(abs(c.s.cwd, o), true)
		if err != nil || n.isDir() {
			c.errorf("md5sum: can't open '", o, "': ", errNotFound.Error())
			st = 1
			continue
		}
		sum := md5.Sum(n.read())
		c.print(hex.EncodeToString(sum[:]), "  ", o, "\n")
	}
	return st
}
