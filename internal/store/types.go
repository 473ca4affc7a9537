package store

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"strings"
	"time"

	"github.com/honeyscope/honeyscope/internal/aggregate"
	"github.com/honeyscope/honeyscope/internal/civil"
	"github.com/honeyscope/honeyscope/internal/evidence"
	"github.com/honeyscope/honeyscope/internal/srcports"
)

// Ingest describes one capture file's ingest, as recorded in the ingest log.
type Ingest struct {
	Path string
	Hash string // content identity of the file as stored on disk ("xxh3-128:<hex>:<size>", "sha256:<hex>" for Cowrie logs and earlier builds)
	// Supersedes lists the hashes of earlier ingests of the same path whose
	// content is the start of this file's (the file was still being
	// written); with Batch.Replace / Finish's replace they are replaced too.
	Supersedes  []string
	Size        int64
	Sensor      string
	Format      string
	Frames      uint64 // frames read
	Packets     uint64 // inbound IP packets counted
	Outbound    uint64 // IP packets not addressed to the sensor
	Undecodable uint64 // frames without a decodable IP packet
	// NotDecoded says which of them are of link types the decoder does not
	// read ("3 frames of link type 105 (IEEE802_11) not decoded", several
	// joined by "; "), empty when none is.
	NotDecoded string
	// Undated counts the packets (among Undecodable) the capture gives no
	// usable time for: not counted on any day.
	Undated     uint64
	First, Last time.Time
	Error       string // what stopped reading early ("" when the file was read to its end)
	ErrorOffset int64  // byte offset of Error (-1 when none)
	Duration    time.Duration
	CountryDB   string
	ASNDB       string
	Version     string
	// Detection names the detection rules that classified the capture
	// (classify.DetectionVersion of the exploit matcher: "builtin-<hash>"
	// for the built-in pattern set), as CountryDB names the GeoIP database.
	Detection string
	// RuleSet is the id of the stored rule set (RuleSetStore) whose rules
	// classified the capture's exploits besides the built-in ones; 0 when
	// the built-in rules alone did.
	RuleSet int32
	// KernelDrops and QueueDrops count, for a live capture interval, the
	// packets the kernel dropped before they were read (the capture
	// socket's buffer was full) and the packets the pipeline read but lost
	// (its queue was full, or an interval it could not commit was given
	// up). Zero for capture files.
	KernelDrops, QueueDrops uint64
	// BatchID, when set, names the transport batch the ingest arrived in
	// (a sensor's name and sequence, see package bus): a store records it
	// with the ingest, and a second Finish with the same BatchID changes
	// nothing and returns ErrDuplicate, whatever replace says, so that a
	// redelivered batch is never counted twice. Empty for local ingests.
	BatchID string
}

// Place is the geolocation of a source address.
type Place struct {
	Country string
	ASN     uint32
	Org     string
	Special string
}

// Sensor describes a sensor's monitored addresses.
type Sensor struct {
	Name      string
	Nets      string  // comma-separated CIDRs ("" = every address counted)
	Addresses float64 // number of monitored addresses (0 = unknown)
}

// Batch is one capture's contribution.
type Batch struct {
	Ingest  Ingest
	Replace bool // replace earlier ingests of the same content or that Ingest.Supersedes names (--force)
	Result  *aggregate.Result
	Places  []Place // parallel to Result.Sources
	Pattern func(id int) string
	Sensor  Sensor
	// Evidence is the capture's evidence, written when the store's Tx is
	// an EvidenceTx (nil: none).
	Evidence *evidence.Part
	// SrcPorts is the capture's confined-source-port histograms, written
	// when the store's Tx is a SrcPortTx (nil: none).
	SrcPorts *srcports.Part
	// Continues says that the next commit of the same sensor will likely
	// add to the same days (a live capture's next interval): a store whose
	// Tx is a ContinuingTx may keep what it needs to count that commit's
	// distinct sources without recounting the days.
	Continues bool
}

// ErrDuplicate is returned by Commit when the same content was already ingested.
var ErrDuplicate = errors.New("already ingested")

// KnownIngest is an earlier ingest's content identity.
type KnownIngest struct {
	Path string
	Hash string
	Size int64
}

// ReassignResult says what a re-geolocation changed.
type ReassignResult struct {
	Sources int   // distinct source addresses looked up
	Rows    int64 // source-day rows updated
	Changed int64 // rows whose country or ASN changed
}

// Dimensions that stats can group by, in the order they are accepted.
// pattern (the IoT exploit / loader pattern matched; only exploit matches
// count) and src_port (the source's one source port in a capture, null when
// it used several or sent no TCP/UDP) are answered from the source-level
// tables only.
var Dimensions = []string{"day", "sensor", "class", "country", "asn", "proto", "port", "src", "pattern", "src_port"}

// StatsQuery selects and groups stored hits.
type StatsQuery struct {
	By        []string // dimensions, see Dimensions
	Classes   []string // only packets carrying one of these classes
	Sensors   []string
	Countries []string // ISO codes ("ZZ" special-purpose, "??" unknown)
	Ports     []int
	Protos    []string // "tcp", "udp", "icmp", "icmpv6" or a number
	ASNs      []uint32
	From, To  string // inclusive days, YYYY-MM-DD ("" = open)
	Top       int    // 0 = all rows
	OrderBy   string // "packets" (default), "sources", "key" or "day" (day, then packets; day must be in By)

	// Srcs: only these source addresses (IPv4-mapped IPv6 as IPv4).
	Srcs []netip.Addr
	// NoSources: only packets are wanted (every row's Sources is 0), so
	// the query may be answered from any rollup whose keys cover it:
	// packets add up, distinct sources do not. OrderBy "sources" is then
	// an error.
	NoSources bool
	// RuleSet, when not 0: the exploit class under this rule set (a
	// stored set's id, or BuiltinRuleSet for the built-in rules alone)
	// instead of as each capture was classified when ingested: the counts
	// `rules backfill` wrote for it, and on the days and sensors it did not
	// backfill, those of the ingests classified with it. Only the exploit
	// class can be asked (Classes empty or "exploit"); the rows are its
	// matches, as with By "pattern".
	RuleSet int32
}

// Dims returns the dimensions the rows are grouped by: By, with proto added
// after port when By has port but not proto. A port number means different
// things under different protocols (23/tcp, 23/udp, ICMP type 8), so ports
// are never added up across protocols.
func (q StatsQuery) Dims() []string {
	hasPort, hasProto := false, false
	for _, d := range q.By {
		hasPort = hasPort || d == "port"
		hasProto = hasProto || d == "proto"
	}
	if !hasPort || hasProto {
		return q.By
	}
	out := make([]string, 0, len(q.By)+1)
	for _, d := range q.By {
		out = append(out, d)
		if d == "port" {
			out = append(out, "proto")
		}
	}
	return out
}

// StatsRow is one group: the values of the By dimensions (strings for day,
// sensor, class, country, proto, src, pattern; numbers for port and asn;
// src_port a number or nil) plus counts.
type StatsRow struct {
	Keys    []any
	Org     string // AS organisation when grouping by asn
	Packets uint64
	Sources uint64 // distinct source addresses in the group
}

// ProtoName names an IP protocol number.
func ProtoName(p uint8) string {
	switch p {
	case 1:
		return "icmp"
	case 6:
		return "tcp"
	case 17:
		return "udp"
	case 58:
		return "icmpv6"
	case 47:
		return "gre"
	}
	return fmt.Sprint(p)
}

// ProtoNumber parses a protocol name or number.
func ProtoNumber(s string) (uint8, error) {
	switch strings.ToLower(s) {
	case "icmp":
		return 1, nil
	case "tcp":
		return 6, nil
	case "udp":
		return 17, nil
	case "icmpv6", "ipv6-icmp":
		return 58, nil
	case "gre":
		return 47, nil
	}
	var n uint8
	if _, err := fmt.Sscan(s, &n); err != nil {
		return 0, fmt.Errorf("unknown protocol %q (tcp, udp, icmp, icmpv6 or a number 0-255)", s)
	}
	return n, nil
}

// ParseDay checks a YYYY-MM-DD day and returns its UTC midnight (the form
// a DuckDB DATE takes); see civil.Parse.
func ParseDay(s string) (time.Time, error) {
	d, err := civil.Parse(s)
	if err != nil {
		return time.Time{}, err
	}
	return d.Time(), nil
}

// DefaultPath is the store used when neither --db nor $HONEYSCOPE_DB is set.
const DefaultPath = "honeyscope.duckdb"

// PathFromEnv returns flagValue when set, else $HONEYSCOPE_DB, else DefaultPath.
func PathFromEnv(flagValue string) string {
	if flagValue != "" {
		return flagValue
	}
	if v := os.Getenv("HONEYSCOPE_DB"); v != "" {
		return v
	}
	return DefaultPath
}

// ErrNoStore is returned when a read-only open finds no database file.
var ErrNoStore = errors.New("no store")
