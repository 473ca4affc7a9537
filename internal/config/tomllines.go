package config

import (
	"fmt"
	"strings"
)

// tomlLines finds the line of every key (and of every array element) of a
// TOML document that the TOML library has already parsed without error:
// the library keeps key positions to itself. Paths are written as the tree
// writes them: "honeypot.telnet.ports", "honeypot.telnet.ports[1]". The
// scan never fails; on input it does not follow it records less.
func tomlLines(data []byte) map[string]int {
	s := &tomlScan{toks: tomlTokens(string(data)), lines: map[string]int{}, arrays: map[string]int{}}
	s.document()
	return s.lines
}

type tomlTok struct {
	kind byte // 'w' word, 's' string (key or value), 'n' newline, or the punctuation itself
	text string
	line int
}

// tomlTokens cuts TOML text into words, strings, punctuation and newlines;
// comments are dropped. Multi-line strings are one token.
func tomlTokens(src string) []tomlTok {
	var toks []tomlTok
	line := 1
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case c == '\n':
			toks = append(toks, tomlTok{kind: 'n', line: line})
			line++
			i++
		case c == ' ' || c == '\t' || c == '\r':
			i++
		case c == '#':
			for i < len(src) && src[i] != '\n' {
				i++
			}
		case c == '"' || c == '\'':
			start, startLine := i, line
			q := string(c)
			if strings.HasPrefix(src[i:], q+q+q) {
				end := strings.Index(src[i+3:], q+q+q)
				if end < 0 {
					end = len(src) - i - 3
				}
				j := min(i+3+end+3, len(src))
				// A closing """" or """"" keeps its extra quotes inside.
				for k := 0; k < 2 && j < len(src) && src[j] == c; k++ {
					j++
				}
				line += strings.Count(src[i:j], "\n")
				toks = append(toks, tomlTok{kind: 's', text: src[start:j], line: startLine})
				i = j
				continue
			}
			j := i + 1
			var b strings.Builder
			for j < len(src) && src[j] != c && src[j] != '\n' {
				if c == '"' && src[j] == '\\' && j+1 < len(src) {
					j++
					switch src[j] {
					case 'n':
						b.WriteByte('\n')
					case 't':
						b.WriteByte('\t')
					case 'r':
						b.WriteByte('\r')
					default:
						b.WriteByte(src[j])
					}
					j++
					continue
				}
				b.WriteByte(src[j])
				j++
			}
			if j < len(src) && src[j] == c {
				j++
			}
			toks = append(toks, tomlTok{kind: 's', text: b.String(), line: startLine})
			i = j
		case strings.IndexByte("[]{}=,", c) >= 0:
			toks = append(toks, tomlTok{kind: c, line: line})
			i++
		default:
			j := i
			for j < len(src) && strings.IndexByte(" \t\r\n#[]{}=,\"'", src[j]) < 0 {
				j++
			}
			toks = append(toks, tomlTok{kind: 'w', text: src[i:j], line: line})
			i = j
		}
	}
	return toks
}

type tomlScan struct {
	toks   []tomlTok
	pos    int
	lines  map[string]int
	arrays map[string]int // [[array]] tables seen so far, by path
}

func (s *tomlScan) peek() tomlTok {
	if s.pos < len(s.toks) {
		return s.toks[s.pos]
	}
	return tomlTok{kind: 0}
}

func (s *tomlScan) next() tomlTok {
	t := s.peek()
	if s.pos < len(s.toks) {
		s.pos++
	}
	return t
}

func (s *tomlScan) skipNewlines() {
	for s.peek().kind == 'n' {
		s.pos++
	}
}

func (s *tomlScan) record(path string, line int) {
	if _, ok := s.lines[path]; !ok {
		s.lines[path] = line
	}
}

// document: lines of [table], [[array]] and key = value.
func (s *tomlScan) document() {
	table := ""
	for s.pos < len(s.toks) {
		t := s.peek()
		switch t.kind {
		case 'n':
			s.pos++
		case '[':
			s.pos++
			array := s.peek().kind == '['
			if array {
				s.pos++
			}
			keys := s.key()
			table = strings.Join(keys, ".")
			if array {
				i := s.arrays[table]
				s.arrays[table] = i + 1
				s.record(table, t.line)
				table = fmt.Sprintf("%s[%d]", table, i)
			}
			s.record(table, t.line)
			s.toLineEnd()
		case 'w', 's':
			s.keyValue(table)
			s.toLineEnd()
		default:
			s.toLineEnd()
		}
	}
}

// key reads a dotted key (a.b."c d") up to = or ].
func (s *tomlScan) key() []string {
	var keys []string
	for {
		t := s.peek()
		switch t.kind {
		case 'w':
			s.pos++
			for _, k := range strings.Split(t.text, ".") {
				if k != "" {
					keys = append(keys, k)
				}
			}
		case 's':
			s.pos++
			keys = append(keys, t.text)
		default:
			return keys
		}
	}
}

// keyValue reads key = value under prefix, recording the key's line.
func (s *tomlScan) keyValue(prefix string) {
	line := s.peek().line
	keys := s.key()
	if s.peek().kind != '=' || len(keys) == 0 {
		return
	}
	s.pos++
	path := prefix
	for _, k := range keys {
		path = joinKey(path, k)
		s.record(path, line)
	}
	s.value(path)
}

// value reads one value at path: a scalar, an [array] or an {inline table}.
func (s *tomlScan) value(path string) {
	t := s.next()
	switch t.kind {
	case '[':
		for i := 0; ; i++ {
			s.skipNewlines()
			switch s.peek().kind {
			case ']':
				s.pos++
				return
			case 0:
				return
			}
			s.record(fmt.Sprintf("%s[%d]", path, i), s.peek().line)
			s.value(fmt.Sprintf("%s[%d]", path, i))
			s.skipNewlines()
			switch s.peek().kind {
			case ',':
				s.pos++
			case ']':
				s.pos++
				return
			default:
				return
			}
		}
	case '{':
		for {
			switch s.peek().kind {
			case '}':
				s.pos++
				return
			case 'w', 's':
				s.keyValue(path)
			default:
				return
			}
			switch s.peek().kind {
			case ',':
				s.pos++
			case '}':
				s.pos++
				return
			default:
				return
			}
		}
	case 'w':
		// A date-time with a space (1979-05-27 07:32:00) is two words.
		if n := s.peek(); n.kind == 'w' && n.line == t.line {
			s.pos++
		}
	}
}

// toLineEnd skips what is left of a line (nothing, in valid TOML).
func (s *tomlScan) toLineEnd() {
	for s.pos < len(s.toks) && s.peek().kind != 'n' {
		s.pos++
	}
}
