package geo

import (
	"crypto/sha256"
	"fmt"
	"net/netip"
	"os"
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
	data, err := os.ReadFile(path)
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
	if err := walkAll(r); err != nil {
		return nil, fmt.Errorf("%s database %s: damaged MaxMind DB file: %w", kind, path, err)
	}
	seen, good := 0, 0
	for res := range r.Networks() {
		var rec record
		if err := res.Decode(&rec); err != nil {
			return nil, fmt.Errorf("%s database %s: corrupt record for %s: %w", kind, path, res.Prefix(), err)
		}
		if (kind == "country" && rec.countryCode() != "") || (kind == "asn" && rec.hasASN) {
			good++
		}
		if seen++; seen >= probeRecords || good > 0 && seen >= 16 {
			break
		}
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

// walkAll walks the whole search tree and decodes every data record it
// points to (each once), so damage inside the file, not only in its header,
// is reported at start-up rather than as wrong or unknown countries in the
// middle of an ingest. The library's Reader.Verify would do this too, but it
// also rejects databases with an empty metadata description, which real
// free databases (ip-location-db) have.
func walkAll(r *maxminddb.Reader) error {
	done := make(map[uintptr]struct{}, 1<<16)
	for res := range r.Networks() {
		if err := res.Err(); err != nil {
			return err
		}
		off := res.Offset()
		if _, ok := done[off]; ok {
			continue
		}
		done[off] = struct{}{}
		var v any
		if err := res.Decode(&v); err != nil {
			return fmt.Errorf("record for %s: %w", res.Prefix(), err)
		}
	}
	return nil
}

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
