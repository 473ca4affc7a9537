package store

import (
	"context"
	"net/netip"
	"time"

	"github.com/honeyscope/honeyscope/internal/civil"
)

// The questions below are what the period layer (package period) asks of a
// store: daily values per key, per-dimension breakdowns per day, distinct
// sources over days, capture intervals. They return facts; baselines,
// medians, presence and findings are computed by the caller.
//
// Every question carries the sensors it is restricted to (nil or empty:
// every sensor) and inclusive days [From, To] in the store's time zone.

// Series dimensions: what the key of a daily series is.
const (
	DimCountry = "country" // Key.Country: ISO 3166-1 alpha-2 ("ZZ" special-purpose, "??" unknown)
	DimPort    = "port"    // Key.Proto and Key.Port: destination port (ICMP type for ICMP)
	DimASN     = "asn"     // Key.ASN (0: unknown)
	DimSensor  = "sensor"  // Key.Sensor
	DimPrefix  = "prefix"  // Key.Prefix: the IPv4 /24 of the source (breakdowns only)
)

// Unit is what a value counts.
type Unit string

// Units.
const (
	UnitPackets Unit = "packets" // packets
	UnitSources Unit = "sources" // distinct source addresses (exact, never added up)
)

// Fold says which keys a series stands for.
type Fold uint8

// Folds of a series with SeriesQuery.Fold.
const (
	FoldNone  Fold = iota // one key
	FoldOther             // the keys left out (for ports: of Key.Proto, below FoldFrom)
	FoldHigh              // the left-out ports of Key.Proto from FoldFrom up
)

// Key is one value of a dimension. Only the fields of its dimension are
// set; a folded key (Fold != FoldNone) has only Proto set, for ports.
type Key struct {
	Country string
	Proto   uint8
	Port    uint16
	ASN     uint32
	Sensor  string
	Prefix  netip.Prefix
	Fold    Fold
}

// Selection is a set of sensors and inclusive days.
type Selection struct {
	Sensors  []string // nil or empty: every sensor
	From, To civil.Day
}

// Days is the number of days of s (0 when To is before From).
func (s Selection) Days() int { return max(s.To.Sub(s.From)+1, 0) }

// Capture is the time one ingested file covers: its first and last
// counted packet (for a live capture interval, the interval's bounds).
type Capture struct {
	Sensor      string
	First, Last time.Time // UTC
	// KernelDrops and QueueDrops are the packets lost while the capture
	// was made (see Ingest.KernelDrops): nonzero only for live captures.
	KernelDrops, QueueDrops uint64
}

// Drops are the packets live captures lost.
type Drops struct {
	Kernel, Queue uint64
}

// Total is every packet lost.
func (d Drops) Total() uint64 { return d.Kernel + d.Queue }

// DropsBySensor sums, per sensor that lost packets, the drops of the
// captures overlapping [from, to) (a zero bound is open).
func DropsBySensor(caps []Capture, from, to time.Time) map[string]Drops {
	out := map[string]Drops{}
	for _, c := range caps {
		if c.KernelDrops+c.QueueDrops == 0 || !from.IsZero() && c.Last.Before(from) || !to.IsZero() && !c.First.Before(to) {
			continue
		}
		d := out[c.Sensor]
		d.Kernel += c.KernelDrops
		d.Queue += c.QueueDrops
		out[c.Sensor] = d
	}
	return out
}

// Narrow limits a series question further: to the packets to one
// destination port (HasPort: Proto and Port) and to the sources of one AS
// (HasASN). The zero value limits nothing.
type Narrow struct {
	HasPort bool
	Proto   uint8
	Port    uint16
	HasASN  bool
	ASN     uint32
}

// Any reports whether n limits anything.
func (n Narrow) Any() bool { return n.HasPort || n.HasASN }

// SeriesQuery asks for daily series.
type SeriesQuery struct {
	Selection
	// Narrow limits the packets to one port and the sources to one AS.
	Narrow
	// Dim is DimCountry, DimPort, DimASN or DimSensor.
	Dim string
	// Unit is UnitPackets (also when empty) or UnitSources.
	Unit Unit
	// Classes limits the classes (nil: every class).
	Classes []string
	// Country limits the sources to one country ("" = all).
	Country string
	// BySensor returns one series per sensor (Series.Sensor) instead of
	// series over the selected sensors. Distinct sources are counted per
	// sensor then.
	BySensor bool
	// Fold sums the keys not in Keep into FoldOther series (for ports: one
	// per protocol below FoldFrom, and one FoldHigh series per protocol
	// from FoldFrom up). Distinct sources of a folded series are counted
	// exactly over its keys.
	Fold bool
	Keep []Key
	// FoldFrom is the lowest port folded into a FoldHigh series (0: none).
	FoldFrom int
}

// Series is a daily series of one class and key.
type Series struct {
	Class  string
	Sensor string // "" for series over the selected sensors
	Key    Key
	// Values holds one value per day; index 0 is From. Days without rows
	// are 0 (whether a day had data is a question of coverage).
	Values []float64
}

// TopKeysQuery asks for the keys worth a series of their own.
type TopKeysQuery struct {
	Selection
	Dim     string // DimCountry, DimPort, DimASN or DimSensor
	Classes []string
	Country string
	// Narrow limits the packets to one port and the sources to one AS.
	Narrow
	// N is how many keys of each class are taken by total packets and
	// how many by their largest single day.
	N int
}

// KeyDays selects the sources of one class and key over days.
type KeyDays struct {
	Class    string
	Sensor   string // "" for every selected sensor
	Dim      string // DimCountry, DimPort or DimASN
	Key      Key
	From, To civil.Day
}

// BreakdownQuery asks what one series (a class and key) consisted of per
// day: its packets or distinct sources by AS, by destination port and by
// IPv4 /24 of the source.
type BreakdownQuery struct {
	Selection
	Class string
	Dim   string // the series' dimension: DimCountry, DimPort or DimASN
	Key   Key
	Unit  Unit
}

// BreakdownRow is one day's value of one key of one breakdown dimension.
type BreakdownRow struct {
	Day   civil.Day
	Dim   string // DimASN, DimPort or DimPrefix
	Key   Key
	Value float64
}

// SourcePackets is one source's packets.
type SourcePackets struct {
	Addr    string // the address as stored
	Packets float64
}

// Total is a count over days.
type Total struct {
	Packets float64
	Sources float64 // distinct source addresses
}

// TotalsQuery splits days [From, To] at Split into [From, Split) and
// [Split, To].
type TotalsQuery struct {
	Selection
	Split civil.Day
}

// ClassTotals are packets and distinct sources per class before and from
// the split, and the distinct sources per class and day.
type ClassTotals struct {
	Before, After map[string]Total
	// DailySources holds, per class, the distinct sources of each day;
	// index 0 is From.
	DailySources map[string][]float64
}

// HighPorts is how many distinct destination ports from some port up a
// class hit under one protocol.
type HighPorts struct {
	Class string
	Proto uint8
	Ports int
}

// SourceDay is what the store holds of one source address on one day, over
// the selected sensors.
type SourceDay struct {
	Day         civil.Day
	Packets     uint64
	Bytes       uint64
	Classes     []string // in display order
	Ports       []PortPackets
	Sensors     []string
	Country     string
	ASN         uint32
	Org         string
	First, Last time.Time // UTC
	// FixedSrcPort is set when every TCP/UDP packet of the day came from
	// one source port, SrcPort (at all the selected sensors together).
	FixedSrcPort bool
	SrcPort      uint16
	// Exploits are the day's exploit matches of the source, most packets
	// first (the store keeps which pattern matched, not the payload).
	Exploits []PatternPackets
}

// PatternPackets is the packets of one source that matched one exploit
// pattern at one destination port.
type PatternPackets struct {
	Pattern string
	Proto   uint8
	Port    uint16
	Packets uint64
}

// PortPackets is the packets to one destination port.
type PortPackets struct {
	Proto   uint8
	Port    uint16
	Packets uint64
}

// LinkUpdater is a store that keeps what answers distinct sources over
// ranges of days (duckstore's links) outside its writes' transactions:
// UpdateLinks brings it up to date after writes and reports whether there
// was anything to do. Until it has run, the answers are the same, counted
// the slower way. serve runs it in its warm round.
type LinkUpdater interface {
	UpdateLinks(ctx context.Context) (bool, error)
}
