package triage

import (
	"math"
	"slices"
	"testing"
)

// naiveMarkers is scanMarkers written plainly: at every offset, every
// marker under the key its first byte implies, compared byte by byte.
func naiveMarkers(b []byte) []hit {
	var out []hit
	seen := map[[2]int]bool{}
	for i := range b {
		for mi, m := range allMarkers {
			if i+len(m.text) > len(b) {
				continue
			}
			key := b[i] ^ m.text[0]
			ok := true
			for k := 1; k < len(m.text); k++ {
				if b[i+k]^key != m.text[k] {
					ok = false
					break
				}
			}
			if ok && !seen[[2]int{mi, int(key)}] && len(out) < maxHits {
				seen[[2]int{mi, int(key)}] = true
				out = append(out, hit{mi, key, i})
			}
		}
	}
	return out
}

func TestScanMarkersNaive(t *testing.T) {
	inputs := [][]byte{miraiTable(0x22), miraiTable(0), append(codeLike(1, 3000), miraiTable(0x5a)...)}
	inputs = append(inputs, benchMix()[:6]...)
	// A marker that ends at the last byte, and one cut short by the end.
	end := append(codeLike(2, 100), xorString("/dev/watchdog\x00", 0x17)...)
	inputs = append(inputs, end, end[:len(end)-1])
	for n, b := range inputs {
		got, want := scanMarkers(b), naiveMarkers(b)
		cmp := func(a, b hit) int { return a.off*1e6 + a.marker - (b.off*1e6 + b.marker) }
		slices.SortFunc(got, cmp)
		slices.SortFunc(want, cmp)
		if !slices.Equal(got, want) {
			t.Errorf("input %d: got %v\nwant %v", n, got, want)
		}
		if len(want) == 0 && n < 3 {
			t.Errorf("input %d: no markers found", n)
		}
	}
}

func TestEntropy(t *testing.T) {
	for _, b := range [][]byte{{1}, {1, 2, 3}, []byte("aaaaabbbbbcc"), randBytes(1, 1001), append(codeLike(1, 4096), 7, 7, 7)} {
		var c [256]int
		for _, x := range b {
			c[x]++
		}
		want := 0.0
		for _, v := range c {
			if v > 0 {
				p := float64(v) / float64(len(b))
				want -= p * math.Log2(p)
			}
		}
		if got := entropy(b); math.Abs(got-want) > 0.0006 {
			t.Errorf("len %d: %v, want %v", len(b), got, want)
		}
	}
	if entropy(nil) != 0 {
		t.Error("empty")
	}
}
