package telnet

import (
	"bytes"
	"slices"
	"strings"
	"testing"
)

// feedAll runs data through p in chunks of size n (0: all at once) and
// returns the lines, the options and the error that stopped it.
func feedAll(p *Parser, data []byte, n int) (lines []string, opts string, err error) {
	if n <= 0 {
		n = len(data) + 1
	}
	for i := 0; i < len(data); i += n {
		chunk := data[i:min(i+n, len(data))]
		for len(chunk) > 0 {
			used, line, done, ferr := p.Feed(chunk)
			chunk = chunk[used:]
			if ferr != nil {
				o, _ := p.Options()
				return lines, o, ferr
			}
			if done {
				lines = append(lines, string(line))
			}
		}
	}
	o, _ := p.Options()
	return lines, o, nil
}

func TestParserLines(t *testing.T) {
	cases := []struct {
		name string
		in   string
		want []string
	}{
		{"crlf", "root\r\nxc3511\r\n", []string{"root", "xc3511"}},
		{"lf", "a\nb\n", []string{"a", "b"}},
		{"cr nul", "a\r\x00b\r\x00", []string{"a", "b"}},
		{"bare cr", "a\rb\r", []string{"a", "b"}},
		{"empty lines", "\r\n\n\r\n", []string{"", "", ""}},
		{"backspace", "roox\bt\r\n", []string{"root"}},
		{"delete", "ab\x7f\x7f\x7fc\n", []string{"c"}},
		{"nul dropped", "a\x00b\n", []string{"ab"}},
		{"iac iac literal", "a\xff\xffb\n", []string{"a\xffb"}},
		{"iac stripped", "\xff\xfd\x01ro\xff\xfb\x1fot\xff\xf1\r\n", []string{"root"}},
		{"subneg stripped", "\xff\xfa\x1f\x00\x50\x00\x18\xff\xf0sh\r\n", []string{"sh"}},
		{"subneg with iac iac", "\xff\xfa\x18\x00a\xff\xffb\xff\xf0x\n", []string{"x"}},
		{"unterminated line kept", "abc", nil},
	}
	for _, c := range cases {
		for _, chunk := range []int{0, 1, 2, 3} {
			var p Parser
			got, _, err := feedAll(&p, []byte(c.in), chunk)
			if err != nil {
				t.Fatalf("%s/%d: %v", c.name, chunk, err)
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("%s/%d: lines %q, want %q", c.name, chunk, got, c.want)
			}
		}
	}
}

func TestParserOptions(t *testing.T) {
	// What the Mirai bot answers to BusyBox's negotiation.
	in := "\xff\xfc\x01\xff\xfb\x1f\xff\xfa\x1f\x00\x50\x00\x18\xff\xf0\xff\xfd\x01\xff\xfd\x03\xff\xfe\x05"
	var p Parser
	if _, opts, err := feedAll(&p, []byte(in), 0); err != nil || opts != "WONT 1,WILL 31,SB 31,DO 1,DO 3,DONT 5" {
		t.Errorf("options %q (%v)", opts, err)
	}
	var q Parser
	if _, ch := q.Options(); ch {
		t.Error("no options sent but changed")
	}
	feedAll(&q, bytes.Repeat([]byte("\xff\xfb\x01"), 1000), 0)
	if o, _ := q.Options(); strings.Count(o, ",")+1 != maxOptions {
		t.Errorf("options not bounded: %d", strings.Count(o, ",")+1)
	}
}

func TestParserLimits(t *testing.T) {
	p := Parser{Max: 8}
	lines, _, err := feedAll(&p, []byte("12345678\r\n123456789\r\n"), 0)
	if err != ErrLine || !slices.Equal(lines, []string{"12345678"}) {
		t.Errorf("lines %q err %v, want one line then ErrLine", lines, err)
	}
	// A subnegotiation never ended is abandoned after maxSB bytes.
	var q Parser
	in := append([]byte("\xff\xfa\x18"), bytes.Repeat([]byte("x"), maxSB+1)...)
	in = append(in, "ok\n"...)
	if lines, _, _ := feedAll(&q, in, 0); !slices.Equal(lines, []string{"ok"}) {
		t.Errorf("after a runaway subnegotiation: %q", lines)
	}
}

func TestParserEcho(t *testing.T) {
	p := Parser{Echo: true}
	feedAll(&p, []byte("ro\xff\xfb\x01x\bot\r\n"), 0)
	if e := string(p.TakeEcho()); e != "rox\b \bot\r\n" {
		t.Errorf("echo %q", e)
	}
	p.Echo = false
	feedAll(&p, []byte("secret\r\n"), 0)
	if e := p.TakeEcho(); e != nil {
		t.Errorf("echo while off: %q", e)
	}
}

// FuzzParser checks that the parser never panics, keeps its bounds, and
// gives the same lines and options however the input is split.
func FuzzParser(f *testing.F) {
	f.Add([]byte("root\r\nxc3511\r\nenable\r\n"), uint8(1))
	f.Add([]byte("\xff\xfa\x1f\x00\x50\x00\x18\xff\xf0\xff\xfd\x01sh\r\x00"), uint8(2))
	f.Add([]byte("\xff\xff\xff\xfa\xff\xff\xff\xf0\r\r\n\n\b\x7f"), uint8(3))
	f.Fuzz(func(t *testing.T, data []byte, chunk uint8) {
		whole := Parser{Max: 32, Echo: true}
		a, ao, aerr := feedAll(&whole, data, 0)
		split := Parser{Max: 32, Echo: true}
		b, bo, berr := feedAll(&split, data, int(chunk%7)+1)
		if !slices.Equal(a, b) || ao != bo || aerr != berr {
			t.Fatalf("split changes the result: %q %q %v / %q %q %v", a, ao, aerr, b, bo, berr)
		}
		for _, l := range a {
			if len(l) > 32 || strings.ContainsAny(l, "\r\n") {
				t.Fatalf("line %q breaks the bounds", l)
			}
		}
		if n := len(whole.opts); n > maxOptions {
			t.Fatalf("%d options kept", n)
		}
	})
}
