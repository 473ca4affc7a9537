package geo

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	_ "embed"
	"encoding/binary"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The built-in ASN table is stored like the country table: range starts
// delta-encoded as varints, one column per field, deflated. The AS entries
// (number and organisation name) are kept once each and ranges refer to them
// by index.
//
// File layout:
//
//	magic "HSASNTB1"
//	int64 build time of the source data (Unix seconds, big endian)
//	[32]byte SHA-256 of the source file
//	uvarint length + source file name
//	deflate stream of:
//	  uvarint entry count N, then N uvarint AS numbers (ascending, index
//	    i+1; 0 = no data), then N organisation names (uvarint length + bytes)
//	  uvarint IPv4 range count, then that many uvarint start deltas, then
//	    that many uvarint entry indexes
//	  uvarint IPv6 range count, then that many trailing-zero counts (1 byte),
//	    then that many 128-bit LEB128 start deltas shifted right by those
//	    counts, then the uvarint entry indexes
//
// Each range runs from its start to the next range's start minus one (the
// last to the end of the address space); the first starts at 0. Ranges with
// index 0 are gaps with no data.
const asnTableMagic = "HSASNTB1"

// asnBin is the built-in ASN table, generated from the ip-location-db asn
// package.
//
//go:embed asn.bin
var asnBin []byte

var builtinASN struct {
	once sync.Once
	t    *asnTable
	err  error
}

// asnTable is the decoded built-in ASN table.
type asnTable struct {
	asn    []uint32 // index -> AS number; asn[0] = 0
	org    []string
	s4     []uint32
	i4     []uint32
	idx4   []uint32 // idx4[h] = first i with s4[i] >= h<<16
	h6, l6 []uint64
	i6     []uint32

	built  time.Time
	sha256 string
	source string
}

// builtinASNTable decodes the embedded ASN table on first use.
func builtinASNTable() (*asnTable, error) {
	builtinASN.once.Do(func() {
		builtinASN.t, builtinASN.err = decodeASNTable(asnBin)
		if builtinASN.err != nil {
			builtinASN.err = fmt.Errorf("builtin asn table: %w", builtinASN.err)
		}
	})
	return builtinASN.t, builtinASN.err
}

// DefaultASNBuildDate returns the build date of the data that the builtin
// ASN table was made from (zero if the table cannot be read).
func DefaultASNBuildDate() time.Time {
	t, err := builtinASNTable()
	if err != nil {
		return time.Time{}
	}
	return t.built
}

// lookup returns the AS number and organisation of a (0, "" when the table
// has no data for it).
func (t *asnTable) lookup(a netip.Addr) (uint32, string) {
	var i uint32
	if a.Is4() {
		b := a.As4()
		x := binary.BigEndian.Uint32(b[:])
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
			return 0, ""
		}
		i = t.i4[lo-1]
	} else {
		x := u128From(a)
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
			return 0, ""
		}
		i = t.i6[lo-1]
	}
	return t.asn[i], t.org[i]
}

// asnSpan is one range of an address family with its entry index.
type asnSpan struct {
	start u128
	idx   uint32
}

// asnRow is one start,end,asn,org line.
type asnRow struct {
	start, end netip.Addr
	asn        uint32
	org        string
}

// WriteASNTable reads ip-location-db's ASN data src (the npm package
// tarball holding asn-ipv4.csv and asn-ipv6.csv, or one such CSV) and writes
// the compact built-in table form of it to out. It is what `go generate`
// runs to refresh the ASN table compiled into the binary.
func WriteASNTable(src, out string) error {
	isTar, built, err := inspectASNSource(src)
	if err != nil {
		return fmt.Errorf("asn table: %w", err)
	}
	data, err := os.ReadFile(src)
	if err != nil {
		return fmt.Errorf("asn table: %w", err)
	}
	var rows []asnRow
	if isTar {
		rows, err = asnRowsFromTar(data, src)
	} else {
		rows, err = asnRowsFromCSV(bytes.NewReader(data), src, nil)
	}
	if err != nil {
		return fmt.Errorf("asn table: %w", err)
	}
	if len(rows) == 0 {
		return fmt.Errorf("asn table: %s: no ranges found", src)
	}
	var buf bytes.Buffer
	if err := encodeASNTable(&buf, rows, built, sha256.Sum256(data), filepath.Base(src)); err != nil {
		return fmt.Errorf("asn table from %s: %w", src, err)
	}
	if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("asn table: %w", err)
	}
	return nil
}

func asnRowsFromTar(data []byte, src string) ([]asnRow, error) {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", src, err)
	}
	tr := tar.NewReader(zr)
	var rows []asnRow
	found := 0
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", src, err)
		}
		if name := path.Base(h.Name); name == "asn-ipv4.csv" || name == "asn-ipv6.csv" {
			found++
			if rows, err = asnRowsFromCSV(tr, src+":"+h.Name, rows); err != nil {
				return nil, err
			}
		}
	}
	if found == 0 {
		return nil, fmt.Errorf("%s: no asn-ipv4.csv or asn-ipv6.csv inside", src)
	}
	return rows, nil
}

func asnRowsFromCSV(r io.Reader, name string, rows []asnRow) ([]asnRow, error) {
	cr := csv.NewReader(bufio.NewReaderSize(r, 1<<20))
	cr.FieldsPerRecord = -1
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return rows, nil
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if len(rec) < 3 {
			return nil, fmt.Errorf("%s:%d: want start,end,asn,org, got %d fields", name, line, len(rec))
		}
		start, err1 := netip.ParseAddr(strings.TrimSpace(rec[0]))
		end, err2 := netip.ParseAddr(strings.TrimSpace(rec[1]))
		if err1 != nil || err2 != nil {
			if line == 1 {
				continue
			}
			return nil, fmt.Errorf("%s:%d: bad address range %q-%q", name, line, rec[0], rec[1])
		}
		if start.Is4() != end.Is4() || end.Less(start) {
			return nil, fmt.Errorf("%s:%d: bad address range %s-%s", name, line, start, end)
		}
		asn, err := strconv.ParseUint(strings.TrimSpace(rec[2]), 10, 32)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: bad AS number %q", name, line, rec[2])
		}
		org := ""
		if len(rec) > 3 {
			org = strings.TrimSpace(rec[3])
		}
		rows = append(rows, asnRow{start, end, uint32(asn), org})
	}
}

func addrNum(a netip.Addr) u128 {
	if a.Is4() {
		b := a.As4()
		return u128{0, uint64(binary.BigEndian.Uint32(b[:]))}
	}
	return u128From(a)
}

// encodeASNTable writes the table form of rows to w.
func encodeASNTable(w io.Writer, rows []asnRow, built time.Time, sum [32]byte, name string) error {
	type ent struct {
		asn uint32
		org string
	}
	seen := map[ent]bool{}
	var ents []ent
	for _, r := range rows {
		e := ent{r.asn, r.org}
		if !seen[e] {
			seen[e] = true
			ents = append(ents, e)
		}
	}
	slices.SortFunc(ents, func(a, b ent) int {
		if a.asn != b.asn {
			return int(int64(a.asn) - int64(b.asn))
		}
		return strings.Compare(a.org, b.org)
	})
	index := make(map[ent]uint32, len(ents))
	for i, e := range ents {
		index[e] = uint32(i + 1)
	}
	slices.SortStableFunc(rows, func(a, b asnRow) int {
		if a.start.Is4() != b.start.Is4() {
			if a.start.Is4() {
				return -1
			}
			return 1
		}
		return a.start.Compare(b.start)
	})
	var v4, v6 []asnSpan
	var end4, end6 u128
	var wrapped6 bool // the last IPv6 range reached the top of the space
	for _, r := range rows {
		spans, end := &v6, &end6
		if r.start.Is4() {
			spans, end = &v4, &end4
		}
		start := addrNum(r.start)
		idx := index[ent{r.asn, r.org}]
		newEnd := addrNum(r.end).add(u128{0, 1})
		if len(*spans) > 0 && start.less(*end) {
			// The source has a few nested or overlapping ranges (a more
			// specific announcement inside a larger one): the later range
			// wins where it lies, as in an mmdb built by inserting in order,
			// and the enclosing one resumes after it.
			outer := (*spans)[len(*spans)-1].idx
			for len(*spans) > 0 && !(*spans)[len(*spans)-1].start.less(start) {
				*spans = (*spans)[:len(*spans)-1]
			}
			*spans = append(*spans, asnSpan{start, idx})
			if newEnd.less(*end) && newEnd != (u128{}) {
				*spans = append(*spans, asnSpan{newEnd, outer})
			} else {
				*end = newEnd
			}
			continue
		}
		if *end != start {
			*spans = append(*spans, asnSpan{*end, 0})
		}
		if n := len(*spans); n == 0 || (*spans)[n-1].idx != idx {
			*spans = append(*spans, asnSpan{start, idx})
		}
		*end = newEnd
		if !r.start.Is4() && *end == (u128{}) {
			wrapped6 = true
		}
	}
	if len(v4) > 0 && end4 != (u128{0, 1 << 32}) {
		v4 = append(v4, asnSpan{end4, 0})
	}
	if len(v6) > 0 && !wrapped6 {
		v6 = append(v6, asnSpan{end6, 0})
	}
	if len(v4) > 0 && v4[0].start == (u128{}) && v4[0].idx == 0 {
		v4 = v4[1:] // a leading gap is implied
	}
	if len(v6) > 0 && v6[0].start == (u128{}) && v6[0].idx == 0 {
		v6 = v6[1:]
	}

	var p []byte
	p = binary.AppendUvarint(p, uint64(len(ents)))
	prevASN := uint64(0)
	for _, e := range ents {
		p = binary.AppendUvarint(p, uint64(e.asn)-prevASN)
		prevASN = uint64(e.asn)
	}
	for _, e := range ents {
		p = binary.AppendUvarint(p, uint64(len(e.org)))
		p = append(p, e.org...)
	}
	p = binary.AppendUvarint(p, uint64(len(v4)))
	p = appendStarts4(p, len(v4), func(i int) u128 { return v4[i].start })
	for _, x := range v4 {
		p = binary.AppendUvarint(p, uint64(x.idx))
	}
	p = binary.AppendUvarint(p, uint64(len(v6)))
	p = appendStarts6(p, len(v6), func(i int) u128 { return v6[i].start })
	for _, x := range v6 {
		p = binary.AppendUvarint(p, uint64(x.idx))
	}
	return writeTable(w, asnTableMagic, built.Unix(), sum, name, p)
}

// decodeASNTable parses a table written by encodeASNTable.
func decodeASNTable(data []byte) (*asnTable, error) {
	th, raw, err := readTable(data, asnTableMagic, "not an asn table (bad magic)", "asn table", 128<<20)
	if err != nil {
		return nil, err
	}
	t := &asnTable{built: th.built, sha256: th.sha256, source: th.source}
	r := &reader{p: raw}
	n := r.count(2, "AS entries")
	t.asn = make([]uint32, n+1)
	t.org = make([]string, n+1)
	var cur uint64
	for i := 1; i <= n && r.err == nil; i++ {
		cur += r.uvarint("AS entries")
		if cur >= 1<<32 {
			r.fail("AS entries")
		}
		t.asn[i] = uint32(cur)
	}
	for i := 1; i <= n && r.err == nil; i++ {
		t.org[i] = string(r.bytes(r.uvarint("AS names"), "AS names"))
	}
	readIdx := func(k int, what string) []uint32 {
		idx := make([]uint32, k)
		for i := range idx {
			v := r.uvarint(what)
			if r.err != nil {
				break
			}
			if v > uint64(n) {
				r.fail(what)
				break
			}
			idx[i] = uint32(v)
		}
		return idx
	}
	n4 := r.count(2, "IPv4 ranges")
	t.s4 = r.starts4(n4)
	t.i4 = readIdx(n4, "IPv4 entries")
	n6 := r.count(3, "IPv6 ranges")
	t.h6, t.l6 = r.starts6(n6)
	t.i6 = readIdx(n6, "IPv6 entries")
	if r.err != nil {
		return nil, r.err
	}
	if len(r.p) != 0 {
		return nil, errors.New("asn table: trailing data")
	}
	t.idx4 = index16(t.s4)
	return t, nil
}
