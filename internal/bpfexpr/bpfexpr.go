// Package bpfexpr turns a capture filter expression in tcpdump's language
// ("tcp and not port 22") into a classic BPF program for a capture socket.
//
// The expression language is libpcap's. Rather than link libpcap through
// cgo (which every build of honeyscope would then need, headers and all),
// the expression is compiled once, when the capture starts, by the tcpdump
// binary an operator of a sensor has anyway: `tcpdump -y LINK -ddd EXPR`
// compiles without opening any interface or capturing anything. The
// expression is passed as one argument (never through a shell) and the
// output is parsed strictly and checked by golang.org/x/net/bpf before it
// reaches the kernel. The expression comes from the operator's
// configuration, never from captured traffic.
package bpfexpr

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/bpf"
)

// MaxExpr bounds the length of an expression.
const MaxExpr = 4096

// MaxInstructions is the kernel's limit on a classic BPF program
// (BPF_MAXINSNS).
const MaxInstructions = 4096

// Link names the link types a filter can be compiled for, as tcpdump's
// -y option spells them.
const (
	LinkEthernet = "EN10MB"
	LinkRaw      = "RAW"
)

// ErrNoTcpdump is returned when no tcpdump binary is found to compile
// an expression with.
var ErrNoTcpdump = errors.New("compiling a filter expression needs tcpdump (Debian: apt install tcpdump); or give an already compiled program")

// Compiler compiles expressions. The zero value looks tcpdump up in PATH
// and gives it 10 seconds.
type Compiler struct {
	Tcpdump string        // path of tcpdump ("" = looked up in PATH)
	Timeout time.Duration // 0 = 10s
}

// Compile compiles expr for frames of the given link type (LinkEthernet
// for AF_PACKET sockets). An empty expression gives a nil program.
func Compile(expr, link string) ([]bpf.RawInstruction, error) {
	return Compiler{}.Compile(context.Background(), expr, link)
}

// Compile compiles expr for frames of the given link type.
func (c Compiler) Compile(ctx context.Context, expr, link string) ([]bpf.RawInstruction, error) {
	expr = strings.TrimSpace(expr)
	if expr == "" {
		return nil, nil
	}
	if len(expr) > MaxExpr {
		return nil, fmt.Errorf("filter of %d bytes (at most %d)", len(expr), MaxExpr)
	}
	if strings.ContainsAny(expr, "\x00\n\r") {
		return nil, fmt.Errorf("filter %q: control characters", expr)
	}
	if strings.HasPrefix(expr, "-") {
		return nil, fmt.Errorf("filter %q: an expression cannot start with '-'", expr)
	}
	bin := c.Tcpdump
	if bin == "" {
		p, err := exec.LookPath("tcpdump")
		if err != nil {
			return nil, ErrNoTcpdump
		}
		bin = p
	}
	to := c.Timeout
	if to <= 0 {
		to = 10 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, to)
	defer cancel()
	// "--" ends the options: the expression is an operand whatever it holds.
	cmd := exec.CommandContext(ctx, bin, "-y", link, "-ddd", "--", expr)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &limited{b: &out, n: 1 << 20}, &limited{b: &errb, n: 64 << 10}
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(errb.String())
		if msg == "" {
			msg = err.Error()
		}
		// tcpdump says "tcpdump: syntax error" and the like.
		msg = strings.TrimPrefix(msg, "tcpdump: ")
		return nil, fmt.Errorf("filter %q: %s", expr, msg)
	}
	prog, err := Parse(out.Bytes())
	if err != nil {
		return nil, fmt.Errorf("filter %q: %w", expr, err)
	}
	return prog, nil
}

// Parse reads a program in tcpdump -ddd's format: the number of
// instructions on the first line, then one "op jt jf k" line (decimal)
// each. The program is checked to be one the kernel accepts: jumps in
// range, ending in a return.
func Parse(text []byte) ([]bpf.RawInstruction, error) {
	lines := strings.Split(strings.TrimSpace(string(text)), "\n")
	if len(lines) == 0 || lines[0] == "" {
		return nil, errors.New("empty program")
	}
	n, err := strconv.Atoi(strings.TrimSpace(lines[0]))
	if err != nil || n <= 0 || n > MaxInstructions {
		return nil, fmt.Errorf("program length %q", lines[0])
	}
	if len(lines)-1 != n {
		return nil, fmt.Errorf("program says %d instructions, has %d", n, len(lines)-1)
	}
	prog := make([]bpf.RawInstruction, n)
	for i, l := range lines[1:] {
		f := strings.Fields(l)
		if len(f) != 4 {
			return nil, fmt.Errorf("instruction %d: %q", i, l)
		}
		var v [4]uint64
		for j, s := range f {
			bits := 32
			if j == 0 {
				bits = 16
			} else if j < 3 {
				bits = 8
			}
			x, err := strconv.ParseUint(s, 10, bits)
			if err != nil {
				return nil, fmt.Errorf("instruction %d: %q", i, l)
			}
			v[j] = x
		}
		prog[i] = bpf.RawInstruction{Op: uint16(v[0]), Jt: uint8(v[1]), Jf: uint8(v[2]), K: uint32(v[3])}
	}
	if err := Check(prog); err != nil {
		return nil, err
	}
	return prog, nil
}

// Check reports whether prog is a program the kernel would accept, as
// far as its shape goes: every instruction decodes, every jump lands
// inside the program, and the last instruction returns.
func Check(prog []bpf.RawInstruction) error {
	if len(prog) == 0 || len(prog) > MaxInstructions {
		return fmt.Errorf("program of %d instructions (1 to %d)", len(prog), MaxInstructions)
	}
	for i, ri := range prog {
		ins := ri.Disassemble()
		if _, ok := ins.(bpf.RawInstruction); ok {
			return fmt.Errorf("instruction %d (op %#x) is not valid classic BPF", i, ri.Op)
		}
		if ri.Op&0x07 == 0x05 { // BPF_JMP
			var far int
			if ri.Op&0xf0 == 0x00 { // BPF_JA
				far = int(ri.K)
			} else {
				far = int(max(ri.Jt, ri.Jf))
			}
			if i+1+far >= len(prog) {
				return fmt.Errorf("instruction %d jumps past the end", i)
			}
		}
	}
	if prog[len(prog)-1].Op&0x07 != 0x06 { // BPF_RET
		return errors.New("program does not end in a return")
	}
	return nil
}

// limited is a writer keeping at most n bytes (a misbehaving binary
// cannot fill memory).
type limited struct {
	b *bytes.Buffer
	n int
}

func (l *limited) Write(p []byte) (int, error) {
	if room := l.n - l.b.Len(); room > 0 {
		if len(p) > room {
			l.b.Write(p[:room])
		} else {
			l.b.Write(p)
		}
	}
	return len(p), nil
}
