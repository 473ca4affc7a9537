package geo

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	maxminddb "github.com/oschwald/maxminddb-golang/v2"
	"github.com/oschwald/maxminddb-golang/v2/mmdbdata"
)

// record is the part of an mmdb record that geo uses. It decodes the
// layouts of GeoLite2/GeoIP2 Country and City and DB-IP lite
// (country.iso_code, registered_country.iso_code), ip-location-db and IPinfo
// lite (country_code; IPinfo also asn "AS15169" and as_name) and
// GeoLite2-ASN (autonomous_system_number, autonomous_system_organization).
//
// It is decoded by hand from a cursor so that one decoder accepts all those
// layouts (IPinfo lite's "country" is a string where GeoLite2's is a map)
// and skips the rest of a City record without building it.
type record struct {
	iso, code, registered string
	asn                   uint32
	hasASN                bool
	org, asName           string
}

// countryCode returns the record's country, preferring country.iso_code,
// then country_code, then registered_country.iso_code; "" when none is a
// two-letter code.
func (r *record) countryCode() string {
	for _, s := range [...]string{r.iso, r.code, r.registered} {
		if c := normCode(s); c != "" {
			return c
		}
	}
	return ""
}

func (r *record) organization() string {
	if r.org != "" {
		return r.org
	}
	return r.asName
}

// maxField bounds the strings that geo keeps from a record.
const maxField = 1024

// UnmarshalMaxMindDBCursor implements mmdbdata.CursorUnmarshaler.
func (r *record) UnmarshalMaxMindDBCursor(c mmdbdata.Cursor) (mmdbdata.Cursor, error) {
	m, err := c.Map()
	if err != nil {
		return mmdbdata.Cursor{}, mmdbdata.NormalizeUnmarshalError[record](err)
	}
	var next mmdbdata.Cursor
	for {
		key, v, ok := m.Next(next)
		if !ok {
			break
		}
		switch string(key) {
		case "country":
			r.iso, next, err = readISOCode(v)
		case "registered_country":
			r.registered, next, err = readISOCode(v)
		case "country_code":
			r.code, next, err = readString(v)
		case "autonomous_system_number", "asn":
			r.asn, r.hasASN, next, err = readASN(v)
		case "autonomous_system_organization":
			r.org, next, err = readString(v)
		case "as_name":
			r.asName, next, err = readString(v)
		default:
			next, err = v.Skip()
		}
		if err != nil {
			return mmdbdata.Cursor{}, fmt.Errorf("field %q: %w", key, err)
		}
	}
	return m.End()
}

// readString reads a string, or skips a value of any other kind.
func readString(c mmdbdata.Cursor) (string, mmdbdata.Cursor, error) {
	k, err := c.Kind()
	if err != nil {
		return "", mmdbdata.Cursor{}, err
	}
	if k != mmdbdata.KindString {
		next, err := c.Skip()
		return "", next, err
	}
	return c.ReadStringMaxSize(maxField)
}

// readISOCode reads the iso_code of a GeoLite2-style country map; a country
// given as a plain string (IPinfo lite's country name) is skipped.
func readISOCode(c mmdbdata.Cursor) (string, mmdbdata.Cursor, error) {
	k, err := c.Kind()
	if err != nil {
		return "", mmdbdata.Cursor{}, err
	}
	if k != mmdbdata.KindMap {
		next, err := c.Skip()
		return "", next, err
	}
	m, err := c.Map()
	if err != nil {
		return "", mmdbdata.Cursor{}, err
	}
	var iso string
	var next mmdbdata.Cursor
	for {
		key, v, ok := m.Next(next)
		if !ok {
			break
		}
		if string(key) == "iso_code" {
			iso, next, err = readString(v)
		} else {
			next, err = v.Skip()
		}
		if err != nil {
			return "", mmdbdata.Cursor{}, err
		}
	}
	next, err = m.End()
	return iso, next, err
}

// readASN reads an AS number given as an unsigned integer or as a string
// such as "AS15169" or "15169".
func readASN(c mmdbdata.Cursor) (uint32, bool, mmdbdata.Cursor, error) {
	k, err := c.Kind()
	if err != nil {
		return 0, false, mmdbdata.Cursor{}, err
	}
	switch k {
	case mmdbdata.KindString:
		s, next, err := c.ReadStringMaxSize(maxField)
		if err != nil {
			return 0, false, next, err
		}
		n, ok := parseASN(s)
		return n, ok, next, nil
	case mmdbdata.KindUint16, mmdbdata.KindUint32, mmdbdata.KindUint64:
		v, next, err := c.ReadUint()
		if err != nil || v > 1<<32-1 {
			return 0, false, next, err
		}
		return uint32(v), true, next, nil
	}
	next, err := c.Skip()
	return 0, false, next, err
}

// parseASN parses "AS15169", "as15169" or "15169".
func parseASN(s string) (uint32, bool) {
	s = strings.TrimSpace(s)
	if len(s) > 2 && (s[0] == 'A' || s[0] == 'a') && (s[1] == 'S' || s[1] == 's') {
		s = s[2:]
	}
	n, err := strconv.ParseUint(s, 10, 32)
	return uint32(n), err == nil
}

// codeStrings holds "AA".."ZZ" so that normCode returns shared strings and
// never allocates.
var codeStrings = func() (t [26 * 26]string) {
	for i := range t {
		t[i] = string([]byte{'A' + byte(i/26), 'A' + byte(i%26)})
	}
	return t
}()

// normCode returns the upper-case two-letter code for s, or "" if s is not
// two ASCII letters.
func normCode(s string) string {
	if len(s) != 2 {
		return ""
	}
	a, b := s[0]|0x20, s[1]|0x20 // lower case
	if a < 'a' || a > 'z' || b < 'a' || b > 'z' {
		return ""
	}
	return codeStrings[int(a-'a')*26+int(b-'a')]
}

// maxCachedRecords bounds the decoded records kept per database.
const maxCachedRecords = 1 << 18

// mmdbDB is one opened MaxMind DB file with its decoded records cached by
// data offset: many networks share one record, so after warm-up a lookup is
// a tree walk and a map read.
type mmdbDB struct {
	r    *maxminddb.Reader
	info DBInfo

	mu   sync.RWMutex
	recs map[uintptr]record
}

// probeRecords is how many records openMMDB decodes to check a database.
const probeRecords = 2000

// openMMDB opens path and checks that it is a MaxMind DB whose records carry
// what kind ("country" or "asn") needs. The file is read into memory rather
// than memory-mapped: a mapped file that is truncated while in use kills
// the process with SIGBUS, and reading it lets the SHA-256 cover exactly the
// bytes in use.
func openMMDB(path, kind string) (*mmdbDB, error) {
	data, err := readDB(path, MaxDBSize)
	if err != nil {
		return nil, fmt.Errorf("%s database: %w", kind, err)
	}
	return openMMDBBytes(data, path, kind)
}

// openMMDBBytes is openMMDB on the file's contents.
func openMMDBBytes(data []byte, path, kind string) (*mmdbDB, error) {
	r, err := maxminddb.OpenBytes(data)
	if err != nil {
		return nil, fmt.Errorf("%s database %s: not a readable MaxMind DB file: %w", kind, path, err)
	}
	if v := r.Metadata.IPVersion; v != 4 && v != 6 {
		return nil, fmt.Errorf("%s database %s: unsupported ip_version %d", kind, path, v)
	}
	// Every record is checked; the first probeRecords also tell whether
	// the database has what kind needs.
	seen, good := 0, 0
	err = walkAll(r, data, func(res maxminddb.Result) error {
		if seen >= probeRecords {
			return nil
		}
		seen++
		var rec record
		if err := res.Decode(&rec); err != nil {
			return err
		}
		if (kind == "country" && rec.countryCode() != "") || (kind == "asn" && rec.hasASN) {
			good++
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("%s database %s: damaged MaxMind DB file: %w", kind, path, err)
	}
	if seen == 0 {
		return nil, fmt.Errorf("%s database %s: holds no networks", kind, path)
	}
	if good == 0 {
		want := "country.iso_code, country_code or registered_country.iso_code"
		if kind == "asn" {
			want = "autonomous_system_number or asn"
		}
		return nil, fmt.Errorf("%s database %s (type %q): none of its first %d records has %s: not a %s database",
			kind, path, r.Metadata.DatabaseType, seen, want, kind)
	}
	sum := sha256.Sum256(data)
	return &mmdbDB{
		r: r,
		info: DBInfo{
			Kind:      kind,
			Name:      filepath.Base(path),
			Path:      path,
			Type:      r.Metadata.DatabaseType,
			BuildDate: r.Metadata.BuildTime().UTC(),
			SHA256:    fmt.Sprintf("%x", sum),
		},
		recs: make(map[uintptr]record),
	}, nil
}

// walkAll visits every node of the search tree once and decodes every data
// record the tree points to once, so damage inside the file, not only in
// its header, is reported at start-up rather than as wrong or unknown
// countries in the middle of an ingest. It is written here rather than
// using the library: Reader.Verify also rejects databases with an empty
// metadata description, which real free databases (ip-location-db) have,
// and Reader.Networks follows every path through the tree, so a corrupt
// tree whose records point back to earlier nodes would take exponential
// time. Here each node is visited once, so the walk is linear in the size
// of the file.
//
// visit is called once per data record, in the order the walk reaches them.
func walkAll(r *maxminddb.Reader, data []byte, visit func(maxminddb.Result) error) error {
	md := r.Metadata
	nodes := md.NodeCount
	var nodeBytes uint
	switch md.RecordSize {
	case 24, 28, 32:
		nodeBytes = md.RecordSize / 4
	default:
		return fmt.Errorf("unsupported record size %d", md.RecordSize)
	}
	if nodes == 0 || nodes > uint(len(data))/nodeBytes {
		return fmt.Errorf("search tree of %d nodes does not fit in the file", nodes)
	}
	meta := bytes.LastIndex(data, metadataMarker)
	treeEnd := nodes * nodeBytes
	if meta < 0 || uint(meta) < treeEnd+16 {
		return errors.New("no data section between the search tree and the metadata")
	}
	dataSize := uint(meta) - treeEnd - 16
	record := func(n uint, right bool) uint {
		b := data[n*nodeBytes : (n+1)*nodeBytes]
		switch md.RecordSize {
		case 24:
			if right {
				return uint(b[3])<<16 | uint(b[4])<<8 | uint(b[5])
			}
			return uint(b[0])<<16 | uint(b[1])<<8 | uint(b[2])
		case 28:
			if right {
				return uint(b[3]&0x0f)<<24 | uint(b[4])<<16 | uint(b[5])<<8 | uint(b[6])
			}
			return uint(b[3]&0xf0)<<20 | uint(b[0])<<16 | uint(b[1])<<8 | uint(b[2])
		}
		if right {
			return uint(binary.BigEndian.Uint32(b[4:]))
		}
		return uint(binary.BigEndian.Uint32(b))
	}
	visited := make([]uint64, (nodes+63)/64)
	decoded := make(map[uint]struct{}, 1<<14)
	stack := []uint{0}
	visited[0] |= 1
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, right := range []bool{false, true} {
			rec := record(n, right)
			switch {
			case rec < nodes:
				if visited[rec/64]&(1<<(rec%64)) == 0 {
					visited[rec/64] |= 1 << (rec % 64)
					stack = append(stack, rec)
				}
			case rec == nodes: // no data for this network
			default:
				off := rec - nodes - 16
				if rec < nodes+16 || off >= dataSize {
					return fmt.Errorf("search tree node %d points outside the data section", n)
				}
				if _, ok := decoded[off]; ok {
					continue
				}
				decoded[off] = struct{}{}
				res := r.LookupOffset(uintptr(off))
				var v any
				if err := res.Decode(&v); err != nil {
					return fmt.Errorf("data record at offset %d: %w", off, err)
				}
				if err := visit(res); err != nil {
					return fmt.Errorf("data record at offset %d: %w", off, err)
				}
			}
		}
	}
	return nil
}

// metadataMarker starts the metadata section of a MaxMind DB file.
var metadataMarker = []byte("\xab\xcd\xefMaxMind.com")

// lookup returns the record for a, or false when the database has none (or
// the record cannot be decoded: that address is then simply unknown).
func (d *mmdbDB) lookup(a netip.Addr) (record, bool) {
	res := d.r.Lookup(a)
	if !res.Found() {
		return record{}, false
	}
	off := res.Offset()
	d.mu.RLock()
	rec, ok := d.recs[off]
	d.mu.RUnlock()
	if ok {
		return rec, true
	}
	return d.decode(res, off)
}

// decode decodes and caches a record. It is separate from lookup so that
// the record escapes to the heap only on a cache miss.
func (d *mmdbDB) decode(res maxminddb.Result, off uintptr) (record, bool) {
	rec := new(record)
	if err := res.Decode(rec); err != nil {
		return record{}, false
	}
	rec.iso, rec.code, rec.registered = rec.countryCode(), "", ""
	d.mu.Lock()
	if len(d.recs) < maxCachedRecords {
		d.recs[off] = *rec
	}
	d.mu.Unlock()
	return *rec, true
}

func (d *mmdbDB) close() error {
	if d == nil {
		return nil
	}
	if err := d.r.Close(); err != nil {
		return fmt.Errorf("close %s: %w", d.info.Path, err)
	}
	return nil
}
