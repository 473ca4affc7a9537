package period

import (
	"cmp"
	"slices"

	"github.com/honeyscope/honeyscope/internal/analysis"
)

// StackPart is one part of a stacked daily chart: a key's values, or the
// sum of the keys left out (Other).
type StackPart struct {
	Key    string
	Values []float64
	Other  bool
}

// Stack picks the parts of a stacked daily chart from the series of one
// class: the top keys by total (and the promoted keys, e.g. those a spike
// mark points at, so that the mark points at a bar the legend names), in
// order of total, then every other key (folded keys included) summed into
// one Other part when it is not all zero. cut gives the values shown of a
// series (View.Cut for a view's period); n is the length of the result's
// values.
func Stack(series []analysis.Series, class string, cut func([]float64) []float64, top, n int, promote ...string) []StackPart {
	type kv struct {
		key string
		v   []float64
		t   float64
	}
	var ks []kv
	for _, s := range series {
		if s.Class != class {
			continue
		}
		v := cut(s.Values)
		ks = append(ks, kv{s.Key, v, Sum(v)})
	}
	slices.SortFunc(ks, func(a, c kv) int {
		// "other" rows never take a top place.
		if IsOther(a.key) != IsOther(c.key) {
			if IsOther(a.key) {
				return 1
			}
			return -1
		}
		return cmp.Or(cmp.Compare(c.t, a.t), cmp.Compare(a.key, c.key))
	})
	var out []StackPart
	other := make([]float64, n)
	hasOther := false
	for i, k := range ks {
		if (i < top || slices.Contains(promote, k.key)) && !IsOther(k.key) && k.t > 0 {
			out = append(out, StackPart{Key: k.key, Values: k.v})
			continue
		}
		for d, x := range k.v {
			if d < n {
				other[d] += x
				hasOther = hasOther || x > 0
			}
		}
	}
	if hasOther {
		out = append(out, StackPart{Key: OtherKey, Values: other, Other: true})
	}
	return out
}
