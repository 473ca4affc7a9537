package duckstore

import (
	"fmt"
	"strings"
)

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
