// Package elfinfo reads what triage needs from an ELF file's header,
// program headers and (when they are sound) section headers, by hand:
// debug/elf refuses files whose section table is corrupt or absent, which is
// common in IoT malware (packers and section-stripping tools damage it on
// purpose), while the kernel only needs the ELF and program headers.
//
// Parse never panics and never reads outside the slice it is given; every
// count it loops over is bounded.
package elfinfo

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Bounds on what Parse walks.
const (
	maxProgs    = 256  // program headers examined
	maxSections = 4096 // section headers examined
	maxInterp   = 256  // bytes of the interpreter path kept
	maxNames    = 128  // section names kept
	maxNameLen  = 64   // bytes of one section name kept
)

// ErrNotELF is returned by Parse for content without the ELF magic.
var ErrNotELF = errors.New("not an ELF file")

// Tri is a yes / no / unknown answer (JSON: "yes", "no", "unknown").
type Tri string

// The three answers.
const (
	Yes     Tri = "yes"
	No      Tri = "no"
	Unknown Tri = "unknown"
)

// Info is what Parse found. The JSON field names are stable.
type Info struct {
	Class     int      `json:"class"`                   // 32 or 64 (0: invalid)
	Endian    string   `json:"endian"`                  // "le", "be" or "" (invalid)
	Machine   uint16   `json:"machine"`                 // e_machine
	Arch      string   `json:"arch"`                    // arm, armeb, aarch64, mips, mipsel, mips64, i386, x86_64, powerpc, sh4, sparc, m68k, arc, ...
	OSABI     string   `json:"osabi"`                   // e_ident[EI_OSABI]: sysv, linux, freebsd, ... or "osabiN"
	Type      string   `json:"type"`                    // exec, dyn (PIE or shared object), rel, core, or "typeN"
	Flags     uint32   `json:"flags"`                   // e_flags
	ABI       string   `json:"abi"`                     // e.g. "eabi5 hard-float", "o32 mips32r2", "" when nothing is known
	Entry     uint64   `json:"entry"`                   // e_entry
	Static    bool     `json:"static"`                  // no PT_INTERP and no PT_DYNAMIC
	Interp    string   `json:"interp"`                  // PT_INTERP's path ("" when none)
	Stripped  Tri      `json:"stripped"`                // no .symtab (or an empty one); unknown when the section table is absent or unsound
	Sections  Tri      `json:"sections"`                // yes: a sound section table was read
	Programs  int      `json:"programs"`                // program headers read
	Loads     int      `json:"loads"`                   // PT_LOAD segments
	Truncated bool     `json:"truncated"`               // a header points past the end of the file
	Names     []string `json:"section_names,omitempty"` // section names (at most 128)
	// ProgramsEnd is the file offset just past the program header table
	// (where UPX puts its l_info), 0 when unknown.
	ProgramsEnd uint64    `json:"-"`
	Symbols     *SymRange `json:"-"`                  // where the symbol tables are (for telfhash)
	Problems    []string  `json:"problems,omitempty"` // what was odd, for the analyst
}

// SymRange locates the symbol tables a sound section table names.
type SymRange struct {
	Tables []SymTable
}

// SymTable is one SHT_SYMTAB or SHT_DYNSYM section and its string table,
// as offsets into the file (already checked to lie inside it).
type SymTable struct {
	Dynamic         bool // SHT_DYNSYM
	Off, Size       uint64
	EntSize         uint64
	StrOff, StrSize uint64
}

// Program header types and section types used here.
const (
	ptLoad    = 1
	ptDynamic = 2
	ptInterp  = 3
	shtSymtab = 2
	shtStrtab = 3
	shtDynsym = 11
	shtNobits = 8
)

// Machine values with special naming.
const (
	emSPARC   = 2
	em386     = 3
	em68K     = 4
	emMIPS    = 8
	emMIPSRS  = 10
	emPPC     = 20
	emPPC64   = 21
	emARM     = 40
	emSH      = 42
	emSPARCV9 = 43
	emX8664   = 62
	emARC     = 45
	emARCV2   = 195
	emAArch64 = 183
	emRISCV   = 243
)

// Parse reads b's ELF headers. It returns ErrNotELF for other content and
// an error for an ELF header too short or invalid to say anything; a file
// whose program or section headers are damaged still gets an Info (with
// Problems saying what was wrong).
func Parse(b []byte) (Info, error) {
	var in Info
	if len(b) < 4 || string(b[:4]) != "\x7fELF" {
		return in, ErrNotELF
	}
	if len(b) < 16 {
		return in, errors.New("ELF identification truncated")
	}
	switch b[4] {
	case 1:
		in.Class = 32
	case 2:
		in.Class = 64
	default:
		return in, fmt.Errorf("ELF class %d is neither 32 nor 64 bits", b[4])
	}
	var bo binary.ByteOrder
	switch b[5] {
	case 1:
		in.Endian, bo = "le", binary.LittleEndian
	case 2:
		in.Endian, bo = "be", binary.BigEndian
	default:
		return in, fmt.Errorf("ELF data encoding %d is neither little nor big endian", b[5])
	}
	in.OSABI = osabiName(b[7])
	hdrLen := 52
	if in.Class == 64 {
		hdrLen = 64
	}
	if len(b) < hdrLen {
		in.Truncated = true
		if len(b) >= 20 {
			in.Machine = bo.Uint16(b[18:])
			in.Arch = ArchName(in.Machine, in.Endian, in.Class)
		}
		return in, errors.New("ELF header truncated")
	}
	in.Type = typeName(bo.Uint16(b[16:]))
	in.Machine = bo.Uint16(b[18:])
	var phoff, shoff uint64
	var p int
	if in.Class == 32 {
		in.Entry = uint64(bo.Uint32(b[24:]))
		phoff = uint64(bo.Uint32(b[28:]))
		shoff = uint64(bo.Uint32(b[32:]))
		p = 36
	} else {
		in.Entry = bo.Uint64(b[24:])
		phoff = bo.Uint64(b[32:])
		shoff = bo.Uint64(b[40:])
		p = 48
	}
	in.Flags = bo.Uint32(b[p:])
	phentsize := uint64(bo.Uint16(b[p+6:]))
	phnum := uint64(bo.Uint16(b[p+8:]))
	shentsize := uint64(bo.Uint16(b[p+10:]))
	shnum := uint64(bo.Uint16(b[p+12:]))
	shstrndx := uint64(bo.Uint16(b[p+14:]))
	in.Arch = ArchName(in.Machine, in.Endian, in.Class)
	in.ABI = abiName(in.Machine, in.Flags, in.Class)

	if phoff <= uint64(len(b)) && phnum*phentsize <= uint64(len(b)) {
		in.ProgramsEnd = phoff + phnum*phentsize
	}
	dynamic := false
	in.parsePrograms(b, bo, phoff, phentsize, phnum, &dynamic)
	in.Static = in.Interp == "" && !dynamic
	in.parseSections(b, bo, shoff, shentsize, shnum, shstrndx)
	return in, nil
}

func (in *Info) problem(format string, a ...any) {
	if len(in.Problems) < 16 {
		in.Problems = append(in.Problems, fmt.Sprintf(format, a...))
	}
}

// within reports whether [off, off+n) lies in a slice of length l.
func within(off, n uint64, l int) bool {
	return off <= uint64(l) && n <= uint64(l)-off
}

func (in *Info) parsePrograms(b []byte, bo binary.ByteOrder, off, entsize, num uint64, dynamic *bool) {
	if num == 0 {
		in.problem("no program headers")
		return
	}
	want := uint64(32)
	if in.Class == 64 {
		want = 56
	}
	if entsize < want {
		in.problem("program header size %d (want %d)", entsize, want)
		return
	}
	if num > maxProgs {
		in.problem("%d program headers (reading %d)", num, maxProgs)
		num = maxProgs
	}
	for i := uint64(0); i < num; i++ {
		o := off + i*entsize
		if off > uint64(len(b)) || !within(o, want, len(b)) {
			in.Truncated = true
			in.problem("program header %d past the end of the file", i)
			return
		}
		h := b[o : o+want]
		in.Programs++
		typ := bo.Uint32(h)
		var foff, fsz uint64
		if in.Class == 32 {
			foff, fsz = uint64(bo.Uint32(h[4:])), uint64(bo.Uint32(h[16:]))
		} else {
			foff, fsz = bo.Uint64(h[8:]), bo.Uint64(h[32:])
		}
		switch typ {
		case ptLoad:
			in.Loads++
			if !within(foff, fsz, len(b)) {
				in.Truncated = true
				in.problem("PT_LOAD %d extends past the end of the file", i)
			}
		case ptDynamic:
			*dynamic = true
		case ptInterp:
			if !within(foff, fsz, len(b)) {
				in.Truncated = true
				in.problem("PT_INTERP past the end of the file")
				continue
			}
			s := b[foff : foff+fsz]
			for k, c := range s {
				if c == 0 {
					s = s[:k]
					break
				}
			}
			if len(s) > maxInterp {
				s = s[:maxInterp]
			}
			in.Interp = printable(s)
		}
	}
}

func (in *Info) parseSections(b []byte, bo binary.ByteOrder, off, entsize, num, strndx uint64) {
	in.Stripped, in.Sections = Unknown, No
	if off == 0 || num == 0 {
		in.problem("no section table")
		return
	}
	want := uint64(40)
	if in.Class == 64 {
		want = 64
	}
	if entsize != want {
		in.problem("section header size %d (want %d)", entsize, want)
		return
	}
	if num > maxSections {
		in.problem("%d section headers (more than %d)", num, maxSections)
		return
	}
	if off > uint64(len(b)) || !within(off, num*entsize, len(b)) {
		in.Truncated = true
		in.problem("section table past the end of the file")
		return
	}
	type sec struct {
		name, typ          uint32
		off, size, entsize uint64
		link               uint32
	}
	secs := make([]sec, num)
	for i := range secs {
		h := b[off+uint64(i)*entsize:]
		s := &secs[i]
		s.name, s.typ = bo.Uint32(h), bo.Uint32(h[4:])
		if in.Class == 32 {
			s.off, s.size = uint64(bo.Uint32(h[16:])), uint64(bo.Uint32(h[20:]))
			s.link, s.entsize = bo.Uint32(h[24:]), uint64(bo.Uint32(h[36:]))
		} else {
			s.off, s.size = bo.Uint64(h[24:]), bo.Uint64(h[32:])
			s.link, s.entsize = bo.Uint32(h[40:]), bo.Uint64(h[56:])
		}
	}
	for i := range secs {
		s := &secs[i]
		if s.typ != shtNobits && s.typ != 0 && !within(s.off, s.size, len(b)) {
			in.problem("section %d lies past the end of the file", i)
			return
		}
	}
	in.Sections = Yes
	var names []byte
	if strndx < num && secs[strndx].typ == shtStrtab {
		s := secs[strndx]
		names = b[s.off : s.off+s.size]
	} else {
		in.problem("no section name table")
	}
	hasSymtab := false
	for i := range secs {
		s := &secs[i]
		if names != nil && len(in.Names) < maxNames && s.typ != 0 {
			if n := cstring(names, uint64(s.name), maxNameLen); n != "" {
				in.Names = append(in.Names, n)
			}
		}
		if s.typ != shtSymtab && s.typ != shtDynsym {
			continue
		}
		if s.typ == shtSymtab && s.entsize > 0 && s.size/s.entsize > 1 {
			hasSymtab = true // a .symtab holding more than its null entry
		}
		if uint64(s.link) >= num || secs[s.link].typ != shtStrtab {
			continue
		}
		st := secs[s.link]
		if in.Symbols == nil {
			in.Symbols = &SymRange{}
		}
		in.Symbols.Tables = append(in.Symbols.Tables, SymTable{
			Dynamic: s.typ == shtDynsym, Off: s.off, Size: s.size, EntSize: s.entsize,
			StrOff: st.off, StrSize: st.size,
		})
	}
	if hasSymtab {
		in.Stripped = No
	} else {
		in.Stripped = Yes
	}
}

// cstring is the NUL-terminated string at off in tab, at most max bytes,
// made printable.
func cstring(tab []byte, off uint64, max int) string {
	if off >= uint64(len(tab)) {
		return ""
	}
	s := tab[off:]
	for k, c := range s {
		if c == 0 {
			s = s[:k]
			break
		}
		if k >= max {
			s = s[:k]
			break
		}
	}
	return printable(s)
}

// printable returns s with every byte outside printable ASCII as '?'.
func printable(s []byte) string {
	out := make([]byte, len(s))
	for i, c := range s {
		if c < 0x20 || c > 0x7e {
			c = '?'
		}
		out[i] = c
	}
	return string(out)
}

// Symbol is one function symbol as telfhash wants it.
type Symbol struct {
	Name    string
	Type    uint8 // STT_*
	Bind    uint8 // STB_*
	Other   uint8 // st_other (visibility in the low bits)
	Section uint16
}

// Symbols returns the symbols of the tables in.Symbols locates in b (at
// most max, in file order; dynamic tables first as the section table lists
// them). Names are at most 256 bytes, made printable.
func Symbols(b []byte, in *Info, max int) []Symbol {
	if in == nil || in.Symbols == nil {
		return nil
	}
	var bo binary.ByteOrder = binary.LittleEndian
	if in.Endian == "be" {
		bo = binary.BigEndian
	}
	want := uint64(16)
	if in.Class == 64 {
		want = 24
	}
	var out []Symbol
	for _, t := range in.Symbols.Tables {
		if t.EntSize < want || !within(t.Off, t.Size, len(b)) || !within(t.StrOff, t.StrSize, len(b)) {
			continue
		}
		strs := b[t.StrOff : t.StrOff+t.StrSize]
		n := t.Size / t.EntSize
		for i := uint64(1); i < n && len(out) < max; i++ {
			e := b[t.Off+i*t.EntSize:]
			var s Symbol
			var name uint32
			if in.Class == 32 {
				name = bo.Uint32(e)
				s.Type, s.Bind, s.Other = e[12]&0xf, e[12]>>4, e[13]
				s.Section = bo.Uint16(e[14:])
			} else {
				name = bo.Uint32(e)
				s.Type, s.Bind, s.Other = e[4]&0xf, e[4]>>4, e[5]
				s.Section = bo.Uint16(e[6:])
			}
			s.Name = cstring(strs, uint64(name), 256)
			out = append(out, s)
		}
	}
	return out
}

// ArchName names a machine the way the sandbox and the tables do: arm
// (armeb when big-endian), aarch64, mips (big-endian) or mipsel, mips64 /
// mips64el, i386, x86_64, powerpc / powerpc64, sh4, sparc / sparc64, m68k,
// arc, riscv64, or "machineN".
func ArchName(m uint16, endian string, class int) string {
	switch m {
	case emARM:
		if endian == "be" {
			return "armeb"
		}
		return "arm"
	case emAArch64:
		return "aarch64"
	case emMIPS, emMIPSRS:
		s := "mips"
		if class == 64 {
			s = "mips64"
		}
		if endian == "le" {
			s += "el"
		}
		return s
	case em386:
		return "i386"
	case emX8664:
		return "x86_64"
	case emPPC:
		return "powerpc"
	case emPPC64:
		if endian == "le" {
			return "powerpc64le"
		}
		return "powerpc64"
	case emSH:
		if endian == "be" {
			return "sh4eb"
		}
		return "sh4"
	case emSPARC:
		return "sparc"
	case emSPARCV9:
		return "sparc64"
	case em68K:
		return "m68k"
	case emARC, emARCV2:
		return "arc"
	case emRISCV:
		if class == 32 {
			return "riscv32"
		}
		return "riscv64"
	}
	return fmt.Sprintf("machine%d", m)
}

// abiName describes e_flags for the machines whose flags say which ABI a
// binary needs (ARM EABI version and float ABI; MIPS ISA level and ABI).
func abiName(m uint16, flags uint32, class int) string {
	switch m {
	case emARM:
		v := flags >> 24
		s := "oabi"
		if v > 0 {
			s = fmt.Sprintf("eabi%d", v)
		}
		switch {
		case flags&0x400 != 0:
			s += " hard-float"
		case flags&0x200 != 0:
			s += " soft-float"
		}
		return s
	case emMIPS, emMIPSRS:
		isa := [...]string{"mips1", "mips2", "mips3", "mips4", "mips5", "mips32", "mips64", "mips32r2", "mips64r2", "mips32r6", "mips64r6"}
		a := flags >> 28
		s := fmt.Sprintf("isa%d", a)
		if int(a) < len(isa) {
			s = isa[a]
		}
		abi := ""
		switch flags & 0xf000 {
		case 0x1000:
			abi = "o32"
		case 0x2000:
			abi = "o64"
		case 0x3000:
			abi = "eabi32"
		case 0x4000:
			abi = "eabi64"
		default:
			switch {
			case flags&0x20 != 0:
				abi = "n32"
			case class == 64:
				abi = "n64"
			default:
				abi = "o32"
			}
		}
		s = abi + " " + s
		if flags&0x400 != 0 {
			s += " nan2008"
		}
		return s
	}
	return ""
}

func osabiName(v byte) string {
	switch v {
	case 0:
		return "sysv"
	case 1:
		return "hpux"
	case 2:
		return "netbsd"
	case 3:
		return "linux"
	case 6:
		return "solaris"
	case 9:
		return "freebsd"
	case 12:
		return "openbsd"
	case 97:
		return "arm"
	case 255:
		return "standalone"
	}
	return fmt.Sprintf("osabi%d", v)
}

func typeName(t uint16) string {
	switch t {
	case 1:
		return "rel"
	case 2:
		return "exec"
	case 3:
		return "dyn"
	case 4:
		return "core"
	}
	return fmt.Sprintf("type%d", t)
}
