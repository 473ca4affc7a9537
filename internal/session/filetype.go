package session

import (
	"bytes"
	"fmt"
)

// FileType names a file's content from its first bytes:
// "elf32-arm-le", "elf64-x86_64-le", "elf32-mips-be", ... for ELF files
// (class, machine, endianness from the header), "script" for a "#!" script or
// shell text, "empty", or "data".
func FileType(b []byte) string {
	if len(b) == 0 {
		return "empty"
	}
	if len(b) >= 20 && bytes.HasPrefix(b, []byte("\x7fELF")) {
		class := "elf?"
		switch b[4] {
		case 1:
			class = "elf32"
		case 2:
			class = "elf64"
		}
		end := "?"
		var machine uint16
		switch b[5] {
		case 1:
			end = "le"
			machine = uint16(b[18]) | uint16(b[19])<<8
		case 2:
			end = "be"
			machine = uint16(b[18])<<8 | uint16(b[19])
		}
		return fmt.Sprintf("%s-%s-%s", class, MachineName(machine), end)
	}
	if bytes.HasPrefix(b, []byte("\x7fELF")) {
		return "elf-truncated"
	}
	if bytes.HasPrefix(b, []byte("#!")) {
		return "script"
	}
	return "data"
}

// IsSample reports whether a file of type t is kept as a sample: ELF
// files (even truncated ones) and scripts.
func IsSample(t string) bool {
	return t == "script" || len(t) >= 3 && t[:3] == "elf"
}

// MachineName names an ELF e_machine value as honeyscope prints it.
func MachineName(m uint16) string {
	switch m {
	case 2:
		return "sparc"
	case 3:
		return "x86"
	case 4:
		return "m68k"
	case 8:
		return "mips"
	case 20:
		return "ppc"
	case 21:
		return "ppc64"
	case 22:
		return "s390"
	case 40:
		return "arm"
	case 42:
		return "sh"
	case 43:
		return "sparc64"
	case 62:
		return "x86_64"
	case 183:
		return "aarch64"
	case 243:
		return "riscv"
	case 258:
		return "loongarch"
	case 92:
		return "openrisc"
	case 94:
		return "xtensa"
	case 15:
		return "parisc"
	case 50:
		return "ia64"
	case 87:
		return "v850"
	case 88:
		return "m32r"
	case 106:
		return "blackfin"
	case 164:
		return "hexagon"
	case 166:
		return "arc"
	}
	return fmt.Sprintf("machine%d", m)
}
