package triage

import (
	"slices"
	"sort"
)

// Family markers: strings the public source code or public analyses of a
// family put in every build. Each is searched for in plain text and under
// any single-byte XOR key at once (see scanMarkers): Mirai keeps its table
// XOR-obfuscated (table.c's key 0xdeadbeef folds to the byte 0x22, and its
// scanner's credentials use the same key); variants change the key, which
// the search finds without knowing it.
type familyDef struct {
	name string
	min  int // distinct markers under one key needed to name the family
	// plainMin, when set, is the number needed in plain text (key 0):
	// Mirai's entries are also ordinary libc and shell strings, and the
	// family's trait is their obfuscation.
	plainMin int
	markers  []string
}

var families = []familyDef{
	{"mirai", 3, 6, []string{
		// table.c entries (each stored with its NUL).
		"/bin/busybox MIRAI\x00", "MIRAI: applet not found\x00", "ncorrect\x00",
		"/bin/busybox ps\x00", "/bin/busybox kill -9 \x00", "TSource Engine Query\x00",
		"/etc/resolv.conf\x00", "nameserver \x00", "/dev/watchdog\x00", "/dev/misc/watchdog\x00",
		"listening tun0\x00", "https://youtu.be/dQw4w9WgXcQ\x00", " (deleted)\x00", ".anime\x00",
		"REPORT %s:%s\x00", "HTTPFLOOD\x00", "LOLNOGTFO\x00", "zollard\x00", "GETLOCALIP\x00",
		"Connection: keep-alive\x00", "setCookie('\x00", "refresh:\x00", "location:\x00",
		"set-cookie:\x00", "content-length:\x00", "transfer-encoding:\x00", "server: dosarrest\x00",
		"server: cloudflare-nginx\x00", "cnc.changeme.com\x00", "report.changeme.com\x00",
		// scanner.c credentials.
		"xc3511\x00", "vizxv\x00", "admin\x00", "xmhdipc\x00", "juantech\x00",
		"Zte521\x00", "hi3518\x00", "jvbzd\x00", "anko\x00", "7ujMko0admin\x00", "dreambox\x00",
		"klv123\x00", "realtek\x00", "ikwb\x00", "supervisor\x00",
	}},
	{"gafgyt", 3, 0, []string{
		"KILLATTK", "LOLNOGTFO", "GETLOCALIP", "SCANNER ON", "SCANNER OFF", "HTTPFLOOD",
		"JUNK Flooding", "HOLD Flooding", "UDP Flooding", "TCP Flooding", "gayfgt", "BOGOMIPS",
		"PONG!", "[0;31m", "Failed opening raw socket.", "Failed setting raw headers mode.",
		"Invalid flag \"%s\"", "REPORT %s:%s:%s", "Device Connected", "busybox;",
	}},
	{"mozi", 3, 0, []string{
		"[ss]", "[ssx]", "[cpu]", "[hp]", "[nd]", "[dip]", "[rn]", "[idp]", "[ver]", "[sv]",
		"[count]", "[atk]", "[ud]", "[dr]", "dht.transmissionbt.com", "router.bittorrent.com",
		"router.utorrent.com", "bttracker.debian.org", "Mozi",
	}},
	{"tsunami", 3, 0, []string{
		"NOTICE %s :", "PRIVMSG %s :", "TSUNAMI", "Kaiten", "GETSPOOFS", "KILLALL", "NICK %s",
		"JOIN %s", "MODE %s -xi", ":%s!%s@%s", "PAN <target>", "UDP <target>", "UNKNOWN <target>",
		"SPOOFS <subnet>", "RANDOMFLOOD", "NSACKFLOOD", "NSSYNFLOOD",
	}},
}

// marker is one searched string with its XOR-invariant form: delta[k] =
// s[k] ^ s[k+1], the same whatever single-byte key the string is XORed with.
type marker struct {
	family int
	text   string
	delta  []byte
}

var (
	allMarkers []marker
	// first[p] lists the markers whose delta starts with the 16 bits p.
	first    map[uint16][]int
	firstSet [1 << 16 / 64]uint64
)

func init() {
	first = map[uint16][]int{}
	for fi, f := range families {
		for _, s := range f.markers {
			if len(s) < 4 {
				panic("triage: marker shorter than 4 bytes: " + s)
			}
			d := make([]byte, len(s)-1)
			for k := range d {
				d[k] = s[k] ^ s[k+1]
			}
			p := uint16(d[0])<<8 | uint16(d[1])
			if p == 0 {
				panic("triage: marker starting with a repeated byte: " + s)
			}
			allMarkers = append(allMarkers, marker{fi, s, d})
			first[p] = append(first[p], len(allMarkers)-1)
			firstSet[p/64] |= 1 << (p % 64)
		}
	}
}

// hit is where a marker was found and under which key.
type hit struct {
	marker int
	key    byte
	off    int
}

// maxHits bounds the hits one sample records.
const maxHits = 4096

// scanMarkers finds every marker under any single-byte XOR key in one pass
// over b (each marker's first hit per key).
func scanMarkers(b []byte) []hit {
	var out []hit
	seen := map[[2]int]bool{}
	n := len(b)
	if n < 4 {
		return nil
	}
	// The loop carries the newest difference over: one XOR per byte. i
	// is the offset of the candidate's first byte.
	d0, last := b[0]^b[1], b[1]
	for j, c := range b[2 : n-1] {
		i := j
		d1 := last ^ c
		p := uint16(d0)<<8 | uint16(d1)
		d0, last = d1, c
		if firstSet[p/64]&(1<<(p%64)) == 0 {
			continue
		}
		for _, mi := range first[p] {
			m := &allMarkers[mi]
			if i+len(m.delta) >= n {
				continue
			}
			ok := true
			for k := 2; k < len(m.delta); k++ {
				if b[i+k]^b[i+k+1] != m.delta[k] {
					ok = false
					break
				}
			}
			if !ok {
				continue
			}
			key := b[i] ^ m.text[0]
			k := [2]int{mi, int(key)}
			if seen[k] {
				continue
			}
			seen[k] = true
			if len(out) < maxHits {
				out = append(out, hit{mi, key, i})
			}
		}
	}
	return out
}

// FamilyMatch is a family whose markers a sample holds.
type FamilyMatch struct {
	Family  string   `json:"family"`
	Markers []string `json:"markers"` // the markers found (printable), sorted
	// XORKey is the single-byte key the markers were found under: 0 for
	// plain text; Mirai's table key 0xdeadbeef folds to 34 (0x22).
	XORKey int `json:"xor_key"`
	// Decoded holds strings decoded with XORKey around the markers (at
	// most 64), for a key other than 0.
	Decoded []string `json:"decoded,omitempty"`
}

// matchFamilies groups hits by family and key and keeps, per family, the
// key with the most distinct markers when they reach the family's minimum.
func matchFamilies(b []byte, hits []hit) []FamilyMatch {
	type fk struct{ fam, key int }
	groups := map[fk][]hit{}
	for _, h := range hits {
		k := fk{allMarkers[h.marker].family, int(h.key)}
		groups[k] = append(groups[k], h)
	}
	var out []FamilyMatch
	for fi, f := range families {
		bestKey, best := -1, 0
		for k, hs := range groups {
			if k.fam != fi || k.key == 0 && len(hs) < max(f.min, f.plainMin) {
				continue
			}
			if len(hs) > best || len(hs) == best && k.key < bestKey {
				bestKey, best = k.key, len(hs)
			}
		}
		if best < f.min || bestKey == 0 && best < f.plainMin {
			continue
		}
		hs := groups[fk{fi, bestKey}]
		m := FamilyMatch{Family: f.name, XORKey: bestKey}
		for _, h := range hs {
			m.Markers = append(m.Markers, cleanMarker(allMarkers[h.marker].text))
		}
		sort.Strings(m.Markers)
		if bestKey != 0 {
			m.Decoded = decodeAround(b, hs, byte(bestKey))
		}
		out = append(out, m)
	}
	return out
}

func cleanMarker(s string) string {
	for len(s) > 0 && s[len(s)-1] == 0 {
		s = s[:len(s)-1]
	}
	return printableString(s)
}

// decodeAround XORs the 2 KiB on each side of each hit with key and
// returns the NUL-terminated printable strings of 3 bytes or more found
// there (at most 64, in file order, without repeats).
func decodeAround(b []byte, hs []hit, key byte) []string {
	const span, maxOut, maxLen = 2048, 64, 120
	offs := make([]int, 0, len(hs))
	for _, h := range hs {
		offs = append(offs, h.off)
	}
	slices.Sort(offs)
	var out []string
	seen := map[string]bool{}
	end := 0
	for _, o := range offs {
		lo, hi := max(o-span, end), min(o+span, len(b))
		if lo >= hi {
			continue
		}
		end = hi
		start := -1
		for i := lo; i < hi && len(out) < maxOut; i++ {
			c := b[i] ^ key
			switch {
			case c >= 0x20 && c <= 0x7e:
				if start < 0 {
					start = i
				}
			case c == 0 && start >= 0 && i-start >= 3:
				s := make([]byte, min(i-start, maxLen))
				for k := range s {
					s[k] = b[start+k] ^ key
				}
				if t := string(s); !seen[t] {
					seen[t] = true
					out = append(out, t)
				}
				start = -1
			default:
				start = -1
			}
		}
	}
	return out
}
