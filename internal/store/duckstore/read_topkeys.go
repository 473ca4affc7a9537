package duckstore

import (
	"fmt"
	"strings"
)

// topKeysPerClass is the top-keys question over a per-day rollup with one
// row per class (column class): per class and key its total over the days
// and its largest single day (the day's rows added up over sensors and
// over a key's several rows), and the keys among the n first of some class
// by either. Grouping by the class column keeps one sum per group; a
// filtered sum per class (seven string comparisons per row) cost twice as
// much on the benchmark store (BENCHMARKS.md, "Dashboard").
func topKeysPerClass(table string, p *seriesPlan, kc string, n int) string {
	lits := make([]string, len(p.classes))
	for i, c := range p.classes {
		lits[i] = "'" + c + "'" // checked class names (planSeries)
	}
	return `WITH d AS (SELECT h.class, h.day, ` + strings.Join(p.hk, ", ") + `, sum(h.packets) AS v FROM ` + table + ` h` + p.where +
		` AND h.class IN (` + strings.Join(lits, ", ") + `) GROUP BY ALL),
		t AS (SELECT class, ` + kc + `, sum(v) AS t, max(v) AS p FROM d GROUP BY ALL)
		SELECT DISTINCT ` + kc + ` FROM t WHERE t > 0
		QUALIFY row_number() OVER (PARTITION BY class ORDER BY t DESC, ` + kc + `) <= ` + fmt.Sprint(n) + `
			OR row_number() OVER (PARTITION BY class ORDER BY p DESC, ` + kc + `) <= ` + fmt.Sprint(n) + `
		ORDER BY ALL`
}

// seriesSourcesBySet is the distinct-sources series question without a
// distinct count per class: each source's rows of a day and key (and
// sensor, when by sensor) are merged into one class set, and the sources
// of each set are counted. A source counts under a class when its set has
// the class's bit, so the counts of the sets with that bit add up to the
// exact distinct count (Series adds them). It reads what the filtered
// distinct counts would (table, join and where as there) and answers rows
// of day, sensor, the key columns, class set and sources.
func seriesSourcesBySet(table, sensorCol string, keyExprs []string, join, where string) string {
	keys := make([]string, len(keyExprs))
	aliased := make([]string, len(keyExprs))
	for i, e := range keyExprs {
		keys[i] = fmt.Sprintf("k%d", i)
		aliased[i] = e + " AS " + keys[i]
	}
	kl := strings.Join(keys, ", ")
	return `SELECT day, s, ` + kl + `, b, CAST(count(*) AS DOUBLE) FROM (
		SELECT h.day, ` + sensorCol + ` AS s, ` + strings.Join(aliased, ", ") + `, h.skey, bit_or(h.classes) AS b
		FROM ` + table + ` h` + join + where + ` GROUP BY ALL) GROUP BY ALL`
}
