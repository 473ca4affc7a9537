package analysis

import (
	"math"
	"sort"
)

// madScale turns a median absolute deviation into a consistent estimate of
// the standard deviation for normally distributed data.
const madScale = 1.4826

// window is a sorted multiset of the values in a sliding baseline window.
//
// It is written by hand because it is the hot path of spike detection (one
// median and one MAD per series and day) and no library keeps a sorted
// sliding window: gonum's stat.Quantile wants a sorted copy per call and
// returns a lower median for even counts. Insert and remove are O(window)
// copies inside one reused slice, median is O(1) and MAD an O(window) merge,
// so a day costs no allocation and no sort.
type window struct {
	v []float64 // sorted ascending
}

func (w *window) reset() { w.v = w.v[:0] }

func (w *window) len() int { return len(w.v) }

// insert adds x, keeping the slice sorted.
func (w *window) insert(x float64) {
	i := sort.SearchFloat64s(w.v, x)
	w.v = append(w.v, 0)
	copy(w.v[i+1:], w.v[i:])
	w.v[i] = x
}

// remove deletes one occurrence of x; it does nothing when x is absent.
func (w *window) remove(x float64) {
	i := sort.SearchFloat64s(w.v, x)
	if i < len(w.v) && w.v[i] == x {
		w.v = append(w.v[:i], w.v[i+1:]...)
	}
}

// median returns the median of the window (the mean of the two middle
// values for an even count) or NaN when the window is empty.
func (w *window) median() float64 {
	return sortedMedian(w.v)
}

// mad returns the median absolute deviation from m of the sorted window.
// Deviations left of m grow walking left and deviations right of m grow
// walking right, so the k-th smallest deviation is found by merging the two
// walks without sorting.
func (w *window) mad(m float64) float64 {
	n := len(w.v)
	if n == 0 {
		return math.NaN()
	}
	j := sort.SearchFloat64s(w.v, m) // first index with v >= m
	i := j - 1
	// The median of n deviations is the mean of the (n-1)/2-th and n/2-th
	// smallest (0-based); they coincide for odd n.
	lo, hi := (n-1)/2, n/2
	var a, b float64
	for k := 0; k <= hi; k++ {
		var d float64
		switch {
		case i < 0:
			d = w.v[j] - m
			j++
		case j >= n:
			d = m - w.v[i]
			i--
		case m-w.v[i] <= w.v[j]-m:
			d = m - w.v[i]
			i--
		default:
			d = w.v[j] - m
			j++
		}
		if k == lo {
			a = d
		}
		if k == hi {
			b = d
		}
	}
	return (a + b) / 2
}

// sortedMedian returns the median of an ascending slice, NaN when empty.
func sortedMedian(v []float64) float64 {
	n := len(v)
	if n == 0 {
		return math.NaN()
	}
	if n%2 == 1 {
		return v[n/2]
	}
	return (v[n/2-1] + v[n/2]) / 2
}

// usable reports whether a value can enter a baseline: NaN and infinities
// are treated like absent days.
func usable(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
