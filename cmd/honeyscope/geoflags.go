package main

import (
	"fmt"
	"net/netip"

	"github.com/spf13/pflag"

	"github.com/honeyscope/honeyscope/internal/geo"
	"github.com/honeyscope/honeyscope/internal/store"
)

// geoOptions are the GeoIP flags shared by commands that geolocate.
type geoOptions struct {
	countryDB string
	asnDB     string
}

func (o *geoOptions) register(f *pflag.FlagSet) {
	f.StringVar(&o.countryDB, "geoip", "", "country or city database `FILE` in MaxMind format: GeoLite2, DB-IP lite, IPinfo lite, ip-location-db; a regular file of at most 1 GiB (default: the built-in one)")
	f.StringVar(&o.asnDB, "asn", "", "ASN database `FILE` in MaxMind format, e.g. GeoLite2-ASN or one made by \"honeyscope geo build-asn\"; at most 1 GiB (default: the built-in one, from ip-location-db asn)")
}

// locator adapts geo.Locator to the ingest pipeline's per-address callback.
type locator struct {
	loc       *geo.Locator
	place     func(netip.Addr) store.Place
	countryDB string
	asnDB     string
}

func (l *locator) close() { l.loc.Close() }

func dbDesc(d geo.DBInfo) string {
	date := ""
	if !d.BuildDate.IsZero() {
		date = " " + d.BuildDate.UTC().Format("2006-01-02")
	}
	sum := d.SHA256
	if len(sum) > 16 {
		sum = sum[:16]
	}
	if d.Type == "builtin" {
		// "builtin asn (ip-location-db-asn-2.3.2026061719.tgz 2026-06-17, ...)":
		// the report's method section names the data by this.
		return fmt.Sprintf("builtin %s (%s%s, sha256 %s)", d.Kind, d.Path, date, sum)
	}
	return fmt.Sprintf("%s (%s%s, sha256 %s)", d.Name, d.Type, date, sum)
}

func (o *geoOptions) open() (*locator, error) {
	gl, err := geo.Open(geo.Config{CountryDB: o.countryDB, ASNDB: o.asnDB})
	if err != nil {
		return nil, err
	}
	l := &locator{loc: gl}
	for _, d := range gl.Databases() {
		switch d.Kind {
		case "country":
			l.countryDB = dbDesc(d)
		case "asn":
			l.asnDB = dbDesc(d)
		}
	}
	// Ingest asks once per distinct source address of a file, so a cache
	// in front of the lookup only added work there (BENCHMARKS.md).
	l.place = func(a netip.Addr) store.Place {
		i := gl.Lookup(a)
		return store.Place{Country: i.Country, ASN: i.ASN, Org: i.Org, Special: i.Special}
	}
	return l, nil
}

func countryName(code, lang string) string { return geo.CountryName(code, lang) }
