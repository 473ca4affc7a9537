package duckstore

import "github.com/honeyscope/honeyscope/internal/store"

// The read methods answer from the smallest table that gives exactly what
// the source-level tables (hits, sources, port_hits) would; docs/store.md
// ("What the read methods read") lists the choices. The rules are those of
// planStats: packets add up from any table; distinct sources are added up
// from a per-day rollup only when every result row is one rollup key (day,
// sensor, class and the rollup's own keys each grouped by or fixed to one
// value); rollup_source_day keeps the source key, so it counts distinct
// sources exactly under any grouping of day, sensor, class, country and
// ASN; ports with distinct sources over several days or sensors, and
// anything with source addresses, stay on the source-level tables.

// readPlan is the table a read question is answered from.
type readPlan struct {
	// table is the table read; "" for the source-level table the raw
	// query names.
	table string
	// perClass: the table has one row per class (column class) rather
	// than a class set (column classes).
	perClass bool
}

// dimRollup is the per-day rollup keyed by a series dimension.
var dimRollup = map[string]string{
	store.DimCountry: "rollup_day_country",
	store.DimPort:    "rollup_day_port",
	store.DimASN:     "rollup_day_asn",
	store.DimSensor:  "rollup_day",
}

// oneSensor reports whether sensors selects exactly one sensor.
func oneSensor(sensors []string) bool {
	return distinct(sensors, func(s string) string { return s }) == 1
}

// seriesPlan picks the table of a series (or top-keys) question: daily
// values by dim, of the sources of one country when country is set,
// per sensor (bySensor) or over the selected sensors, with keys folded
// (fold) or not.
func (s *Store) seriesPlan(dim, country string, unit store.Unit, sensors []string, bySensor, fold bool) readPlan {
	if s.rawReads {
		return readPlan{}
	}
	table := dimRollup[dim]
	switch {
	case table == "":
		return readPlan{}
	case country != "" && (dim == store.DimCountry || dim == store.DimSensor):
		// The country is then one more fixed key.
		table = "rollup_day_country"
	case country != "" && dim == store.DimASN:
		table = ""
	case country != "" && dim == store.DimPort:
		// Ports of one country's sources: only the hits have both.
		return readPlan{}
	}
	if unit != store.UnitSources {
		if table == "" {
			return readPlan{table: "rollup_source_day"}
		}
		return readPlan{table: table, perClass: true}
	}
	// Distinct sources add up from a per-day rollup when each result row
	// is one of its keys: the day always is; the sensor when grouped by,
	// selected alone or the dimension itself; the key unless folded.
	fixedSensor := bySensor || oneSensor(sensors) || (dim == store.DimSensor && !fold)
	if table != "" && fixedSensor && !fold {
		return readPlan{table: table, perClass: true}
	}
	if dim == store.DimPort {
		return readPlan{}
	}
	return readPlan{table: "rollup_source_day"}
}
