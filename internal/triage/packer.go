package triage

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"

	"github.com/honeyscope/honeyscope/internal/elfinfo"
)

// Packer is a packer a sample shows signs of.
type Packer struct {
	Name string `json:"name"` // "upx", or "unknown" for the entropy heuristic
	// Evidence says what was seen: "l_info", "p_info", "trailer",
	// "info string", "modified l_info magic", "entropy".
	Evidence []string `json:"evidence"`
	Version  string   `json:"version,omitempty"` // UPX's version string when present
	// Format is UPX's l_format (the packer's format number for the target).
	Format int `json:"format,omitempty"`
	// UnpackedSize is p_info's p_filesize: the size of the original file.
	UnpackedSize uint32 `json:"unpacked_size,omitempty"`
}

// UPX's ELF layout: right after the program headers comes l_info
// {l_checksum u32, l_magic "UPX!", l_lsize u16, l_version u8, l_format u8}
// and then p_info {p_progid u32, p_filesize u32, p_blocksize u32}, with the
// target's byte order. A PackHeader with the magic again sits near the end.
var upxMagic = []byte("UPX!")

func detectUPX(b []byte, in *elfinfo.Info, phEnd int) *Packer {
	p := &Packer{Name: "upx"}
	var bo binary.ByteOrder = binary.LittleEndian
	if in != nil && in.Endian == "be" {
		bo = binary.BigEndian
	}
	if phEnd > 0 && phEnd+24 <= len(b) {
		li := b[phEnd:]
		switch {
		case bytes.Equal(li[4:8], upxMagic):
			p.Evidence = append(p.Evidence, "l_info")
		case li[10] > 0 && li[10] < 20 && li[11] > 0 && li[11] < 64 && bo.Uint32(li[16:]) > uint32(len(b)) &&
			bo.Uint32(li[16:]) < 64<<20 && bo.Uint32(li[16:]) == bo.Uint32(li[20:]) && hasTrailer(b):
			// The magic was overwritten (common in IoT malware to stop
			// "upx -d"); the rest of the structure is still there.
			p.Evidence = append(p.Evidence, "modified l_info magic")
		}
		if len(p.Evidence) > 0 {
			p.Format = int(li[11])
			fs, bs := bo.Uint32(li[16:]), bo.Uint32(li[20:])
			if fs > 0 && fs < 256<<20 && bs > 0 {
				p.UnpackedSize = fs
				p.Evidence = append(p.Evidence, "p_info")
			}
		}
	}
	if hasTrailer(b) {
		p.Evidence = append(p.Evidence, "trailer")
	}
	head := b[:min(len(b), 64<<10)]
	if i := bytes.Index(head, []byte("$Info: This file is packed with the UPX")); i >= 0 {
		p.Evidence = append(p.Evidence, "info string")
	}
	if i := bytes.Index(head, []byte("$Id: UPX ")); i >= 0 {
		v := head[i+9:]
		n := 0
		for n < len(v) && n < 16 && (v[n] >= '0' && v[n] <= '9' || v[n] == '.') {
			n++
		}
		p.Version = string(v[:n])
	}
	if len(p.Evidence) == 0 {
		return nil
	}
	return p
}

// hasTrailer reports whether UPX's magic is in the last 64 bytes (the
// PackHeader it appends).
func hasTrailer(b []byte) bool {
	tail := b[max(0, len(b)-64):]
	return bytes.Contains(tail, upxMagic)
}

// entropy is the Shannon entropy of b in bits per byte.
func entropy(b []byte) float64 {
	if len(b) == 0 {
		return 0
	}
	size := len(b)
	// Four tables: a run of one byte value (padding, zeroed data) does not
	// make each increment wait for the one before.
	var t [4][256]uint32
	for len(b) >= 4 {
		t[0][b[0]]++
		t[1][b[1]]++
		t[2][b[2]]++
		t[3][b[3]]++
		b = b[4:]
	}
	for _, x := range b {
		t[0][x]++
	}
	var c [256]int
	for i := range c {
		c[i] = int(t[0][i]) + int(t[1][i]) + int(t[2][i]) + int(t[3][i])
	}
	e, n := 0.0, float64(size)
	for _, v := range c {
		if v > 0 {
			p := float64(v) / n
			e -= p * math.Log2(p)
		}
	}
	return math.Round(e*1000) / 1000
}

// unknownPacker applies the heuristic for packers without a signature: an
// ELF file with no sound section table, few loadable segments and nearly
// random content.
func unknownPacker(in *elfinfo.Info, ent float64) *Packer {
	if in == nil || in.Sections == elfinfo.Yes || in.Loads == 0 || in.Loads > 3 || ent < 7.2 {
		return nil
	}
	return &Packer{Name: "unknown", Evidence: []string{fmt.Sprintf("entropy %.2f, no section table, %d PT_LOAD", ent, in.Loads)}}
}
