package shell

import "strings"

// The parser turns one input line into a tree of command lists the way a
// POSIX shell does, with the bounds a hostile line needs: groups nest at
// most maxNest deep and a line holds at most maxCommands simple commands.
// Command substitutions ($(...) and backticks) are kept as literal text:
// nothing inside them runs.

const (
	maxNest     = 16
	maxCommands = 512
)

// part is a piece of a word: literal text, or a variable reference.
type part struct {
	lit    string
	varRef string // variable name ("?" "$" "1" ...) when not empty
	quoted bool
	glob   bool // literal text with unquoted glob characters
}

// word is one shell word before expansion.
type word struct {
	parts []part
}

// redir is a redirection: fd op target ("2>" "/dev/null", ">&" "1").
type redir struct {
	fd     int
	op     string // ">", ">>", "<", "<<", ">&", "<&", "&>"
	target word
}

// command is a simple command or a group.
type command struct {
	words  []word
	redirs []redir
	raw    string // the command as typed
	group  *cmdList
	sub    bool // ( ... ): the group runs in a subshell
}

// pipeline is commands joined by |.
type pipeline struct {
	cmds []*command
	bang bool
	raw  string
}

// andOr is pipelines joined by && and ||.
type andOr struct {
	pipes []*pipeline
	ops   []string // ops[i] joins pipes[i] and pipes[i+1]
}

// cmdList is and-or lists run in sequence (; & newline).
type cmdList struct {
	items []*andOr
}

type parser struct {
	s      string
	pos    int
	nest   int
	ncmds  int
	tooBig bool // bounds exceeded: the rest of the line is ignored
}

// parseLine parses one line. It never fails: malformed input is parsed
// leniently (an unterminated quote runs to the end of the line, a stray
// closing parenthesis ends the command).
func parseLine(s string) *cmdList {
	p := &parser{s: s}
	l := p.list(0)
	return l
}

func (p *parser) eof() bool { return p.pos >= len(p.s) }

func (p *parser) skipBlanks() {
	for p.pos < len(p.s) {
		c := p.s[p.pos]
		if c == ' ' || c == '\t' || c == '\r' {
			p.pos++
			continue
		}
		if c == '\\' && p.pos+1 < len(p.s) && p.s[p.pos+1] == '\n' {
			p.pos += 2
			continue
		}
		break
	}
}

// list parses until end of line or the closing token of the group (')' or
// '}' when close is not 0).
func (p *parser) list(close byte) *cmdList {
	l := &cmdList{}
	for {
		p.skipBlanks()
		if p.eof() || p.tooBig {
			return l
		}
		c := p.s[p.pos]
		if c == ';' || c == '&' || c == '\n' {
			p.pos++
			continue
		}
		if c == ')' || (c == '}' && p.wordEnds(p.pos+1)) {
			if close == c {
				p.pos++
				return l
			}
			p.pos++ // stray: ignored
			continue
		}
		ao := p.andOr(close)
		if ao != nil {
			l.items = append(l.items, ao)
		}
	}
}

// wordEnds reports whether position i ends a word (for reserved words).
func (p *parser) wordEnds(i int) bool {
	if i >= len(p.s) {
		return true
	}
	switch p.s[i] {
	case ' ', '\t', '\r', '\n', ';', '&', '|', ')', '(', '<', '>':
		return true
	}
	return false
}

func (p *parser) andOr(close byte) *andOr {
	ao := &andOr{}
	pl := p.pipeline(close)
	if pl == nil {
		return nil
	}
	ao.pipes = append(ao.pipes, pl)
	for {
		p.skipBlanks()
		if strings.HasPrefix(p.s[p.pos:], "&&") || strings.HasPrefix(p.s[p.pos:], "||") {
			op := p.s[p.pos : p.pos+2]
			p.pos += 2
			for {
				p.skipBlanks()
				if p.pos < len(p.s) && p.s[p.pos] == '\n' {
					p.pos++
					continue
				}
				break
			}
			next := p.pipeline(close)
			if next == nil {
				return ao
			}
			ao.ops = append(ao.ops, op)
			ao.pipes = append(ao.pipes, next)
			continue
		}
		return ao
	}
}

func (p *parser) pipeline(close byte) *pipeline {
	pl := &pipeline{}
	p.skipBlanks()
	start := p.pos
	if p.pos < len(p.s) && p.s[p.pos] == '!' && p.wordEnds(p.pos+1) {
		pl.bang = true
		p.pos++
	}
	for {
		c := p.command(close)
		if c == nil {
			break
		}
		pl.cmds = append(pl.cmds, c)
		p.skipBlanks()
		if p.pos < len(p.s) && p.s[p.pos] == '|' && !strings.HasPrefix(p.s[p.pos:], "||") {
			p.pos++
			continue
		}
		break
	}
	if len(pl.cmds) == 0 {
		return nil
	}
	pl.raw = strings.TrimSpace(p.s[start:p.pos])
	return pl
}

// command parses a simple command or a group; nil when there is none here.
func (p *parser) command(close byte) *command {
	p.skipBlanks()
	if p.eof() || p.tooBig {
		return nil
	}
	if p.ncmds >= maxCommands {
		p.tooBig = true
		return nil
	}
	start := p.pos
	c := &command{}
	switch {
	case p.s[p.pos] == '(':
		if p.nest >= maxNest {
			p.tooBig = true
			return nil
		}
		p.pos++
		p.nest++
		c.group = p.list(')')
		c.sub = true
		p.nest--
		p.redirs(c)
		c.raw = strings.TrimSpace(p.s[start:p.pos])
		return c
	case p.s[p.pos] == '{' && p.wordEnds(p.pos+1):
		if p.nest >= maxNest {
			p.tooBig = true
			return nil
		}
		p.pos++
		p.nest++
		c.group = p.list('}')
		p.nest--
		p.redirs(c)
		c.raw = strings.TrimSpace(p.s[start:p.pos])
		return c
	}
	p.ncmds++
	for {
		p.skipBlanks()
		if p.eof() {
			break
		}
		ch := p.s[p.pos]
		if ch == ';' || ch == '&' && !strings.HasPrefix(p.s[p.pos:], "&>") || ch == '|' || ch == '\n' || ch == ')' {
			break
		}
		if ch == '(' {
			// "f()" function definitions and stray parentheses: keep as text.
			p.pos++
			c.words = append(c.words, word{parts: []part{{lit: "(", quoted: true}}})
			continue
		}
		if ch == '}' && close == '}' && p.wordEnds(p.pos+1) && len(c.words) > 0 {
			break
		}
		if ch == '#' && (p.pos == 0 || strings.IndexByte(" \t;&|(", p.s[p.pos-1]) >= 0) {
			// A comment runs to the end of the line; kept as one word so it is
			// recorded.
			c.words = append(c.words, word{parts: []part{{lit: p.s[p.pos:], quoted: true}}})
			p.pos = len(p.s)
			break
		}
		if r, ok := p.redir(); ok {
			c.redirs = append(c.redirs, r)
			continue
		}
		w := p.word()
		if len(w.parts) == 0 {
			if p.pos < len(p.s) {
				p.pos++ // never loop on a byte no rule takes
			}
			continue
		}
		c.words = append(c.words, w)
	}
	c.raw = strings.TrimSpace(p.s[start:p.pos])
	if len(c.words) == 0 && len(c.redirs) == 0 {
		return nil
	}
	return c
}

// redirs parses redirections after a group.
func (p *parser) redirs(c *command) {
	for {
		p.skipBlanks()
		r, ok := p.redir()
		if !ok {
			return
		}
		c.redirs = append(c.redirs, r)
	}
}

// redir parses a redirection at the current position.
func (p *parser) redir() (redir, bool) {
	i := p.pos
	fd := -1
	if i < len(p.s) && p.s[i] >= '0' && p.s[i] <= '9' && i+1 < len(p.s) && (p.s[i+1] == '>' || p.s[i+1] == '<') {
		fd = int(p.s[i] - '0')
		i++
	}
	rest := p.s[i:]
	var op string
	switch {
	case strings.HasPrefix(rest, "&>>"):
		op = "&>>"
	case strings.HasPrefix(rest, "&>"):
		op = "&>"
	case strings.HasPrefix(rest, ">>"):
		op = ">>"
	case strings.HasPrefix(rest, ">&"):
		op = ">&"
	case strings.HasPrefix(rest, ">|"):
		op = ">|"
	case strings.HasPrefix(rest, "<<"):
		op = "<<"
	case strings.HasPrefix(rest, "<&"):
		op = "<&"
	case strings.HasPrefix(rest, "<>"):
		op = "<>"
	case strings.HasPrefix(rest, ">"):
		op = ">"
	case strings.HasPrefix(rest, "<"):
		op = "<"
	default:
		return redir{}, false
	}
	if op == "&>" || op == "&>>" {
		if fd != -1 {
			return redir{}, false
		}
	}
	if fd == -1 {
		fd = 1
		if op[0] == '<' {
			fd = 0
		}
	}
	p.pos = i + len(op)
	if op == "<<" && p.pos < len(p.s) && p.s[p.pos] == '-' {
		p.pos++
	}
	if op == ">|" {
		op = ">"
	}
	if op == "<>" {
		op = "<"
	}
	p.skipBlanks()
	r := redir{fd: fd, op: op}
	if !p.eof() && strings.IndexByte(";&|\n()<>", p.s[p.pos]) < 0 {
		r.target = p.word()
	}
	return r, true
}

// word reads one word: quotes, escapes, variables and literal command
// substitutions.
func (p *parser) word() word {
	var w word
	var lit strings.Builder
	glob := false
	flush := func(quoted bool) {
		if lit.Len() > 0 {
			w.parts = append(w.parts, part{lit: lit.String(), quoted: quoted, glob: glob && !quoted})
			lit.Reset()
		}
		glob = false
	}
	for p.pos < len(p.s) {
		c := p.s[p.pos]
		switch c {
		case ' ', '\t', '\r', '\n', ';', '&', '|', '<', '>', '(', ')':
			if c == '(' && lit.Len() > 0 {
				// name( ... part of a word such as "f()"
				lit.WriteByte(c)
				p.pos++
				continue
			}
			if c == ')' && lit.Len() > 0 && strings.HasSuffix(lit.String(), "(") {
				lit.WriteByte(c)
				p.pos++
				continue
			}
			flush(false)
			if len(w.parts) == 0 && (c == '(' || c == ')') {
				w.parts = append(w.parts, part{lit: string(c), quoted: true})
				p.pos++
			}
			return w
		case '\\':
			if p.pos+1 < len(p.s) {
				if p.s[p.pos+1] == '\n' {
					p.pos += 2
					continue
				}
				flush(false)
				w.parts = append(w.parts, part{lit: p.s[p.pos+1 : p.pos+2], quoted: true})
				p.pos += 2
				continue
			}
			lit.WriteByte('\\')
			p.pos++
		case '\'':
			flush(false)
			end := strings.IndexByte(p.s[p.pos+1:], '\'')
			var s string
			if end < 0 {
				s = p.s[p.pos+1:]
				p.pos = len(p.s)
			} else {
				s = p.s[p.pos+1 : p.pos+1+end]
				p.pos += end + 2
			}
			w.parts = append(w.parts, part{lit: s, quoted: true})
			if s == "" {
				w.parts[len(w.parts)-1].lit = ""
			}
		case '"':
			flush(false)
			p.pos++
			p.doubleQuoted(&w)
		case '$':
			flush(false)
			p.dollar(&w, false)
		case '`':
			flush(false)
			end := strings.IndexByte(p.s[p.pos+1:], '`')
			var s string
			if end < 0 {
				s = p.s[p.pos:]
				p.pos = len(p.s)
			} else {
				s = p.s[p.pos : p.pos+end+2]
				p.pos += end + 2
			}
			w.parts = append(w.parts, part{lit: s, quoted: true})
		default:
			if c == '*' || c == '?' || c == '[' {
				glob = true
			}
			lit.WriteByte(c)
			p.pos++
		}
	}
	flush(false)
	return w
}

// doubleQuoted reads the inside of "..." (the opening quote consumed).
func (p *parser) doubleQuoted(w *word) {
	var lit strings.Builder
	emitted := false
	flush := func() {
		if lit.Len() > 0 {
			w.parts = append(w.parts, part{lit: lit.String(), quoted: true})
			lit.Reset()
			emitted = true
		}
	}
	for p.pos < len(p.s) {
		c := p.s[p.pos]
		switch c {
		case '"':
			p.pos++
			flush()
			if !emitted {
				w.parts = append(w.parts, part{lit: "", quoted: true})
			}
			return
		case '\\':
			if p.pos+1 < len(p.s) {
				n := p.s[p.pos+1]
				switch n {
				case '"', '\\', '$', '`':
					lit.WriteByte(n)
					p.pos += 2
					continue
				case '\n':
					p.pos += 2
					continue
				}
			}
			lit.WriteByte(c)
			p.pos++
		case '$':
			flush()
			p.dollar(w, true)
			emitted = true
		case '`':
			end := strings.IndexByte(p.s[p.pos+1:], '`')
			if end < 0 {
				lit.WriteString(p.s[p.pos:])
				p.pos = len(p.s)
			} else {
				lit.WriteString(p.s[p.pos : p.pos+end+2])
				p.pos += end + 2
			}
		default:
			lit.WriteByte(c)
			p.pos++
		}
	}
	flush()
	if !emitted {
		w.parts = append(w.parts, part{lit: "", quoted: true})
	}
}

// dollar reads a $ expansion at p.pos.
func (p *parser) dollar(w *word, quoted bool) {
	s := p.s
	i := p.pos + 1
	if i >= len(s) {
		w.parts = append(w.parts, part{lit: "$", quoted: quoted})
		p.pos = i
		return
	}
	switch c := s[i]; {
	case c == '(':
		// $( ... ) or $(( ... )): kept literally, balanced parentheses.
		depth := 0
		j := i
		for ; j < len(s); j++ {
			switch s[j] {
			case '(':
				depth++
			case ')':
				depth--
			case '\'':
				if k := strings.IndexByte(s[j+1:], '\''); k >= 0 {
					j += k + 1
				}
			}
			if depth == 0 {
				break
			}
		}
		if j >= len(s) {
			j = len(s) - 1
		}
		w.parts = append(w.parts, part{lit: s[p.pos : j+1], quoted: true})
		p.pos = j + 1
	case c == '{':
		end := strings.IndexByte(s[i:], '}')
		if end < 0 {
			w.parts = append(w.parts, part{lit: s[p.pos:], quoted: true})
			p.pos = len(s)
			return
		}
		inner := s[i+1 : i+end]
		name := inner
		for k := 0; k < len(inner); k++ {
			if !isNameByte(inner[k]) && !(k == 0 && strings.IndexByte("?$#!@*", inner[k]) >= 0) {
				name = inner[:k]
				break
			}
		}
		if name == "" {
			name = "?bad"
		}
		w.parts = append(w.parts, part{varRef: name, quoted: quoted})
		p.pos = i + end + 1
	case strings.IndexByte("?$#!@*-0123456789", c) >= 0:
		w.parts = append(w.parts, part{varRef: string(c), quoted: quoted})
		p.pos = i + 1
	case isNameByte(c) && !(c >= '0' && c <= '9'):
		j := i
		for j < len(s) && isNameByte(s[j]) {
			j++
		}
		w.parts = append(w.parts, part{varRef: s[i:j], quoted: quoted})
		p.pos = j
	default:
		w.parts = append(w.parts, part{lit: "$", quoted: quoted})
		p.pos = i
	}
}

func isNameByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}
