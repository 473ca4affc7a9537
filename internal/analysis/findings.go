package analysis

import "slices"

// MergeSensors folds findings of the same event seen at several sensors
// into one. fs must be ordered most significant first (as Spikes and Rank
// leave them). A finding whose class, dimension and key equal those of an
// earlier kept finding of another sensor, with overlapping days, is dropped
// and its sensor appended to the kept finding's AlsoAt, so a report tells
// the event once, with the numbers of the sensor where it stood out most.
// The input is not modified; findings of one sensor are never merged.
func MergeSensors(fs []Finding) []Finding {
	type id struct{ class, dim, key string }
	kept := map[id][]int{}
	out := make([]Finding, 0, len(fs))
	for _, f := range fs {
		k := id{f.Class, f.Dim, f.Key}
		merged := false
		for _, i := range kept[k] {
			g := &out[i]
			if g.Sensor == f.Sensor || f.Day.After(g.LastDay) || g.Day.After(f.LastDay) {
				continue
			}
			if !slices.Contains(g.AlsoAt, f.Sensor) {
				g.AlsoAt = append(slices.Clone(g.AlsoAt), f.Sensor)
			}
			merged = true
			break
		}
		if merged {
			continue
		}
		kept[k] = append(kept[k], len(out))
		out = append(out, f)
	}
	return out
}

// DemoteFewSources moves the packet findings known to come from fewer than
// minSources distinct sources (0 < Finding.Sources < minSources) after the
// others, keeping the order within both groups. One scanner sending a burst
// from a country that is otherwise silent is a finding, but a weaker one
// than a country whose traffic as a whole jumped. It sorts fs in place.
func DemoteFewSources(fs []Finding, minSources float64) {
	few := func(f Finding) bool { return f.Unit != UnitSources && f.Sources > 0 && f.Sources < minSources }
	slices.SortStableFunc(fs, func(a, b Finding) int {
		switch fa, fb := few(a), few(b); {
		case fa == fb:
			return 0
		case fa:
			return 1
		}
		return -1
	})
}
