package geo

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"time"

	maxminddb "github.com/oschwald/maxminddb-golang/v2"
)

// The built-in country table is stored in a compact form of our own rather
// than as an mmdb: sorted range starts, delta-encoded as varints, one column
// per field, then deflated. That is about 7 % of the source mmdb's size, and
// the decoded in-memory form answers an IPv4 lookup with one index load plus
// a short binary search.
//
// File layout:
//
//	magic "HSGEOTB1"
//	int64 build time of the source database (Unix seconds, big endian)
//	[32]byte SHA-256 of the source database
//	uvarint length + source file name
//	deflate stream of:
//	  uvarint country count N, then N two-letter codes (index i+1; 0 = no data)
//	  uvarint IPv4 range count, then that many uvarint start deltas,
//	    then that many country indexes (1 byte each, 2 if N > 255)
//	  uvarint IPv6 range count, then that many trailing-zero counts (1 byte),
//	    then that many 128-bit LEB128 start deltas shifted right by those
//	    counts, then the country indexes
//
// Each range runs from its start to the next range's start minus one (the
// last to the end of the address space); the first starts at 0. Ranges with
// index 0 are gaps with no data; special-purpose blocks are always gaps.
const tableMagic = "HSGEOTB1"

// u128 is an IPv6 address as a number.
type u128 struct{ hi, lo uint64 }

func u128From(a netip.Addr) u128 {
	b := a.As16()
	return u128{binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:])}
}

func (x u128) addr() netip.Addr {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], x.hi)
	binary.BigEndian.PutUint64(b[8:], x.lo)
	return netip.AddrFrom16(b)
}

func (x u128) less(y u128) bool { return x.hi < y.hi || (x.hi == y.hi && x.lo < y.lo) }

func (x u128) sub(y u128) u128 {
	lo, b := bits.Sub64(x.lo, y.lo, 0)
	hi, _ := bits.Sub64(x.hi, y.hi, b)
	return u128{hi, lo}
}

func (x u128) add(y u128) u128 {
	lo, c := bits.Add64(x.lo, y.lo, 0)
	hi, _ := bits.Add64(x.hi, y.hi, c)
	return u128{hi, lo}
}

func (x u128) shr(n uint) u128 {
	switch {
	case n == 0:
		return x
	case n >= 128:
		return u128{}
	case n >= 64:
		return u128{0, x.hi >> (n - 64)}
	}
	return u128{x.hi >> n, x.lo>>n | x.hi<<(64-n)}
}

func (x u128) shl(n uint) u128 {
	switch {
	case n == 0:
		return x
	case n >= 128:
		return u128{}
	case n >= 64:
		return u128{x.lo << (n - 64), 0}
	}
	return u128{x.hi<<n | x.lo>>(64-n), x.lo << n}
}

func (x u128) trailingZeros() uint {
	if x.lo != 0 {
		return uint(bits.TrailingZeros64(x.lo))
	}
	if x.hi != 0 {
		return 64 + uint(bits.TrailingZeros64(x.hi))
	}
	return 128
}

// table is the decoded built-in country table.
type table struct {
	codes  []string // index -> code; codes[0] = Unknown
	s4     []uint32 // IPv4 range starts
	c4     []uint16
	idx4   []uint32 // idx4[h] = first i with s4[i] >= h<<16; len 1<<16+1
	h6, l6 []uint64 // IPv6 range starts
	c6     []uint16

	built  time.Time
	sha256 string
	source string
}

// lookup4 returns the country index of x. The /16 index narrows the search
// to the ranges starting inside x's /16 (and the one before them).
func (t *table) lookup4(x uint32) uint16 {
	h := x >> 16
	lo, hi := int(t.idx4[h]), int(t.idx4[h+1])
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if t.s4[m] <= x {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo == 0 {
		return 0
	}
	return t.c4[lo-1]
}

// lookup6 returns the country index of the IPv6 address x.
func (t *table) lookup6(x u128) uint16 {
	lo, hi := 0, len(t.h6)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if t.h6[m] < x.hi || (t.h6[m] == x.hi && t.l6[m] <= x.lo) {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo == 0 {
		return 0
	}
	return t.c6[lo-1]
}

// country returns the code for a (which must not be special-purpose).
func (t *table) country(a netip.Addr) string {
	if a.Is4() {
		b := a.As4()
		return t.codes[t.lookup4(binary.BigEndian.Uint32(b[:]))]
	}
	return t.codes[t.lookup6(u128From(a))]
}

// span is one range of an address family with its country index.
type span struct {
	start u128
	cc    uint16
}

// WriteCountryTable reads the country database src (any layout that Open
// accepts) and writes the compact built-in table form of it to out. It is
// what `go generate` runs to refresh the table compiled into the binary.
// Special-purpose blocks are left out of the table.
func WriteCountryTable(src, out string) error {
	data, err := readDB(src, MaxDBSize)
	if err != nil {
		return fmt.Errorf("country table: %w", err)
	}
	var buf bytes.Buffer
	if err := encodeTable(&buf, data, filepath.Base(src)); err != nil {
		return fmt.Errorf("country table from %s: %w", src, err)
	}
	if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("country table: %w", err)
	}
	return nil
}

// encodeTable writes the table form of the mmdb in data to w.
func encodeTable(w io.Writer, data []byte, name string) error {
	r, err := maxminddb.OpenBytes(data)
	if err != nil {
		return err
	}
	defer r.Close()
	codeIdx := map[string]uint16{}
	var codes []string
	type piece struct {
		p  netip.Prefix
		cc string
	}
	var pieces []piece
	for res := range r.Networks() {
		var rec record
		if err := res.Decode(&rec); err != nil {
			return fmt.Errorf("network %s: %w", res.Prefix(), err)
		}
		cc := rec.countryCode()
		if cc == "" {
			continue
		}
		if _, ok := codeIdx[cc]; !ok {
			codeIdx[cc] = 0
			codes = append(codes, cc)
		}
		pieces = append(pieces, piece{res.Prefix().Masked(), cc})
	}
	// Number countries in sorted order so that the output does not depend on
	// the order of the database's records.
	slices.Sort(codes)
	for i, c := range codes {
		codeIdx[c] = uint16(i + 1)
	}
	if len(codes) >= 1<<16-1 {
		return errors.New("too many country codes")
	}
	var v4, v6 []span
	var end4, end6 u128
	for _, p := range pieces {
		start := u128From(p.p.Addr())
		host := 128 - p.p.Bits()
		spans, end := &v6, &end6
		if p.p.Addr().Is4() {
			start = u128{0, uint64(binary.BigEndian.Uint32(p.p.Addr().AsSlice()))}
			host = 32 - p.p.Bits()
			spans, end = &v4, &end4
		}
		if len(*spans) > 0 && start.less(*end) {
			return fmt.Errorf("network %s overlaps the one before it", p.p)
		}
		if len(*spans) == 0 || *end != start {
			*spans = append(*spans, span{*end, 0}) // gap
		}
		*spans = append(*spans, span{start, codeIdx[p.cc]})
		*end = start.add(u128{0, 1}.shl(uint(host)))
	}
	if end4 != (u128{0, 1 << 32}) {
		v4 = append(v4, span{end4, 0})
	}
	if end6 != (u128{}) { // the last range did not reach the top of the space
		v6 = append(v6, span{end6, 0})
	}
	v4 = carve(v4, true)
	v6 = carve(v6, false)

	var p []byte
	p = binary.AppendUvarint(p, uint64(len(codes)))
	for _, c := range codes {
		p = append(p, c...)
	}
	wide := len(codes) > 255
	appendCC := func(p []byte, s []span) []byte {
		for _, x := range s {
			if wide {
				p = binary.LittleEndian.AppendUint16(p, x.cc)
			} else {
				p = append(p, byte(x.cc))
			}
		}
		return p
	}
	p = binary.AppendUvarint(p, uint64(len(v4)))
	p = appendStarts4(p, len(v4), func(i int) u128 { return v4[i].start })
	p = appendCC(p, v4)
	p = binary.AppendUvarint(p, uint64(len(v6)))
	p = appendStarts6(p, len(v6), func(i int) u128 { return v6[i].start })
	p = appendCC(p, v6)
	return writeTable(w, tableMagic, int64(r.Metadata.BuildEpoch), sha256.Sum256(data), name, p)
}

// carve makes every special-purpose block a gap in spans (a boundary list of
// one family) and merges neighbours with the same country. Membership of a
// set of prefixes only changes at their edges, so splitting at every edge
// leaves pieces that are wholly inside or wholly outside each block.
func carve(spans []span, is4 bool) []span {
	if len(spans) == 0 {
		return nil
	}
	var holes []netip.Prefix
	for _, r := range specialTable {
		if r.Prefix.Addr().Is4() == is4 {
			holes = append(holes, r.Prefix)
		}
	}
	if !is4 {
		// Looked up by the IPv4 address they carry, never in this table.
		holes = append(holes, netip.MustParsePrefix("::ffff:0:0/96"), nat64WKP)
	}
	points := make([]u128, 0, len(spans)+2*len(holes))
	for _, x := range spans {
		points = append(points, x.start)
	}
	top := u128{0, 1 << 32}
	for _, h := range holes {
		start, host := u128From(h.Addr()), 128-h.Bits()
		if is4 {
			start, host = u128{0, uint64(binary.BigEndian.Uint32(h.Addr().AsSlice()))}, 32-h.Bits()
		}
		end := start.add(u128{0, 1}.shl(uint(host)))
		points = append(points, start)
		if !is4 || end.less(top) {
			points = append(points, end)
		}
	}
	sort.Slice(points, func(i, j int) bool { return points[i].less(points[j]) })
	points = slices.Compact(points)

	out := make([]span, 0, len(points))
	j := 0
	for _, pt := range points {
		for j+1 < len(spans) && !pt.less(spans[j+1].start) {
			j++
		}
		cc := uint16(0)
		if !pt.less(spans[0].start) {
			cc = spans[j].cc
		}
		var a netip.Addr
		if is4 {
			a = netip.AddrFrom4([4]byte(binary.BigEndian.AppendUint32(nil, uint32(pt.lo))))
		} else {
			a = pt.addr()
		}
		if _, sp := Special(a); sp || (!is4 && (a.Is4In6() || nat64WKP.Contains(a))) {
			cc = 0
		}
		if len(out) > 0 && out[len(out)-1].cc == cc {
			continue
		}
		out = append(out, span{pt, cc})
	}
	return out
}

// appendLEB128 appends x as an unsigned LEB128 number of up to 19 bytes.
func appendLEB128(p []byte, x u128) []byte {
	for x.hi != 0 || x.lo >= 0x80 {
		p = append(p, byte(x.lo)|0x80)
		x = x.shr(7)
	}
	return append(p, byte(x.lo))
}

// reader walks a decoded payload with bounds checks; the first error sticks.
type reader struct {
	p   []byte
	err error
}

func (r *reader) fail(what string) {
	if r.err == nil {
		r.err = fmt.Errorf("truncated or corrupt table at %s", what)
	}
	r.p = nil
}

func (r *reader) uvarint(what string) uint64 {
	v, n := binary.Uvarint(r.p)
	if n <= 0 {
		r.fail(what)
		return 0
	}
	r.p = r.p[n:]
	return v
}

func (r *reader) bytes(n uint64, what string) []byte {
	if uint64(len(r.p)) < n {
		r.fail(what)
		return nil
	}
	b := r.p[:n]
	r.p = r.p[n:]
	return b
}

func (r *reader) leb128(what string) u128 {
	var x u128
	for i := uint(0); i < 19; i++ {
		if len(r.p) == 0 {
			break
		}
		b := r.p[0]
		r.p = r.p[1:]
		x = x.add(u128{0, uint64(b & 0x7f)}.shl(7 * i))
		if b < 0x80 {
			return x
		}
	}
	r.fail(what)
	return u128{}
}

// count reads a length and checks it against the bytes left, each item
// taking at least minSize bytes, so corrupt input cannot force a huge
// allocation.
func (r *reader) count(minSize uint64, what string) int {
	n := r.uvarint(what)
	if r.err == nil && n > uint64(len(r.p))/minSize {
		r.fail(what)
		return 0
	}
	return int(n)
}

// decodeTable parses a table written by encodeTable.
func decodeTable(data []byte) (*table, error) {
	th, raw, err := readTable(data, tableMagic, "not a country table (bad magic)", "country table", 64<<20)
	if err != nil {
		return nil, err
	}
	t := &table{built: th.built, sha256: th.sha256, source: th.source}
	r := &reader{p: raw}
	nc := r.count(2, "countries")
	t.codes = make([]string, 1, nc+1)
	t.codes[0] = Unknown
	for range nc {
		t.codes = append(t.codes, string(r.bytes(2, "countries")))
	}
	ccw := uint64(1)
	if nc > 255 {
		ccw = 2
	}
	readCC := func(n int, what string) []uint16 {
		b := r.bytes(uint64(n)*ccw, what)
		cc := make([]uint16, n)
		for i := range cc {
			if r.err != nil {
				break
			}
			if ccw == 1 {
				cc[i] = uint16(b[i])
			} else {
				cc[i] = binary.LittleEndian.Uint16(b[2*i:])
			}
			if int(cc[i]) > nc {
				r.fail(what)
			}
		}
		return cc
	}

	n4 := r.count(1+ccw, "IPv4 ranges")
	t.s4 = r.starts4(n4)
	t.c4 = readCC(n4, "IPv4 countries")

	n6 := r.count(2+ccw, "IPv6 ranges")
	t.h6, t.l6 = r.starts6(n6)
	t.c6 = readCC(n6, "IPv6 countries")
	if r.err != nil {
		return nil, r.err
	}
	if len(r.p) != 0 {
		return nil, errors.New("country table: trailing data")
	}

	t.idx4 = index16(t.s4)
	return t, nil
}

// starts4 reads n ascending IPv4 range starts, delta-coded as uvarints.
func (r *reader) starts4(n int) []uint32 {
	s4 := make([]uint32, n)
	var cur uint64
	for i := range s4 {
		cur += r.uvarint("IPv4 ranges")
		if cur >= 1<<32 || (i > 0 && cur <= uint64(s4[i-1])) {
			r.fail("IPv4 ranges")
			break
		}
		s4[i] = uint32(cur)
	}
	return s4
}

// starts6 reads n ascending IPv6 range starts: a byte of trailing zero
// bits each, then the deltas (shifted right by those bits) as LEB128.
func (r *reader) starts6(n int) (hi, lo []uint64) {
	tzs := r.bytes(uint64(n), "IPv6 ranges")
	hi, lo = make([]uint64, n), make([]uint64, n)
	prev := u128{}
	for i := 0; i < n && r.err == nil; i++ {
		x := prev.add(r.leb128("IPv6 ranges").shl(uint(tzs[i])))
		if i > 0 && !prev.less(x) {
			r.fail("IPv6 ranges")
			break
		}
		hi[i], lo[i] = x.hi, x.lo
		prev = x
	}
	return hi, lo
}

// index16 is the lookup index of sorted IPv4 starts: idx[h] is the first
// i with s4[i] >= h<<16 (len 1<<16+1).
func index16(s4 []uint32) []uint32 {
	idx := make([]uint32, 1<<16+1)
	j := 0
	for h := range 1<<16 + 1 {
		for j < len(s4) && uint64(s4[j]) < uint64(h)<<16 {
			j++
		}
		idx[h] = uint32(j)
	}
	return idx
}
