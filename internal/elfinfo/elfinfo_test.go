package elfinfo

import (
	"bytes"
	"debug/elf"
	"errors"
	"os"
	"reflect"
	"slices"
	"testing"

	"github.com/honeyscope/honeyscope/internal/elfinfo/elftest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	elftest.Cleanup()
	os.Exit(code)
}

func TestHandBuilt(t *testing.T) {
	cases := []struct {
		name string
		spec elftest.Spec
		want Info
	}{
		{"arm eabi5 soft static stripped", elftest.Spec{Class: 32, Machine: 40, Flags: 0x05000200, Entry: 0x8000},
			Info{Class: 32, Endian: "le", Arch: "arm", ABI: "eabi5 soft-float", Entry: 0x8000, Static: true, Stripped: Yes, Sections: Yes}},
		{"armhf dynamic", elftest.Spec{Class: 32, Machine: 40, Flags: 0x05000400, Interp: "/lib/ld-linux-armhf.so.3", Dynamic: true, Symbols: []string{"main", "connect"}},
			Info{Class: 32, Endian: "le", Arch: "arm", ABI: "eabi5 hard-float", Interp: "/lib/ld-linux-armhf.so.3", Stripped: No, Sections: Yes}},
		{"mips be o32", elftest.Spec{Class: 32, BE: true, Machine: 8, Flags: 0x70001007, Entry: 0x400100},
			Info{Class: 32, Endian: "be", Arch: "mips", ABI: "o32 mips32r2", Entry: 0x400100, Static: true, Stripped: Yes, Sections: Yes}},
		{"mipsel no sections", elftest.Spec{Class: 32, Machine: 8, Flags: 0x50001000, NoSects: true},
			Info{Class: 32, Endian: "le", Arch: "mipsel", ABI: "o32 mips32", Static: true, Stripped: Unknown, Sections: No}},
		{"x86_64", elftest.Spec{Class: 64, Machine: 62, Entry: 0x401000, Symbols: []string{"main"}},
			Info{Class: 64, Endian: "le", Arch: "x86_64", Entry: 0x401000, Static: true, Stripped: No, Sections: Yes}},
		{"powerpc", elftest.Spec{Class: 32, BE: true, Machine: 20},
			Info{Class: 32, Endian: "be", Arch: "powerpc", Static: true, Stripped: Yes, Sections: Yes}},
		{"sh4", elftest.Spec{Class: 32, Machine: 42},
			Info{Class: 32, Endian: "le", Arch: "sh4", Static: true, Stripped: Yes, Sections: Yes}},
		{"sparc", elftest.Spec{Class: 32, BE: true, Machine: 2},
			Info{Class: 32, Endian: "be", Arch: "sparc", Static: true, Stripped: Yes, Sections: Yes}},
		{"m68k", elftest.Spec{Class: 32, BE: true, Machine: 4},
			Info{Class: 32, Endian: "be", Arch: "m68k", Static: true, Stripped: Yes, Sections: Yes}},
		{"arc", elftest.Spec{Class: 32, Machine: 195},
			Info{Class: 32, Endian: "le", Arch: "arc", Static: true, Stripped: Yes, Sections: Yes}},
		{"aarch64", elftest.Spec{Class: 64, Machine: 183, Interp: "/lib/ld-linux-aarch64.so.1"},
			Info{Class: 64, Endian: "le", Arch: "aarch64", Interp: "/lib/ld-linux-aarch64.so.1", Stripped: Yes, Sections: Yes}},
		{"i386", elftest.Spec{Class: 32, Machine: 3},
			Info{Class: 32, Endian: "le", Arch: "i386", Static: true, Stripped: Yes, Sections: Yes}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := elftest.Build(c.spec)
			in, err := Parse(b)
			if err != nil {
				t.Fatal(err)
			}
			got := Info{Class: in.Class, Endian: in.Endian, Arch: in.Arch, ABI: in.ABI, Entry: in.Entry, Static: in.Static,
				Interp: in.Interp, Stripped: in.Stripped, Sections: in.Sections}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("got  %+v\nwant %+v (problems %v)", got, c.want, in.Problems)
			}
			if in.Machine != c.spec.Machine || in.Flags != c.spec.Flags || in.Type != "exec" {
				t.Errorf("machine %d flags %#x type %s", in.Machine, in.Flags, in.Type)
			}
			syms := Symbols(b, &in, 100)
			var names []string
			for _, s := range syms {
				names = append(names, s.Name)
			}
			if !slices.Equal(names, c.spec.Symbols) {
				t.Errorf("symbols %q, want %q", names, c.spec.Symbols)
			}
		})
	}
}

// TestCorruptSectionTable: a section table pointing past the end of the
// file makes debug/elf give up; Parse still answers from the program
// headers and says the stripped question cannot be answered.
func TestCorruptSectionTable(t *testing.T) {
	b := elftest.Build(elftest.Spec{Class: 32, Machine: 40, Flags: 0x05000000, Interp: "/lib/ld-uClibc.so.0", Symbols: []string{"main"}})
	// e_shoff far past the end.
	b[32], b[33], b[34], b[35] = 0xff, 0xff, 0xff, 0x7f
	if _, err := elf.NewFile(bytes.NewReader(b)); err == nil {
		t.Fatal("debug/elf accepted the corrupt table: the test proves nothing")
	}
	in, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	if in.Arch != "arm" || in.Interp != "/lib/ld-uClibc.so.0" || in.Static || in.Stripped != Unknown || in.Sections != No || !in.Truncated {
		t.Errorf("%+v", in)
	}
	if len(in.Problems) == 0 {
		t.Error("no problem reported")
	}
}

func TestNotELF(t *testing.T) {
	for _, b := range [][]byte{nil, []byte("#!/bin/sh\n"), []byte("\x7fEL")} {
		if _, err := Parse(b); !errors.Is(err, ErrNotELF) {
			t.Errorf("%q: %v", b, err)
		}
	}
	if _, err := Parse([]byte("\x7fELF\x01\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x28\x00")); err == nil {
		t.Error("truncated header accepted")
	}
	if _, err := Parse([]byte("\x7fELF\x03\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00")); err == nil {
		t.Error("class 3 accepted")
	}
}

// TestGoPrograms compares Parse with debug/elf on real programs.
func TestGoPrograms(t *testing.T) {
	bins := elftest.GoPrograms(t)
	for _, tg := range elftest.GoTargets {
		b := bins[tg.GOARCH]
		in, err := Parse(b)
		if err != nil {
			t.Fatal(tg.GOARCH, err)
		}
		f, err := elf.NewFile(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		if in.Arch != tg.Arch || in.Machine != uint16(f.Machine) || in.Entry != f.Entry || in.Class != map[elf.Class]int{elf.ELFCLASS32: 32, elf.ELFCLASS64: 64}[f.Class] {
			t.Errorf("%s: %+v vs %v %v %#x", tg.GOARCH, in, f.Machine, f.Class, f.Entry)
		}
		if !in.Static || in.Interp != "" || in.Stripped != No || in.Sections != Yes || in.Programs != len(f.Progs) {
			t.Errorf("%s: static %v interp %q stripped %s sections %s programs %d (debug/elf %d)", tg.GOARCH, in.Static, in.Interp, in.Stripped, in.Sections, in.Programs, len(f.Progs))
		}
		if len(in.Names) != min(len(f.Sections)-1, maxNames) {
			t.Errorf("%s: %d section names, debug/elf %d sections", tg.GOARCH, len(in.Names), len(f.Sections))
		}
		syms, err := f.Symbols()
		if err != nil {
			t.Fatal(err)
		}
		got := Symbols(b, &in, 1<<20)
		if len(got) != len(syms) {
			t.Fatalf("%s: %d symbols, debug/elf %d", tg.GOARCH, len(got), len(syms))
		}
		for i := range syms {
			if got[i].Name != syms[i].Name && len(syms[i].Name) <= 256 {
				t.Fatalf("%s: symbol %d %q, debug/elf %q", tg.GOARCH, i, got[i].Name, syms[i].Name)
			}
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add(elftest.Build(elftest.Spec{Class: 32, Machine: 40, Symbols: []string{"a", "b"}}))
	f.Add(elftest.Build(elftest.Spec{Class: 64, BE: true, Machine: 8, Interp: "/lib/ld.so", Dynamic: true}))
	f.Add([]byte("\x7fELF"))
	f.Fuzz(func(t *testing.T, b []byte) {
		in, err := Parse(b)
		if err != nil {
			return
		}
		Symbols(b, &in, 1000)
		if len(in.Names) > maxNames || len(in.Interp) > maxInterp {
			t.Fatal("bounds exceeded")
		}
	})
}
