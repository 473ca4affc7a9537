package shell

import (
	"encoding/binary"
	"hash/fnv"
	"sync"
)

// ELF constants used to build the device's binaries.
const (
	elfTypeExec   = 2
	ptLoad        = 1
	ptGNUStack    = 0x6474e551
	pfX, pfW, pfR = 1, 2, 4
)

// busyboxVersion is the BusyBox version the device claims.
const busyboxVersion = "BusyBox v1.24.1 (2017-03-23 10:05:44 CST) multi-call binary."

var (
	imageMu    sync.Mutex
	imageCache = map[string][]byte{}
)

// busyboxImage returns the device's /bin/busybox for a: a plausible ELF
// executable for the architecture (header, program headers, then
// deterministic filler with a few of BusyBox's strings). It is built once
// per architecture and shared read-only by every session.
func busyboxImage(a *archInfo) []byte {
	imageMu.Lock()
	defer imageMu.Unlock()
	if b, ok := imageCache[a.name]; ok {
		return b
	}
	h := fnv.New32a()
	h.Write([]byte(a.name))
	seed := h.Sum32()
	size := 480<<10 + int(seed%(200<<10))
	b := buildELF(a, size, seed, []string{
		busyboxVersion, "Usage: %s [OPTIONS]", "applet not found", "/bin/sh", "/etc/inittab",
		"can't open '%s'", "No such file or directory", "/proc/self/exe", "GCC: (GNU) " + a.gcc,
	})
	b = b[:len(b):len(b)] // appends by a session always copy
	imageCache[a.name] = b
	return b
}

// buildELF returns an ELF executable image of size bytes for a.
func buildELF(a *archInfo, size int, seed uint32, strs []string) []byte {
	var bo binary.ByteOrder = binary.LittleEndian
	if a.data == 2 {
		bo = binary.BigEndian
	}
	is64 := a.class == 2
	ehsize, phentsize := 52, 32
	if is64 {
		ehsize, phentsize = 64, 56
	}
	const phnum = 3
	if size < 4096 {
		size = 4096
	}
	b := make([]byte, size)
	// Filler first: a deterministic xorshift stream with no 0xff bytes
	// (telnet's IAC), so the image survives a front end that forgets to
	// escape it.
	x := seed | 1
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		c := byte(x >> 11)
		if c == 0xff {
			c = 0xfe
		}
		b[i] = c
	}
	// Strings near the end, as in .rodata.
	off := size - 64
	for i := len(strs) - 1; i >= 0; i-- {
		s := strs[i]
		off -= len(s) + 1
		if off < ehsize+phnum*phentsize+256 {
			break
		}
		copy(b[off:], s)
		b[off+len(s)] = 0
	}
	text := (size * 7 / 8) &^ 0xfff
	data := size - text
	entry := a.base + uint64(ehsize+phnum*phentsize) + 0x40
	if a.machine == 40 {
		entry &^= 3 // ARM code is word aligned
	}

	// e_ident
	copy(b[0:4], "\x7fELF")
	b[4], b[5], b[6], b[7] = a.class, a.data, 1, 0
	for i := 8; i < 16; i++ {
		b[i] = 0
	}
	bo.PutUint16(b[16:], elfTypeExec)
	bo.PutUint16(b[18:], a.machine)
	bo.PutUint32(b[20:], 1)
	if is64 {
		bo.PutUint64(b[24:], entry)
		bo.PutUint64(b[32:], uint64(ehsize)) // e_phoff
		bo.PutUint64(b[40:], 0)              // e_shoff (stripped)
		bo.PutUint32(b[48:], a.flags)
		bo.PutUint16(b[52:], uint16(ehsize))
		bo.PutUint16(b[54:], uint16(phentsize))
		bo.PutUint16(b[56:], phnum)
		bo.PutUint16(b[58:], 64)
		bo.PutUint16(b[60:], 0)
		bo.PutUint16(b[62:], 0)
	} else {
		bo.PutUint32(b[24:], uint32(entry))
		bo.PutUint32(b[28:], uint32(ehsize))
		bo.PutUint32(b[32:], 0)
		bo.PutUint32(b[36:], a.flags)
		bo.PutUint16(b[40:], uint16(ehsize))
		bo.PutUint16(b[42:], uint16(phentsize))
		bo.PutUint16(b[44:], phnum)
		bo.PutUint16(b[46:], 40)
		bo.PutUint16(b[48:], 0)
		bo.PutUint16(b[50:], 0)
	}
	type phdr struct {
		typ, flags            uint32
		off, vaddr, sz, align uint64
	}
	dataVaddr := a.base + 0x10000 + uint64(text)
	phs := []phdr{
		{ptLoad, pfR | pfX, 0, a.base, uint64(text), 0x10000},
		{ptLoad, pfR | pfW, uint64(text), dataVaddr, uint64(data), 0x10000},
		{ptGNUStack, pfR | pfW, 0, 0, 0, 4},
	}
	p := ehsize
	for _, ph := range phs {
		q := b[p : p+phentsize]
		if is64 {
			bo.PutUint32(q[0:], ph.typ)
			bo.PutUint32(q[4:], ph.flags)
			bo.PutUint64(q[8:], ph.off)
			bo.PutUint64(q[16:], ph.vaddr)
			bo.PutUint64(q[24:], ph.vaddr)
			bo.PutUint64(q[32:], ph.sz)
			bo.PutUint64(q[40:], ph.sz+uint64(ph.align&0xfff))
			bo.PutUint64(q[48:], ph.align)
		} else {
			bo.PutUint32(q[0:], ph.typ)
			bo.PutUint32(q[4:], uint32(ph.off))
			bo.PutUint32(q[8:], uint32(ph.vaddr))
			bo.PutUint32(q[12:], uint32(ph.vaddr))
			bo.PutUint32(q[16:], uint32(ph.sz))
			bo.PutUint32(q[20:], uint32(ph.sz+ph.align&0xfff))
			bo.PutUint32(q[24:], ph.flags)
			bo.PutUint32(q[28:], uint32(ph.align))
		}
		p += phentsize
	}
	return b
}

// elfMachine returns the ELF class, data encoding and e_machine of b, and
// whether b starts with an ELF header.
func elfMachine(b []byte) (class, data byte, machine uint16, ok bool) {
	if len(b) < 20 || string(b[:4]) != "\x7fELF" {
		return 0, 0, 0, false
	}
	switch b[5] {
	case 1:
		machine = binary.LittleEndian.Uint16(b[18:])
	case 2:
		machine = binary.BigEndian.Uint16(b[18:])
	default:
		return b[4], b[5], 0, true
	}
	return b[4], b[5], machine, true
}
