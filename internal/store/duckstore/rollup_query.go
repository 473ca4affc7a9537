package duckstore

import (
	"net/netip"
	"strings"

	"github.com/honeyscope/honeyscope/internal/classify"
	"github.com/honeyscope/honeyscope/internal/store"
)

// statsPlan is the table a stats query reads.
type statsPlan struct {
	table      string // FROM: a table or a parenthesised subquery
	classTable string // FROM when grouping by class, for tables with a class-set column
	// perClass: rows are one per class (column class), not per class set
	// (column classes).
	perClass bool
	// summed: rows carry pre-counted distinct sources, which are added up:
	// right only when each result row is exactly one row of the table.
	summed bool
	// srcKeys: the table has source keys but not addresses; a filter on
	// IPv4 sources selects their keys (an IPv4 address's key is its value).
	srcKeys bool
}

var rawPlan = statsPlan{table: "hits", classTable: "class_hits"}

var sourceDayPlan = statsPlan{
	table:      "rollup_source_day",
	classTable: "(SELECT x.*, c.name AS class FROM rollup_source_day x JOIN classes c ON (x.classes & c.bit) <> 0)",
}

// dayRollups are the per-day rollups, smallest first, with the key columns
// each has besides day, sensor and class.
var dayRollups = []struct {
	table string
	keys  []string
}{
	{"rollup_day", nil},
	{"rollup_day_country", []string{"country"}},
	{"rollup_day_asn", []string{"asn"}},
	{"rollup_day_port", []string{"proto", "port"}},
}

// planStats picks the smallest table that answers q exactly. Packets add
// up from any table. Distinct sources are exact from a per-day rollup only
// when every key of the rollup (day, sensor, class and its own keys) is
// either grouped by or filtered to a single value, so that each result row
// is one rollup row; rollup_source_day keeps source keys, so it counts
// distinct sources exactly under any grouping of day, sensor, class,
// country and ASN; everything else (ports over several days or sensors,
// source addresses) is counted from the source-level rows.
func planStats(q store.StatsQuery) statsPlan {
	used := map[string]bool{}
	grouped := map[string]bool{}
	for _, d := range q.By {
		used[d], grouped[d] = true, true
	}
	values := map[string]int{} // dimension -> number of distinct filter values
	count := func(dim string, n int) {
		if n > 0 {
			used[dim] = true
			values[dim] = n
		}
	}
	count("class", distinct(q.Classes, func(s string) string { return s }))
	count("sensor", distinct(q.Sensors, func(s string) string { return s }))
	count("country", distinct(q.Countries, strings.ToUpper))
	count("asn", distinct(q.ASNs, func(a uint32) uint32 { return a }))
	count("port", distinct(q.Ports, func(p int) int { return p }))
	if len(q.Srcs) > 0 {
		used["src"] = true // no rollup keeps addresses
	}
	count("proto", distinct(q.Protos, func(p string) string {
		if n, err := store.ProtoNumber(p); err == nil {
			return string(rune(n))
		}
		return p
	}))
	if q.From != "" || q.To != "" {
		used["day"] = true
		if q.From != "" && q.From == q.To {
			values["day"] = 1
		}
	}
	fixed := func(dim string) bool { return grouped[dim] || values[dim] == 1 }
	within := func(cols ...string) bool {
		allowed := map[string]bool{"day": true, "sensor": true, "class": true}
		for _, c := range cols {
			allowed[c] = true
		}
		for d := range used {
			if !allowed[d] {
				return false
			}
		}
		return true
	}
	if len(q.Srcs) > 0 && !grouped["src"] && allIPv4(q.Srcs) {
		// IPv4 sources are their keys (SourceKey): rollup_source_day
		// answers by day, sensor, class, country and AS, port_hits by
		// port.
		delete(used, "src")
		switch {
		case within("country", "asn"):
			p := sourceDayPlan
			p.srcKeys = true
			return p
		case within("proto", "port"):
			return statsPlan{table: "port_hits", classTable: "(SELECT x.*, c.name AS class FROM port_hits x JOIN classes c ON (x.classes & c.bit) <> 0)", srcKeys: true}
		}
		used["src"] = true
	}
	// Per-class rows answer a filter on several classes only per class.
	classOK := grouped["class"] || values["class"] <= 1
	// Without a class, the rows of all hits are those of allHitClasses,
	// whose packets add up but whose distinct sources do not (a source
	// both scanned and intruded on a day is in both).
	if classOK && (grouped["class"] || values["class"] == 1) && fixed("day") && fixed("sensor") {
	next:
		for _, r := range dayRollups {
			if !within(r.keys...) {
				continue
			}
			for _, k := range r.keys {
				if !fixed(k) {
					continue next
				}
			}
			return statsPlan{table: r.table, perClass: true, summed: true}
		}
	}
	if q.NoSources && classOK {
		// Packets add up over any rows: the smallest rollup with the keys.
		for _, r := range dayRollups {
			if within(r.keys...) {
				return statsPlan{table: r.table, perClass: true, summed: true}
			}
		}
	}
	if within("country", "asn") {
		return sourceDayPlan
	}
	return rawPlan
}

// allHitClasses are the classes of which every hit carries exactly one:
// every captured packet carries access, and a honeypot's intrusion hit
// carries intrusion alone (docs/classes.md). A question of no class reads
// the per-class rollups' rows of these classes.
var allHitClasses = []classify.Class{classify.Access, classify.Intrusion}

// allIPv4 reports whether every address is IPv4 (or IPv4-mapped).
func allIPv4(as []netip.Addr) bool {
	for _, a := range as {
		if !a.Unmap().Is4() {
			return false
		}
	}
	return true
}

func distinct[T any, K comparable](vals []T, key func(T) K) int {
	seen := make(map[K]bool, len(vals))
	for _, v := range vals {
		seen[key(v)] = true
	}
	return len(seen)
}
