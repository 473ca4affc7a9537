package sshd

import (
	"slices"
	"testing"

	"github.com/honeyscope/honeyscope/internal/shell"
)

func TestLineEditor(t *testing.T) {
	for _, tc := range []struct {
		name  string
		in    string
		echo  bool
		lines []string
		out   string
		last  lineEvent
	}{
		{"crlf", "ls\r\ncd /\r\n", true, []string{"ls", "cd /"}, "ls\r\ncd /\r\n", evNone},
		{"cr nul", "a\r\x00b\r", false, []string{"a", "b"}, "", evLine},
		{"lf", "a\n\nb\n", false, []string{"a", "", "b"}, "", evLine},
		{"backspace", "ab\x7f\x08c\n", true, []string{"c"}, "ab\b \b\b \bc\r\n", evLine},
		{"backspace empty", "\x7fa\n", true, []string{"a"}, "a\r\n", evLine},
		{"utf8 backspace", "x\xc3\xa9\x7f\n", false, []string{"x"}, "", evLine},
		{"arrows", "a\x1b[A\x1b[1;5Cb\x1bOPc\n", true, []string{"abc"}, "abc\r\n", evLine},
		{"ctrl-u", "abc\x15d\n", true, []string{"d"}, "abc\b \b\b \b\b \bd\r\n", evLine},
		{"ctrl-c", "abc\x03", true, nil, "abc^C\r\n", evInterrupt},
		{"ctrl-d", "\x04", false, nil, "", evEOF},
		{"ctrl-d in line", "a\x04\n", false, []string{"a"}, "", evLine},
		{"tab kept", "a\tb\n", false, []string{"a\tb"}, "", evLine},
		{"overflow", "12345", false, nil, "", evOverflow},
	} {
		e := &lineEditor{echo: tc.echo, max: 4}
		var out []byte
		var lines []string
		var ev lineEvent
		for i := 0; i < len(tc.in); i++ {
			out, ev = e.put(tc.in[i], out)
			if ev == evLine {
				lines = append(lines, e.take())
			}
		}
		if !slices.Equal(lines, tc.lines) || string(out) != tc.out || ev != tc.last {
			t.Errorf("%s: lines %q out %q last %d, want %q %q %d", tc.name, lines, out, ev, tc.lines, tc.out, tc.last)
		}
	}
}

func TestOnlcr(t *testing.T) {
	for in, want := range map[string]string{
		"":         "",
		"a":        "a",
		"a\nb\n":   "a\r\nb\r\n",
		"a\r\nb":   "a\r\nb",
		"\n\n":     "\r\n\r\n",
		"\r\n\n\r": "\r\n\r\n\r",
	} {
		if got := string(shell.CRLF([]byte(in))); got != want {
			t.Errorf("shell.CRLF(%q) = %q, want %q", in, got, want)
		}
	}
}
