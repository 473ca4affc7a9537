package tlsh

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestPermutation: vTable must be a permutation, or every digest is wrong.
func TestPermutation(t *testing.T) {
	var seen [256]bool
	for _, v := range vTable {
		if seen[v] {
			t.Fatalf("%d twice", v)
		}
		seen[v] = true
	}
}

// TestKnownDigest compares with the digest other implementations give
// for a published test input (four lines of the same sentence).
func TestKnownDigest(t *testing.T) {
	in := strings.Repeat("MIT License is so cool license that I can't imagine a better one!!\n", 4)
	d, err := Hash([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	const want = "T18ED02202FC30802303A002B03B33300FC30A82F83008C2FA000A0080B8BA0E02CCA0C3"
	if d.String() != want {
		t.Fatalf("got  %s\nwant %s", d, want)
	}
	p, err := Parse(want[2:])
	if err != nil || p != d {
		t.Fatalf("parse: %v %+v", err, p)
	}
	if Distance(d, p) != 0 {
		t.Fatal("distance to itself")
	}
}

// TestReference checks Hash against a straightforward transcription of
// the reference's update loop (four Pearson steps per triplet).
func TestReference(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for n := range 20 {
		b := make([]byte, 50+n*997)
		for i := range b {
			b[i] = byte(r.IntN(256))
			if n%2 == 0 {
				b[i] %= 16 // less variety
			}
		}
		got, err := Hash(b)
		if err != nil {
			t.Fatal(err)
		}
		want := slowBuckets(b)
		if got.Checksum != want.Checksum || got.Code != want.Code {
			t.Fatalf("len %d: %s vs %s", len(b), got, want)
		}
	}
}

func slowBuckets(b []byte) Digest {
	m := func(salt, i, j, k byte) byte {
		h := vTable[salt]
		h = vTable[h^i]
		h = vTable[h^j]
		return vTable[h^k]
	}
	var bk [256]uint32
	var sum byte
	for i := 4; i < len(b); i++ {
		w0, w1, w2, w3, w4 := b[i], b[i-1], b[i-2], b[i-3], b[i-4]
		sum = m(0, w0, w1, sum)
		bk[m(2, w0, w1, w2)]++
		bk[m(3, w0, w1, w3)]++
		bk[m(5, w0, w2, w3)]++
		bk[m(7, w0, w2, w4)]++
		bk[m(11, w0, w1, w4)]++
		bk[m(13, w0, w3, w4)]++
	}
	s := append([]uint32(nil), bk[:128]...)
	for i := range s { // insertion sort: independent of slices.Sort
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
	q1, q2, q3 := s[31], s[63], s[95]
	var d Digest
	d.Checksum = sum
	for i := 0; i < 128; i++ {
		v := byte(0)
		switch k := bk[i]; {
		case k > q3:
			v = 3
		case k > q2:
			v = 2
		case k > q1:
			v = 1
		}
		d.Code[i/4] |= v << (2 * (i % 4))
	}
	return d
}

func TestErrors(t *testing.T) {
	if _, err := Hash(make([]byte, 49)); !errors.Is(err, ErrTooShort) {
		t.Error(err)
	}
	if _, err := Hash(bytes.Repeat([]byte{'a'}, 1000)); !errors.Is(err, ErrTooSimple) {
		t.Error(err)
	}
	for _, s := range []string{"", "T1", "zz" + strings.Repeat("0", 68), strings.Repeat("0", 71)} {
		if _, err := Parse(s); !errors.Is(err, ErrBadDigest) {
			t.Errorf("%q: %v", s, err)
		}
	}
}

// TestSimilarity: a small edit keeps the distance small, unrelated
// content is far.
func TestSimilarity(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	a := make([]byte, 20000)
	for i := range a {
		a[i] = byte(r.IntN(256))
	}
	b := append([]byte(nil), a...)
	for i := 0; i < 200; i++ {
		b[r.IntN(len(b))] = byte(r.IntN(256))
	}
	c := make([]byte, 20000)
	for i := range c {
		c[i] = byte(r.IntN(256))
	}
	da, _ := Hash(a)
	db, _ := Hash(b)
	dc, _ := Hash(c)
	near, far := Distance(da, db), Distance(da, dc)
	if near >= far || near > 60 {
		t.Errorf("near %d far %d", near, far)
	}
	if Distance(da, db) != Distance(db, da) {
		t.Error("not symmetric")
	}
}

func BenchmarkHash(b *testing.B) {
	r := rand.New(rand.NewPCG(5, 6))
	buf := make([]byte, 1<<20)
	for i := range buf {
		buf[i] = byte(r.IntN(256))
	}
	b.SetBytes(int64(len(buf)))
	c0 := cpuTime()
	n := 0
	for b.Loop() {
		Hash(buf)
		n++
	}
	b.ReportMetric(float64(n*len(buf))/1e6/(cpuTime()-c0).Seconds(), "cpu-MB/s")
}

// cpuTime is the process's user and system CPU time: on a shared machine
// it measures the work, where wall time measures the neighbours too.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func FuzzHash(f *testing.F) {
	f.Add([]byte(strings.Repeat("abcdefghij", 10)))
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := Hash(b)
		if err != nil {
			return
		}
		p, err := Parse(d.String())
		if err != nil || p != d {
			t.Fatalf("round trip: %v", err)
		}
		if want := slowBuckets(b); d.Checksum != want.Checksum || d.Code != want.Code {
			t.Fatalf("%s, the reference loop gives %s", d, want)
		}
	})
}
