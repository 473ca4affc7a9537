package sandbox

import (
	"errors"
	"fmt"
	"slices"
)

// Arch is an architecture a sample runs on, and the qemu user-mode emulator
// that runs it.
type Arch struct {
	Name string // honeyscope's name: arm, aarch64, mips, mipsel, i386, x86_64, ...
	Qemu string // the emulator's file name, e.g. "qemu-arm-static"
}

// ErrNotELF is returned by DetectArch for content that is not an ELF file.
var ErrNotELF = errors.New("not an ELF file")

// The architectures the sandbox knows, by name.
var arches = []Arch{
	{"arm", "qemu-arm-static"},
	{"armeb", "qemu-armeb-static"},
	{"aarch64", "qemu-aarch64-static"},
	{"mips", "qemu-mips-static"},
	{"mipsel", "qemu-mipsel-static"},
	{"mips64", "qemu-mips64-static"},
	{"mips64el", "qemu-mips64el-static"},
	{"i386", "qemu-i386-static"},
	{"x86_64", "qemu-x86_64-static"},
	{"powerpc", "qemu-ppc-static"},
	{"powerpc64", "qemu-ppc64-static"},
	{"powerpc64le", "qemu-ppc64le-static"},
	{"sh4", "qemu-sh4-static"},
	{"sh4eb", "qemu-sh4eb-static"},
	{"m68k", "qemu-m68k-static"},
	{"sparc", "qemu-sparc-static"},
	{"riscv64", "qemu-riscv64-static"},
}

// ArchNames lists the architecture names ArchByName accepts.
func ArchNames() []string {
	names := make([]string, len(arches))
	for i, a := range arches {
		names[i] = a.Name
	}
	return names
}

// ArchByName returns the architecture called name ("armhf" and "armel" are
// taken as arm, "mipsle" as mipsel, "386" and "x86" as i386, "amd64" as
// x86_64, "arm64" as aarch64, "ppc" as powerpc).
func ArchByName(name string) (Arch, error) {
	switch name {
	case "armhf", "armel":
		name = "arm"
	case "mipsle":
		name = "mipsel"
	case "386", "x86", "i686":
		name = "i386"
	case "amd64":
		name = "x86_64"
	case "arm64":
		name = "aarch64"
	case "ppc":
		name = "powerpc"
	}
	i := slices.IndexFunc(arches, func(a Arch) bool { return a.Name == name })
	if i < 0 {
		return Arch{}, fmt.Errorf("unknown architecture %q (known: %v)", truncate(name, 40), ArchNames())
	}
	return arches[i], nil
}

// ELF e_machine values.
const (
	emSPARC   = 2
	em386     = 3
	em68K     = 4
	emMIPS    = 8
	emPPC     = 20
	emPPC64   = 21
	emARM     = 40
	emSH      = 42
	emSPARC32 = 18
	emX8664   = 62
	emAARCH64 = 183
	emRISCV   = 243
)

// DetectArch reads the architecture of an ELF file from its first bytes
// (at least the 20 bytes up to e_machine): the class and data encoding of
// e_ident and e_machine. It reads nothing else, so a corrupt section or
// program header table does not matter.
func DetectArch(hdr []byte) (Arch, error) {
	if len(hdr) < 20 || string(hdr[:4]) != "\x7fELF" {
		return Arch{}, ErrNotELF
	}
	class, data := hdr[4], hdr[5]
	if class != 1 && class != 2 || data != 1 && data != 2 {
		return Arch{}, fmt.Errorf("ELF class %d, data encoding %d: not a valid header", class, data)
	}
	le := data == 1
	var machine uint16
	if le {
		machine = uint16(hdr[18]) | uint16(hdr[19])<<8
	} else {
		machine = uint16(hdr[19]) | uint16(hdr[18])<<8
	}
	is64 := class == 2
	name := ""
	switch machine {
	case emARM:
		name = pick(le, "arm", "armeb")
	case emAARCH64:
		name = "aarch64"
	case emMIPS:
		if is64 {
			name = pick(le, "mips64el", "mips64")
		} else {
			name = pick(le, "mipsel", "mips")
		}
	case em386:
		name = "i386"
	case emX8664:
		name = "x86_64"
	case emPPC:
		name = "powerpc"
	case emPPC64:
		name = pick(le, "powerpc64le", "powerpc64")
	case emSH:
		name = pick(le, "sh4", "sh4eb")
	case em68K:
		name = "m68k"
	case emSPARC, emSPARC32:
		name = "sparc"
	case emRISCV:
		if is64 {
			name = "riscv64"
		}
	}
	if name == "" {
		return Arch{}, fmt.Errorf("ELF machine %d (class %d): no emulator for it", machine, class)
	}
	return ArchByName(name)
}

func pick(le bool, little, big string) string {
	if le {
		return little
	}
	return big
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}
