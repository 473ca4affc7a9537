// Package elftest makes ELF files for tests: small hand-built ones (a
// header, program headers, optionally a section table with a symbol table)
// and real programs built with the Go toolchain for several architectures,
// once per test binary and cached in a temporary directory. No real malware
// is involved: every byte is made here.
package elftest

import (
	"bytes"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// Spec describes a hand-built ELF file.
type Spec struct {
	Class   int // 32 or 64
	BE      bool
	Machine uint16
	Flags   uint32
	Entry   uint64
	Interp  string   // a PT_INTERP segment when not ""
	Dynamic bool     // a PT_DYNAMIC segment
	Symbols []string // function symbols (a .symtab and .strtab, sections named)
	NoSects bool     // no section table at all (e_shoff 0)
	Body    []byte   // bytes after the headers, inside the PT_LOAD
}

// Build returns the ELF file s describes.
func Build(s Spec) []byte {
	var bo binary.ByteOrder = binary.LittleEndian
	if s.BE {
		bo = binary.BigEndian
	}
	is64 := s.Class == 64
	ehsize, phsize, shsize, symsize := 52, 32, 40, 16
	if is64 {
		ehsize, phsize, shsize, symsize = 64, 56, 64, 24
	}
	type ph struct {
		typ       uint32
		off, size uint64
	}
	var phs []ph
	nph := 1
	if s.Interp != "" {
		nph++
	}
	if s.Dynamic {
		nph++
	}
	var body bytes.Buffer
	base := uint64(ehsize + nph*phsize)
	if s.Interp != "" {
		phs = append(phs, ph{3, base + uint64(body.Len()), uint64(len(s.Interp) + 1)})
		body.WriteString(s.Interp)
		body.WriteByte(0)
	}
	if s.Dynamic {
		phs = append(phs, ph{2, base + uint64(body.Len()), 16})
		body.Write(make([]byte, 16))
	}
	body.Write(s.Body)
	// Sections: null, .text, .symtab, .strtab, .shstrtab.
	var shdrs []byte
	shoff := uint64(0)
	shnum, shstrndx := 0, 0
	if !s.NoSects {
		shstr := []byte("\x00.text\x00.symtab\x00.strtab\x00.shstrtab\x00")
		nameOff := map[string]uint32{".text": 1, ".symtab": 7, ".strtab": 15, ".shstrtab": 23}
		strtab := []byte{0}
		var syms bytes.Buffer
		syms.Write(make([]byte, symsize))
		for _, n := range s.Symbols {
			e := make([]byte, symsize)
			bo.PutUint32(e, uint32(len(strtab)))
			info := byte(1<<4 | 2) // GLOBAL FUNC
			if is64 {
				e[4] = info
				bo.PutUint16(e[6:], 1)
			} else {
				e[12] = info
				bo.PutUint16(e[14:], 1)
			}
			syms.Write(e)
			strtab = append(strtab, n...)
			strtab = append(strtab, 0)
		}
		textOff := base + uint64(body.Len())
		body.Write(make([]byte, 16))
		symOff := base + uint64(body.Len())
		body.Write(syms.Bytes())
		strOff := base + uint64(body.Len())
		body.Write(strtab)
		shstrOff := base + uint64(body.Len())
		body.Write(shstr)
		for body.Len()%8 != 0 {
			body.WriteByte(0)
		}
		shoff = base + uint64(body.Len())
		sh := func(name, typ uint32, off, size uint64, link uint32, entsize uint64) {
			h := make([]byte, shsize)
			bo.PutUint32(h, name)
			bo.PutUint32(h[4:], typ)
			if is64 {
				bo.PutUint64(h[24:], off)
				bo.PutUint64(h[32:], size)
				bo.PutUint32(h[40:], link)
				bo.PutUint64(h[56:], entsize)
			} else {
				bo.PutUint32(h[16:], uint32(off))
				bo.PutUint32(h[20:], uint32(size))
				bo.PutUint32(h[24:], link)
				bo.PutUint32(h[36:], uint32(entsize))
			}
			shdrs = append(shdrs, h...)
		}
		sh(0, 0, 0, 0, 0, 0)
		sh(nameOff[".text"], 1, textOff, 16, 0, 0)
		sh(nameOff[".symtab"], 2, symOff, uint64(syms.Len()), 3, uint64(symsize))
		sh(nameOff[".strtab"], 3, strOff, uint64(len(strtab)), 0, 0)
		sh(nameOff[".shstrtab"], 3, shstrOff, uint64(len(shstr)), 0, 0)
		shnum, shstrndx = 5, 4
	}
	total := base + uint64(body.Len())
	phs = append([]ph{{1, 0, total}}, phs...)

	out := make([]byte, ehsize)
	copy(out, "\x7fELF")
	out[4] = 1
	if is64 {
		out[4] = 2
	}
	out[5] = 1
	if s.BE {
		out[5] = 2
	}
	out[6] = 1
	bo.PutUint16(out[16:], 2)
	bo.PutUint16(out[18:], s.Machine)
	bo.PutUint32(out[20:], 1)
	p := 36
	if is64 {
		bo.PutUint64(out[24:], s.Entry)
		bo.PutUint64(out[32:], uint64(ehsize))
		bo.PutUint64(out[40:], shoff)
		p = 48
	} else {
		bo.PutUint32(out[24:], uint32(s.Entry))
		bo.PutUint32(out[28:], uint32(ehsize))
		bo.PutUint32(out[32:], uint32(shoff))
	}
	bo.PutUint32(out[p:], s.Flags)
	bo.PutUint16(out[p+4:], uint16(ehsize))
	bo.PutUint16(out[p+6:], uint16(phsize))
	bo.PutUint16(out[p+8:], uint16(len(phs)))
	bo.PutUint16(out[p+10:], uint16(shsize))
	bo.PutUint16(out[p+12:], uint16(shnum))
	bo.PutUint16(out[p+14:], uint16(shstrndx))
	for _, h := range phs {
		e := make([]byte, phsize)
		bo.PutUint32(e, h.typ)
		if is64 {
			bo.PutUint64(e[8:], h.off)
			bo.PutUint64(e[32:], h.size)
			bo.PutUint64(e[40:], h.size)
		} else {
			bo.PutUint32(e[4:], uint32(h.off))
			bo.PutUint32(e[16:], uint32(h.size))
			bo.PutUint32(e[20:], uint32(h.size))
		}
		out = append(out, e...)
	}
	out = append(out, body.Bytes()...)
	return append(out, shdrs...)
}

// GoTarget is one architecture Go builds the test program for.
type GoTarget struct {
	GOARCH, GOARM, GOMIPS string
	Arch                  string // the name elfinfo gives it
}

// GoTargets are the architectures GoPrograms builds.
var GoTargets = []GoTarget{
	{GOARCH: "arm", GOARM: "7", Arch: "arm"},
	{GOARCH: "mipsle", GOMIPS: "softfloat", Arch: "mipsel"},
	{GOARCH: "386", Arch: "i386"},
}

const program = `package main

import "os"

func main() {
	os.Stdout.WriteString("hello from a test program\n")
}
`

var (
	goOnce  sync.Once
	goDir   string
	goBins  map[string][]byte
	goErr   error
	goSkips string
)

// GoPrograms returns a tiny Go program built for each of GoTargets, keyed
// by GOARCH, building them once per test binary (in a temporary directory
// removed by Cleanup). It skips tb when the go command is missing.
func GoPrograms(tb testing.TB) map[string][]byte {
	tb.Helper()
	goOnce.Do(func() {
		gobin, err := exec.LookPath("go")
		if err != nil {
			goSkips = "go command not found"
			return
		}
		goDir, goErr = os.MkdirTemp("", "elftest-")
		if goErr != nil {
			return
		}
		src := filepath.Join(goDir, "main.go")
		if goErr = os.WriteFile(src, []byte(program), 0o600); goErr != nil {
			return
		}
		goBins = map[string][]byte{}
		for _, t := range GoTargets {
			out := filepath.Join(goDir, "prog-"+t.GOARCH)
			cmd := exec.Command(gobin, "build", "-trimpath", "-o", out, src)
			cmd.Dir = goDir
			cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH="+t.GOARCH, "CGO_ENABLED=0", "GOFLAGS=",
				"GO111MODULE=off", "GOARM="+t.GOARM, "GOMIPS="+t.GOMIPS)
			if msg, err := cmd.CombinedOutput(); err != nil {
				goErr = &buildError{t.GOARCH, string(msg), err}
				return
			}
			b, err := os.ReadFile(out)
			if err != nil {
				goErr = err
				return
			}
			goBins[t.GOARCH] = b
		}
	})
	if goSkips != "" {
		tb.Skip(goSkips)
	}
	if goErr != nil {
		tb.Fatal(goErr)
	}
	return goBins
}

// Cleanup removes the programs GoPrograms built; call it from TestMain.
func Cleanup() {
	if goDir != "" {
		os.RemoveAll(goDir)
	}
}

type buildError struct {
	arch, out string
	err       error
}

func (e *buildError) Error() string {
	return "go build " + e.arch + ": " + e.err.Error() + ": " + e.out
}
