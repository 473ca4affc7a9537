package duckstore

import (
	"math"
	"strings"

	"github.com/honeyscope/honeyscope/internal/civil"
	"github.com/honeyscope/honeyscope/internal/store"
)

// linksPlan is the plan of a Stats question whose distinct sources the
// links answer (links.go), or false. The table it reads is the union of a
// per-day rollup's rows (their packets, sources 0) and the links' rows
// that count (their sources, packets 0), so that the query statsSQL
// writes around it adds up both: the packets of the rows selected and the
// distinct sources of each result row, exactly.
//
// It answers when each result row is one (sensor, class, key) of the
// links over a range of days, or over one day: class and the key (country
// or AS, at most one of them) grouped by or fixed to one value, or no key;
// the sensor grouped by, fixed to one or not asked (every sensor); the
// day grouped by (the occurrences of each day) or not (the first of each
// source in the range: prev before From). Ports, protocols, addresses and
// rule sets are never in the links.
func linksPlan(q store.StatsQuery) (statsPlan, bool) {
	if q.NoSources || q.RuleSet != 0 || len(q.Srcs) > 0 || len(q.Ports) > 0 || len(q.Protos) > 0 {
		return statsPlan{}, false
	}
	if _, ok := viewPlan(q); ok {
		return statsPlan{}, false
	}
	grouped := map[string]bool{}
	for _, d := range q.By {
		switch d {
		case "day", "sensor", "class", "country", "asn":
			grouped[d] = true
		default:
			return statsPlan{}, false
		}
	}
	nCountries := distinct(q.Countries, strings.ToUpper)
	nASNs := distinct(q.ASNs, func(a uint32) uint32 { return a })
	nClasses := distinct(q.Classes, func(s string) string { return s })
	nSensors := distinct(q.Sensors, func(s string) string { return s })
	usesCountry := grouped["country"] || nCountries > 0
	usesASN := grouped["asn"] || nASNs > 0
	switch {
	case usesCountry && usesASN:
		return statsPlan{}, false
	case usesCountry && !grouped["country"] && nCountries != 1,
		usesASN && !grouped["asn"] && nASNs != 1,
		!grouped["class"] && nClasses > 1,
		!grouped["sensor"] && nSensors > 1:
		return statsPlan{}, false
	}
	var from civil.Day
	hasFrom := q.From != ""
	if hasFrom {
		t, err := store.ParseDay(q.From)
		if err != nil {
			return statsPlan{}, false // statsSQL reports it
		}
		from = civil.Of(t)
	}
	table, links, key := "rollup_day", "links_all", ""
	switch {
	case usesCountry:
		table, links, key = "rollup_day_country", "links_country", "country, "
	case usesASN:
		table, links, key = "rollup_day_asn", "links_asn", "asn, "
	}
	var conds []string
	class := "class"
	switch {
	case grouped["class"] || nClasses == 1:
		conds = append(conds, "class IS NOT NULL")
	default:
		// A question of no class: the sources of any class, under the
		// name of the class statsSQL selects the packets of no class
		// by (allHitClasses: every packet is access).
		conds = append(conds, "class IS NULL")
		class = "'" + allHitClasses[0].String() + "'"
	}
	if grouped["sensor"] || nSensors == 1 {
		conds = append(conds, "sensor IS NOT NULL")
	} else {
		conds = append(conds, "sensor IS NULL")
	}
	switch {
	case grouped["day"]:
	case hasFrom:
		conds = append(conds, "(prev IS NULL OR prev < CAST('"+from.String()+"' AS DATE))")
	default:
		conds = append(conds, "prev IS NULL")
	}
	sub := `(SELECT day, sensor, class, ` + key + `packets, CAST(0 AS UBIGINT) AS sources FROM ` + table + `
		UNION ALL SELECT day, sensor, ` + class + ` AS class, ` + key + `CAST(0 AS UBIGINT) AS packets, sources FROM ` + links + `
		WHERE ` + strings.Join(conds, " AND ") + `)`
	return statsPlan{table: sub, perClass: true, summed: true}, true
}

// linksTo is the last day a question of days up to to (YYYY-MM-DD, ""
// for open) reads.
func linksTo(to string) civil.Day {
	if to == "" {
		return civil.Day(math.MaxInt32)
	}
	t, err := store.ParseDay(to)
	if err != nil {
		return civil.Day(math.MaxInt32)
	}
	return civil.Of(t)
}
