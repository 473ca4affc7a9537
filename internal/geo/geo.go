// Package geo geolocates source addresses: country and autonomous system,
// with special-purpose address blocks labelled before any database is asked.
//
// A country table built from the ip-location-db geo-whois-asn-country data
// is compiled in, and so is an ASN table built from the ip-location-db asn
// data, so Open works with no files at all; any MaxMind DB country or city
// database (GeoLite2, DB-IP lite, IPinfo lite, ip-location-db) can replace
// the first, and a GeoLite2-ASN-style database (or IPinfo lite) the second. BuildASN makes such a database from ip-location-db's ASN CSV.
package geo

//go:generate go run ./gen -in ../../../shared/data/geoip/geo-whois-asn-country.mmdb -out country.bin
//go:generate go run ./gen -asn ../../../shared/data/geoip/ip-location-db-asn-2.3.2026061719.tgz -out asn.bin

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"time"
)

// Country values that are not ISO 3166-1 codes.
const (
	// SpecialCountry is the country of special-purpose addresses.
	SpecialCountry = "ZZ"
	// Unknown is the country of addresses that the database does not place.
	Unknown = "??"
)

// Info is what geo knows about one address.
type Info struct {
	// Country is an ISO 3166-1 alpha-2 code, SpecialCountry ("ZZ") for a
	// special-purpose address or Unknown ("??").
	Country string
	// ASN is the autonomous system number, 0 when unknown.
	ASN uint32
	// Org is the autonomous system's organisation, "" when unknown.
	Org string
	// Special names the special-purpose block the address is in
	// ("private", "documentation", ...; see SpecialRanges), "" otherwise.
	Special string
}

// DBInfo describes one database in use, for provenance records.
type DBInfo struct {
	// Kind is "country" or "asn".
	Kind string
	// Name is the file's base name, or "builtin" for the compiled-in table.
	Name string
	// Path is the file as given, or the source file name of the builtin table.
	Path string
	// Type is the database_type from the file's metadata ("builtin" for the
	// compiled-in table).
	Type string
	// BuildDate is when the database (for builtin: its source) was built.
	BuildDate time.Time
	// SHA256 is the hex SHA-256 of the file (for builtin: of the source
	// database it was made from).
	SHA256 string
}

// Config says which databases to use.
type Config struct {
	// CountryDB is a MaxMind DB country or city database; "" uses the
	// builtin table.
	CountryDB string
	// ASNDB is a GeoLite2-ASN-style or IPinfo lite database; "" uses the
	// AS numbers of the country database when it carries them, else the
	// builtin ASN table.
	ASNDB string
}

// Locator answers lookups. It is safe for concurrent use; Close must not run
// concurrently with lookups.
type Locator struct {
	builtin *table
	// builtinASN answers AS lookups when no ASN database is given and the
	// country database carries no AS numbers.
	builtinASN *asnTable
	country    *mmdbDB
	asn        *mmdbDB
	dbs        []DBInfo
}

// Open loads the databases that cfg names. A file that cannot be read, is
// not a MaxMind DB, or does not hold the expected fields is reported here,
// naming the file.
func Open(cfg Config) (*Locator, error) {
	l := &Locator{}
	if cfg.CountryDB == "" {
		t, err := builtinTable()
		if err != nil {
			return nil, err
		}
		l.builtin = t
		l.dbs = append(l.dbs, DBInfo{Kind: "country", Name: "builtin", Path: t.source, Type: "builtin",
			BuildDate: t.built, SHA256: t.sha256})
	} else {
		d, err := openMMDB(cfg.CountryDB, "country")
		if err != nil {
			return nil, err
		}
		l.country = d
		l.dbs = append(l.dbs, d.info)
	}
	if cfg.ASNDB != "" {
		d, err := openMMDB(cfg.ASNDB, "asn")
		if err != nil {
			_ = l.Close()
			return nil, err
		}
		l.asn = d
		l.dbs = append(l.dbs, d.info)
	} else {
		t, err := builtinASNTable()
		if err != nil {
			_ = l.Close()
			return nil, err
		}
		l.builtinASN = t
		l.dbs = append(l.dbs, DBInfo{Kind: "asn", Name: "builtin", Path: t.source, Type: "builtin",
			BuildDate: t.built, SHA256: t.sha256})
	}
	return l, nil
}

// Databases describes the databases in use, country first.
func (l *Locator) Databases() []DBInfo {
	return append([]DBInfo(nil), l.dbs...)
}

// Close releases the databases.
func (l *Locator) Close() error {
	err := errors.Join(l.country.close(), l.asn.close())
	l.country, l.asn = nil, nil
	return err
}

// Lookup returns the country and AS of a. Special-purpose addresses get
// Country "ZZ" and their block's name and are not looked up; IPv4-mapped
// and NAT64 (64:ff9b::/96) addresses are looked up as the IPv4 address they
// carry.
func (l *Locator) Lookup(a netip.Addr) Info {
	a = embedded(a)
	if name, ok := Special(a); ok {
		return Info{Country: SpecialCountry, Special: name}
	}
	info := Info{Country: Unknown}
	var fromCountry record
	var haveCountry bool
	switch {
	case l.builtin != nil:
		info.Country = l.builtin.country(a)
	case l.country != nil:
		if fromCountry, haveCountry = l.country.lookup(a); haveCountry && fromCountry.iso != "" {
			info.Country = fromCountry.iso
		}
	}
	if l.asn != nil {
		if rec, ok := l.asn.lookup(a); ok && rec.hasASN {
			info.ASN, info.Org = rec.asn, rec.organization()
			return info
		}
	}
	if haveCountry && fromCountry.hasASN {
		info.ASN, info.Org = fromCountry.asn, fromCountry.organization()
		return info
	}
	if l.builtinASN != nil {
		info.ASN, info.Org = l.builtinASN.lookup(a)
	}
	return info
}

// Cache is a fixed-size, two-way set-associative cache of lookups in front
// of a Locator, for one goroutine: a hit costs a hash and at most two
// compares and never allocates. It is written by hand because ingest looks
// up every source and a general map costs more than the hit. A Cache is not
// safe for concurrent use; give each goroutine its own.
type Cache struct {
	l            *Locator
	shift        uint
	ents         []cacheEntry // set i is ents[2i], ents[2i+1] (newest first)
	hits, misses uint64
}

type cacheEntry struct {
	hi, lo uint64
	ok     bool
	info   Info
}

// DefaultCacheSize is the number of entries NewCache uses for size <= 0.
const DefaultCacheSize = 8192

// NewCache returns a cache of size entries (rounded up to a power of two, at
// least 2; DefaultCacheSize when size <= 0) in front of l.
func (l *Locator) NewCache(size int) *Cache {
	if size <= 0 {
		size = DefaultCacheSize
	}
	sets := uint(0) // log2 of the number of sets
	for 2<<sets < size && sets < 30 {
		sets++
	}
	return &Cache{l: l, shift: 64 - sets, ents: make([]cacheEntry, 2<<sets)}
}

// Lookup is Locator.Lookup through the cache.
func (c *Cache) Lookup(a netip.Addr) Info {
	if !a.IsValid() {
		c.misses++
		return c.l.Lookup(a)
	}
	b := a.As16() // IPv4 and its IPv4-mapped form share a key and an answer
	hi, lo := binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:])
	h := (hi*0x9E3779B97F4A7C15 ^ lo) * 0xBF58476D1CE4E5B9
	set := c.ents[2*(h>>c.shift):][:2]
	if e := &set[0]; e.ok && e.hi == hi && e.lo == lo {
		c.hits++
		return e.info
	}
	if e := &set[1]; e.ok && e.hi == hi && e.lo == lo {
		c.hits++
		return e.info
	}
	c.misses++
	info := c.l.Lookup(a)
	set[1] = set[0]
	set[0] = cacheEntry{hi: hi, lo: lo, ok: true, info: info}
	return info
}

// Stats returns the cache's hit and miss counts.
func (c *Cache) Stats() (hits, misses uint64) { return c.hits, c.misses }

// String formats i for logs, e.g. "US AS15169 Google LLC" or "ZZ/private".
func (i Info) String() string {
	s := i.Country
	if i.Special != "" {
		s += "/" + i.Special
	}
	if i.ASN != 0 {
		s += fmt.Sprintf(" AS%d", i.ASN)
		if i.Org != "" {
			s += " " + i.Org
		}
	}
	return s
}
