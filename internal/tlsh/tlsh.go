// Package tlsh computes TLSH, Trend Micro's locality-sensitive hash, in
// its standard form (128 buckets, 1-byte checksum, sliding window of 5,
// the "T1" version prefix as VirusTotal and MalwareBazaar print it), and
// the distance between two such hashes. It follows the published
// algorithm and the reference implementation's constants so its digests
// compare with other tools'.
//
// A digest needs at least 50 bytes of input with enough variety (more than
// half of the 128 buckets non-empty); Hash returns ErrTooSimple otherwise.
package tlsh

import (
	"encoding/hex"
	"errors"
	"math"
	"slices"
	"strings"
)

// MinLen is the least input Hash accepts.
const MinLen = 50

const (
	buckets  = 128
	codeSize = 32
	// hexLen is a digest's length without the version prefix.
	hexLen = 2 * (3 + codeSize)
)

// Errors returned by Hash and Parse.
var (
	ErrTooShort  = errors.New("tlsh: input shorter than 50 bytes")
	ErrTooSimple = errors.New("tlsh: input has too little variety for a digest")
	ErrBadDigest = errors.New("tlsh: not a TLSH digest")
)

// vTable is Pearson's sample permutation of 0..255, as the reference uses.
var vTable = [256]byte{
	1, 87, 49, 12, 176, 178, 102, 166, 121, 193, 6, 84, 249, 230, 44, 163,
	14, 197, 213, 181, 161, 85, 218, 80, 64, 239, 24, 226, 236, 142, 38, 200,
	110, 177, 104, 103, 141, 253, 255, 50, 77, 101, 81, 18, 45, 96, 31, 222,
	25, 107, 190, 70, 86, 237, 240, 34, 72, 242, 20, 214, 244, 227, 149, 235,
	97, 234, 57, 22, 60, 250, 82, 175, 208, 5, 127, 199, 111, 62, 135, 248,
	174, 169, 211, 58, 66, 154, 106, 195, 245, 171, 17, 187, 182, 179, 0, 243,
	132, 56, 148, 75, 128, 133, 158, 100, 130, 126, 91, 13, 153, 246, 216, 219,
	119, 68, 223, 78, 83, 88, 201, 99, 122, 11, 92, 32, 136, 114, 52, 10,
	138, 30, 48, 183, 156, 35, 61, 26, 143, 74, 251, 94, 129, 162, 63, 152,
	170, 7, 115, 167, 241, 206, 3, 150, 55, 59, 151, 220, 90, 53, 23, 131,
	125, 173, 15, 238, 79, 95, 89, 16, 105, 137, 225, 224, 217, 160, 37, 123,
	118, 73, 2, 157, 46, 116, 9, 145, 134, 228, 207, 212, 202, 215, 69, 229,
	27, 188, 67, 124, 168, 252, 42, 4, 29, 108, 21, 247, 19, 205, 39, 203,
	233, 40, 186, 147, 198, 192, 155, 33, 164, 191, 98, 204, 165, 180, 117, 76,
	140, 36, 210, 172, 41, 54, 159, 8, 185, 232, 113, 196, 231, 47, 146, 120,
	51, 65, 28, 144, 254, 221, 93, 189, 194, 139, 112, 43, 71, 109, 184, 209,
}

// salts are the six bucket triplets' salts and the checksum's (0).
var salts = [7]byte{2, 3, 5, 7, 11, 13, 0}

// first[s][c] is v[v[salt]^c], the first two Pearson steps of a triplet
// starting with c under salt s. With vTable it is all the update loop
// reads: 2 KiB that stay in the L1 cache. (Tables of the first three
// steps, 64 KiB per salt, were slower: the random rows they touch do not
// stay in any cache on a machine that runs other work.)
var first [7][256]byte

func init() {
	for s, salt := range salts {
		for c := 0; c < 256; c++ {
			first[s][c] = vTable[vTable[salt]^byte(c)]
		}
	}
}

// diffTable[x][y] is the distance between two code bytes (four 2-bit
// quartile codes each: |a-b|, and 6 for a difference of 3).
var diffTable [256][256]byte

func init() {
	for x := 0; x < 256; x++ {
		for y := 0; y < 256; y++ {
			d := 0
			for k := 0; k < 8; k += 2 {
				a, b := (x>>k)&3, (y>>k)&3
				v := a - b
				if v < 0 {
					v = -v
				}
				if v == 3 {
					v = 6
				}
				d += v
			}
			diffTable[x][y] = byte(d)
		}
	}
}

// Digest is a TLSH value.
type Digest struct {
	Checksum byte
	LValue   byte
	Q1, Q2   byte // quartile ratios, 0..15
	Code     [codeSize]byte
}

// Hash returns the TLSH digest of b.
func Hash(b []byte) (Digest, error) {
	var d Digest
	if len(b) < MinLen {
		return d, ErrTooShort
	}
	bk, sum := count(b)
	var sorted [buckets]uint32
	copy(sorted[:], bk[:buckets])
	slices.Sort(sorted[:])
	q1, q2, q3 := sorted[buckets/4-1], sorted[buckets/2-1], sorted[buckets-buckets/4-1]
	nonzero := 0
	for _, v := range bk[:buckets] {
		if v > 0 {
			nonzero++
		}
	}
	if nonzero <= buckets/2 || q3 == 0 {
		return d, ErrTooSimple
	}
	for i := 0; i < codeSize; i++ {
		var h byte
		for j := 0; j < 4; j++ {
			k := bk[4*i+j]
			switch {
			case q3 < k:
				h += 3 << (j * 2)
			case q2 < k:
				h += 2 << (j * 2)
			case q1 < k:
				h += 1 << (j * 2)
			}
		}
		d.Code[i] = h
	}
	d.Checksum = sum
	d.LValue = lCapture(len(b))
	d.Q1 = byte(uint32(float32(q1*100)/float32(q3)) % 16)
	d.Q2 = byte(uint32(float32(q2*100)/float32(q3)) % 16)
	return d, nil
}

// lCapture is the reference's logarithmic length code.
func lCapture(n int) byte {
	l := math.Log(float64(float32(n)))
	var i int
	switch {
	case n <= 656:
		i = int(math.Floor(l / 0.4054651))
	case n <= 3199:
		i = int(math.Floor(l/0.26236426 - 8.72777))
	default:
		i = int(math.Floor(l/0.095310180 - 62.5472))
	}
	return byte(i & 0xff)
}

func swap(b byte) byte { return b<<4 | b>>4 }

// String returns the digest as "T1" and 70 upper-case hex digits.
func (d Digest) String() string {
	var raw [3 + codeSize]byte
	raw[0] = swap(d.Checksum)
	raw[1] = swap(d.LValue)
	raw[2] = d.Q1<<4 | d.Q2 // the reference's nibble-swapped Q byte
	for i := 0; i < codeSize; i++ {
		raw[3+i] = d.Code[codeSize-1-i]
	}
	return "T1" + strings.ToUpper(hex.EncodeToString(raw[:]))
}

// Parse reads a digest in the form String writes, with or without the
// "T1" prefix (the form older tools print), in either case.
func Parse(s string) (Digest, error) {
	var d Digest
	if len(s) == hexLen+2 && (s[:2] == "T1" || s[:2] == "t1") {
		s = s[2:]
	}
	if len(s) != hexLen {
		return d, ErrBadDigest
	}
	var raw [3 + codeSize]byte
	if _, err := hex.Decode(raw[:], []byte(s)); err != nil {
		return d, ErrBadDigest
	}
	d.Checksum = swap(raw[0])
	d.LValue = swap(raw[1])
	d.Q1, d.Q2 = raw[2]>>4, raw[2]&0xf
	for i := 0; i < codeSize; i++ {
		d.Code[i] = raw[3+codeSize-1-i]
	}
	return d, nil
}

func modDiff(x, y, r int) int {
	dl, dr := x-y, y+r-x
	if y > x {
		dl, dr = y-x, x+r-y
	}
	return min(dl, dr)
}

// Distance is the TLSH distance of a and b, the length of the inputs
// included (the reference's totalDiff with len_diff): 0 for identical
// digests; under about 50 usually means closely related content, over
// 200 unrelated.
func Distance(a, b Digest) int { return distance(a, b, true) }

// DistanceNoLength is Distance without the length component.
func DistanceNoLength(a, b Digest) int { return distance(a, b, false) }

func distance(a, b Digest, withLen bool) int {
	diff := 0
	if withLen {
		switch l := modDiff(int(a.LValue), int(b.LValue), 256); l {
		case 0:
		case 1:
			diff = 1
		default:
			diff += l * 12
		}
	}
	for _, q := range [][2]byte{{a.Q1, b.Q1}, {a.Q2, b.Q2}} {
		d := modDiff(int(q[0]), int(q[1]), 16)
		if d <= 1 {
			diff += d
		} else {
			diff += (d - 1) * 12
		}
	}
	if a.Checksum != b.Checksum {
		diff++
	}
	for i := range a.Code {
		diff += int(diffTable[a.Code[i]][b.Code[i]])
	}
	return diff
}
