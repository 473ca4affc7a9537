// Package triage describes a sample without running it: its ELF headers
// (internal/elfinfo), packers (UPX and an entropy heuristic), printable
// strings, the IPv4 addresses, domains and URLs in them, hashes for
// identity (SHA-256, MD5, SHA-1) and similarity (TLSH, telfhash), and the
// markers of public malware families (Mirai's XOR-obfuscated table under
// any single-byte key, Gafgyt/Bashlite's commands, Mozi's configuration
// tags, Tsunami/Kaiten's IRC commands).
//
// Analyze is pure and bounded: it reads only the bytes it is given, keeps
// at most a fixed number of strings and indicators, and never panics.
package triage

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"errors"

	"github.com/honeyscope/honeyscope/internal/elfinfo"
	"github.com/honeyscope/honeyscope/internal/session"
	"github.com/honeyscope/honeyscope/internal/tlsh"
)

// Version numbers the analysis: a result of an older version is redone by
// "samples triage". It grows when what Analyze finds changes.
const Version = 1

// Result is what Analyze found. Its JSON field names are stable.
type Result struct {
	Version int    `json:"version"`
	SHA256  string `json:"sha256"`
	MD5     string `json:"md5"`
	SHA1    string `json:"sha1"`
	Size    int    `json:"size"`
	// Type is session.FileType's name for the content.
	Type string `json:"type"`
	// Arch is the ELF machine as elfinfo names it ("" for other content).
	Arch string `json:"arch"`
	// ELF is the header information (nil for other content).
	ELF *elfinfo.Info `json:"elf,omitempty"`
	// Entropy is the content's Shannon entropy, bits per byte.
	Entropy float64  `json:"entropy"`
	Packers []Packer `json:"packers,omitempty"`
	// TLSH is the content's TLSH ("T1..."; "" when under 50 bytes or too
	// uniform).
	TLSH string `json:"tlsh,omitempty"`
	// Telfhash is the symbol hash ("t1..."; "" without usable symbols);
	// TelfhashSymbols the number of names it hashes.
	Telfhash        string `json:"telfhash,omitempty"`
	TelfhashSymbols int    `json:"telfhash_symbols,omitempty"`
	// StringCount is the number of printable runs of 6 bytes or more
	// examined (at most 50,000); Strings the first 256 (120 bytes each).
	StringCount int      `json:"string_count"`
	Strings     []string `json:"strings,omitempty"`
	IPs         []string `json:"ips,omitempty"`
	Domains     []string `json:"domains,omitempty"`
	URLs        []string `json:"urls,omitempty"`
	// Families are the families whose markers were found; Family the one
	// with the most markers ("" for none).
	Families []FamilyMatch `json:"families,omitempty"`
	Family   string        `json:"family,omitempty"`
	// Problems says what could not be read (a damaged ELF header).
	Problems []string `json:"problems,omitempty"`
}

// Packed reports whether a packer was detected.
func (r *Result) Packed() bool { return len(r.Packers) > 0 }

// Analyze triages content.
func Analyze(b []byte) Result {
	r := Result{Version: Version, Size: len(b), Type: session.FileType(b)}
	s256 := sha256.Sum256(b)
	m5 := md5.Sum(b)
	s1 := sha1.Sum(b)
	r.SHA256, r.MD5, r.SHA1 = hex.EncodeToString(s256[:]), hex.EncodeToString(m5[:]), hex.EncodeToString(s1[:])
	r.Entropy = entropy(b)
	if d, err := tlsh.Hash(b); err == nil {
		r.TLSH = d.String()
	}
	in, err := elfinfo.Parse(b)
	switch {
	case errors.Is(err, elfinfo.ErrNotELF):
	case err != nil:
		r.Problems = append(r.Problems, err.Error())
		if in.Arch != "" {
			r.Arch = in.Arch
			r.ELF = &in
		}
	default:
		r.Arch = in.Arch
		r.ELF = &in
		r.Telfhash, r.TelfhashSymbols = telfhash(b, &in)
		if p := detectUPX(b, &in, int(min(in.ProgramsEnd, uint64(len(b))))); p != nil {
			r.Packers = append(r.Packers, *p)
		} else if p := unknownPacker(&in, r.Entropy); p != nil {
			r.Packers = append(r.Packers, *p)
		}
	}
	if r.ELF == nil {
		if p := detectUPX(b, nil, 0); p != nil {
			r.Packers = append(r.Packers, *p)
		}
	}
	x := newIndicators()
	r.StringCount = stringRuns(b, x.scan)
	x.finish()
	r.Strings, r.IPs, r.Domains, r.URLs = x.strings, x.ips, x.domains, x.urls
	r.Families = matchFamilies(b, scanMarkers(b))
	best := 0
	for _, f := range r.Families {
		if len(f.Markers) > best {
			r.Family, best = f.Family, len(f.Markers)
		}
	}
	return r
}
