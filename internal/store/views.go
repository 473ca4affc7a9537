package store

import "github.com/honeyscope/honeyscope/internal/civil"

// GeoDBUse is one pair of GeoIP databases that ingests of a selection were
// geolocated with (as the ingest log records them, after any reassign).
type GeoDBUse struct {
	CountryDB, ASNDB string
	Ingests          int // captures geolocated with this pair
}

// PatternTotal is one exploit / loader pattern over a selection.
type PatternTotal struct {
	Pattern string
	Packets float64
	Sources float64 // distinct source addresses over the whole selection
	Days    int     // days with a match
	Port    int     // the destination port with most matching packets
	Proto   string  // its protocol ("tcp", "udp")
}

// PatternDay is one pattern's matches on one day.
type PatternDay struct {
	Day     civil.Day
	Pattern string
	Packets float64
	Sources float64
}

// ExploitPatterns are the exploit matches of a selection by pattern: totals
// (most packets first) and per day (in day order).
type ExploitPatterns struct {
	Totals []PatternTotal
	Daily  []PatternDay
}

// SourcePortRow is one source port that scanners kept fixed: the sources
// that sent all their TCP/UDP packets of a day from that one port.
type SourcePortRow struct {
	Port    int
	Sources float64 // distinct source addresses over the selection
	Packets float64
	Days    int    // days on which some source used it as its one port
	Country string // the country of most of those sources
	Share   float64
}
