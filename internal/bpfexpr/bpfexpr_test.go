package bpfexpr

import (
	"encoding/binary"
	"errors"
	"os/exec"
	"strings"
	"testing"

	"golang.org/x/net/bpf"
)

func needTcpdump(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("tcpdump"); err != nil {
		t.Skip("tcpdump not installed (Debian: apt install tcpdump)")
	}
}

// frame builds an Ethernet + IPv4 + TCP frame to dport.
func frame(proto byte, dport uint16) []byte {
	b := make([]byte, 14+20+20)
	binary.BigEndian.PutUint16(b[12:], 0x0800)
	ip := b[14:]
	ip[0] = 0x45
	binary.BigEndian.PutUint16(ip[2:], 40)
	ip[8] = 64
	ip[9] = proto
	copy(ip[12:], []byte{198, 51, 100, 7})
	copy(ip[16:], []byte{192, 0, 2, 1})
	tcp := ip[20:]
	binary.BigEndian.PutUint16(tcp[0:], 40000)
	binary.BigEndian.PutUint16(tcp[2:], dport)
	tcp[12] = 5 << 4
	tcp[13] = 0x02
	return b
}

func TestCompileAndRun(t *testing.T) {
	needTcpdump(t)
	prog, err := Compile("tcp and not port 22", LinkEthernet)
	if err != nil {
		t.Fatal(err)
	}
	insns := make([]bpf.Instruction, len(prog))
	for i, r := range prog {
		insns[i] = r.Disassemble()
	}
	vm, err := bpf.NewVM(insns)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		f    []byte
		want bool
	}{{frame(6, 23), true}, {frame(6, 22), false}, {frame(17, 23), false}} {
		n, err := vm.Run(c.f)
		if err != nil {
			t.Fatal(err)
		}
		if (n > 0) != c.want {
			t.Errorf("frame proto %d port %d: accepted %v, want %v", c.f[23], binary.BigEndian.Uint16(c.f[36:]), n > 0, c.want)
		}
	}
}

func TestCompileErrors(t *testing.T) {
	needTcpdump(t)
	for _, expr := range []string{"tcp and", "port 99999999", "-w /tmp/x", "tcp\nudp", strings.Repeat("tcp or ", 1000)} {
		if _, err := Compile(expr, LinkEthernet); err == nil {
			t.Errorf("%q compiled", expr)
		} else if !strings.Contains(err.Error(), "filter") {
			t.Errorf("%q: %v does not name the filter", expr, err)
		}
	}
	if p, err := Compile("  ", LinkEthernet); err != nil || p != nil {
		t.Errorf("empty expression: %v %v", p, err)
	}
}

func TestNoTcpdump(t *testing.T) {
	_, err := Compiler{Tcpdump: "/nonexistent/tcpdump"}.Compile(t.Context(), "tcp", LinkEthernet)
	if err == nil {
		t.Fatal("compiled without tcpdump")
	}
	t.Setenv("PATH", t.TempDir())
	if _, err := Compile("tcp", LinkEthernet); !errors.Is(err, ErrNoTcpdump) {
		t.Fatalf("no tcpdump in PATH: %v", err)
	}
}

func TestParse(t *testing.T) {
	good := "4\n40 0 0 12\n21 0 1 2048\n6 0 0 262144\n6 0 0 0\n"
	p, err := Parse([]byte(good))
	if err != nil || len(p) != 4 || p[1].K != 2048 || p[1].Jf != 1 {
		t.Fatalf("%v %v", p, err)
	}
	for _, bad := range []string{"", "x", "2\n6 0 0 0\n", "1\n40 0 0 12\n", "2\n21 0 5 1\n6 0 0 0\n", "1\n6 0 0 99999999999\n", "1\n65535 0 0 0\n", "0\n"} {
		if _, err := Parse([]byte(bad)); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("4\n40 0 0 12\n21 0 1 2048\n6 0 0 262144\n6 0 0 0\n"))
	f.Add([]byte("1\n5 0 0 4294967295\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := Parse(b)
		if err != nil {
			return
		}
		if err := Check(p); err != nil {
			t.Fatalf("Parse accepted a program Check refuses: %v", err)
		}
	})
}
