package mpm

import (
	"bytes"
	"math/rand/v2"
	"slices"
	"testing"
)

// naive returns the sorted distinct ids of patterns occurring in p.
func naive(pats []Pattern, p []byte) []int32 {
	var ids []int32
	for _, pt := range pats {
		b := pt.Bytes
		if len(b) > MaxPrefix {
			b = b[:MaxPrefix]
		}
		hay, needle := p, b
		if pt.Fold {
			hay, needle = bytes.ToLower(p), bytes.ToLower(b)
		}
		if bytes.Contains(hay, needle) && !slices.Contains(ids, pt.ID) {
			ids = append(ids, pt.ID)
		}
	}
	slices.Sort(ids)
	return ids
}

func TestScanAgainstNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	alpha := []byte("abAB/;x\x00\xff")
	rnd := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = alpha[rng.IntN(len(alpha))]
		}
		return b
	}
	for round := 0; round < 200; round++ {
		var pats []Pattern
		for i := 0; i < 1+rng.IntN(40); i++ {
			pats = append(pats, Pattern{Bytes: rnd(1 + rng.IntN(20)), Fold: rng.IntN(2) == 0, ID: int32(rng.IntN(30))})
		}
		m, err := New(pats)
		if err != nil {
			t.Fatal(err)
		}
		sc := NewScanner(30)
		for k := 0; k < 20; k++ {
			p := rnd(rng.IntN(200))
			sc.Reset()
			got := m.Scan(sc, p, nil)
			slices.Sort(got)
			if want := naive(pats, p); !slices.Equal(got, want) {
				t.Fatalf("Scan(%q) = %v, want %v (patterns %v)", p, got, want, pats)
			}
		}
	}
}

func TestScanDedupAcrossBuffers(t *testing.T) {
	m, err := New([]Pattern{{Bytes: []byte("abc"), ID: 3}, {Bytes: []byte("XYZ"), Fold: true, ID: 3}, {Bytes: []byte("q"), ID: 1}})
	if err != nil {
		t.Fatal(err)
	}
	sc := NewScanner(3)
	sc.Reset()
	got := m.Scan(sc, []byte("abc abc xyz"), nil)
	got = m.Scan(sc, []byte("q abc"), got)
	if !slices.Equal(got, []int32{3, 1}) {
		t.Fatalf("got %v, want [3 1]", got)
	}
	if got := m.Scan(sc, []byte("ABC"), nil); len(got) != 0 {
		t.Fatalf("case-sensitive abc matched ABC: %v", got)
	}
}

func TestScanAllocs(t *testing.T) {
	m, _ := New([]Pattern{{Bytes: []byte("GET /shell?"), ID: 0}, {Bytes: []byte("jndi"), Fold: true, ID: 1}})
	sc := NewScanner(1)
	dst := make([]int32, 0, 8)
	p := []byte("GET /shell?cd+/tmp ${JNDI:ldap://x}")
	if n := testing.AllocsPerRun(100, func() { sc.Reset(); dst = m.Scan(sc, p, dst[:0]) }); n != 0 {
		t.Fatalf("Scan allocates %v times", n)
	}
}

func FuzzScan(f *testing.F) {
	f.Add([]byte("abc"), []byte("xxabcxx"))
	f.Fuzz(func(t *testing.T, pat, p []byte) {
		if len(pat) == 0 {
			return
		}
		pats := []Pattern{{Bytes: pat, ID: 0}, {Bytes: pat, Fold: true, ID: 1}}
		m, err := New(pats)
		if err != nil {
			return
		}
		sc := NewScanner(1)
		sc.Reset()
		got := m.Scan(sc, p, nil)
		slices.Sort(got)
		if want := naive(pats, p); !slices.Equal(got, want) {
			t.Fatalf("Scan = %v, want %v", got, want)
		}
	})
}
