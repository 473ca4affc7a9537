package synth

import "math/bits"

// rng is a SplitMix64 generator. It is written here rather than taken from
// math/rand/v2 so that the byte stream of a capture depends only on this
// file (not on a standard-library implementation detail) and so that the hot
// loop calls a small inlinable method instead of an interface.
type rng struct{ s uint64 }

const golden = 0x9e3779b97f4a7c15

func (r *rng) next() uint64 {
	r.s += golden
	return mix(r.s)
}

// mix is the SplitMix64 finaliser, also used as a stateless hash.
func mix(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// intn returns a uniform value in [0, n) (n > 0) by multiply-shift.
func (r *rng) intn(n uint32) uint32 {
	return uint32((uint64(uint32(r.next())) * uint64(n)) >> 32)
}

// u64n returns a uniform value in [0, n) for n > 0.
func (r *rng) u64n(n uint64) uint64 {
	hi, _ := bits.Mul64(r.next(), n)
	return hi
}

// float returns a uniform value in [0, 1).
func (r *rng) float() float64 { return float64(r.next()>>11) / (1 << 53) }

// hash returns a stateless pseudo-random value for (seed, a, b, salt).
func hash(seed, a, b, salt uint64) uint64 {
	return mix(seed ^ mix(a*golden^mix(b+salt*0x632be59bd9b4e019)))
}

// unit maps a hash to [0, 1).
func unit(h uint64) float64 { return float64(h>>11) / (1 << 53) }

// alias is a Walker/Vose alias table for O(1) weighted choice.
type alias struct {
	prob  []uint32 // acceptance threshold of column i, scaled to 2^32
	alias []int32
	small []int32
	large []int32
	work  []float64
}

// build prepares the table for weights w (non-negative, not all zero).
// It reuses the table's buffers.
func (a *alias) build(w []float64) {
	n := len(w)
	a.prob = resize(a.prob, n)
	a.alias = resize(a.alias, n)
	a.work = resize(a.work, n)
	a.small = a.small[:0]
	a.large = a.large[:0]
	var sum float64
	for _, x := range w {
		sum += x
	}
	for i, x := range w {
		a.work[i] = x * float64(n) / sum
		if a.work[i] < 1 {
			a.small = append(a.small, int32(i))
		} else {
			a.large = append(a.large, int32(i))
		}
	}
	for len(a.small) > 0 && len(a.large) > 0 {
		s := a.small[len(a.small)-1]
		a.small = a.small[:len(a.small)-1]
		l := a.large[len(a.large)-1]
		a.prob[s] = toThreshold(a.work[s])
		a.alias[s] = l
		a.work[l] -= 1 - a.work[s]
		if a.work[l] < 1 {
			a.large = a.large[:len(a.large)-1]
			a.small = append(a.small, l)
		}
	}
	for _, i := range a.large {
		a.prob[i] = ^uint32(0)
		a.alias[i] = i
	}
	for _, i := range a.small { // only from rounding error
		a.prob[i] = ^uint32(0)
		a.alias[i] = i
	}
}

func toThreshold(p float64) uint32 {
	if p >= 1 {
		return ^uint32(0)
	}
	if p <= 0 {
		return 0
	}
	return uint32(p * (1 << 32))
}

// pick returns a column index using one random draw.
func (a *alias) pick(r *rng) int {
	x := r.next()
	i := int((uint64(uint32(x)) * uint64(len(a.prob))) >> 32)
	if uint32(x>>32) < a.prob[i] {
		return i
	}
	return int(a.alias[i])
}

func resize[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}
