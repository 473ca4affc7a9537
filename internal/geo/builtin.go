package geo

import (
	_ "embed"
	"encoding/binary"
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"sync"
	"time"
)

// countryBin is the built-in country table (see table.go for its layout),
// generated from the ip-location-db geo-whois-asn-country database.
//
//go:embed country.bin
var countryBin []byte

var builtin struct {
	once sync.Once
	t    *table
	err  error

	addrOnce sync.Once
	byCC     map[string]*countryRanges
	codes    []string
}

// builtinTable decodes the embedded table on first use (tens of
// milliseconds), so programs that never look up an address do not pay.
func builtinTable() (*table, error) {
	builtin.once.Do(func() {
		builtin.t, builtin.err = decodeTable(countryBin)
		if builtin.err != nil {
			builtin.err = fmt.Errorf("builtin country table: %w", builtin.err)
		}
	})
	return builtin.t, builtin.err
}

// DefaultBuildDate returns the build date of the database that the builtin
// country table was made from (zero if the table cannot be read).
func DefaultBuildDate() time.Time {
	t, err := builtinTable()
	if err != nil {
		return time.Time{}
	}
	return t.built
}

// countryRanges are one country's IPv4 ranges in the builtin table, with the
// running total of addresses before each.
type countryRanges struct {
	start, size []uint32 // size-1 fits when a range is all of IPv4 space
	before      []uint64
	total       uint64
}

func builtinAddrs() {
	builtin.addrOnce.Do(func() {
		t, err := builtinTable()
		if err != nil {
			return
		}
		builtin.byCC = map[string]*countryRanges{}
		for i, cc := range t.c4 {
			if cc == 0 {
				continue
			}
			end := uint64(1) << 32
			if i+1 < len(t.s4) {
				end = uint64(t.s4[i+1])
			}
			code := t.codes[cc]
			r := builtin.byCC[code]
			if r == nil {
				r = &countryRanges{}
				builtin.byCC[code] = r
			}
			n := end - uint64(t.s4[i])
			r.start = append(r.start, t.s4[i])
			r.size = append(r.size, uint32(n-1))
			r.before = append(r.before, r.total)
			r.total += n
		}
		for code := range builtin.byCC {
			builtin.codes = append(builtin.codes, code)
		}
		slices.Sort(builtin.codes)
	})
}

// DefaultCountries returns the sorted codes of the countries that have IPv4
// space in the builtin table: those for which DefaultAddr succeeds.
func DefaultCountries() []string {
	builtinAddrs()
	return slices.Clone(builtin.codes)
}

// DefaultAddr returns the n-th (modulo the country's size) IPv4 address of
// country's ranges in the builtin table, counting through the ranges in
// address order. The result is deterministic, is never a special-purpose
// address, and looks up as country with the builtin table. It returns false
// for a country with no IPv4 space there.
func DefaultAddr(country string, n uint64) (netip.Addr, bool) {
	builtinAddrs()
	r := builtin.byCC[normCode(country)]
	if r == nil || r.total == 0 {
		return netip.Addr{}, false
	}
	n %= r.total
	i := sort.Search(len(r.before), func(i int) bool { return r.before[i] > n }) - 1
	v := r.start[i] + uint32(n-r.before[i])
	return netip.AddrFrom4([4]byte(binary.BigEndian.AppendUint32(nil, v))), true
}
