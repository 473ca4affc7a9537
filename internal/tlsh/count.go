package tlsh

// count runs the sliding window of 5 over b (len(b) >= 5) and returns the
// 256 bucket counts and the checksum. For the newest byte c0 and the four
// before it (c1 the newest of those), the buckets are the Pearson hashes
// of the triplets (c0,c1,c2) (c0,c1,c3) (c0,c2,c3) (c0,c2,c4) (c0,c1,c4)
// (c0,c3,c4) under the salts 2, 3, 5, 7, 11, 13, and the checksum the
// hash of (c0, c1, checksum) under 0, as in the reference.
//
// The window is kept in registers and shifted, not indexed modulo 5;
// every table index is a byte, so there are no bounds checks. A triplet's
// bucket is v[x] for the last step's input x, and v is a permutation: the
// loop counts x and the end moves each count to v[x], one lookup per
// bucket instead of six per byte. Each salt counts into its own array:
// the six increments of one byte never wait for one another's store, as
// they do when two of them hit the same counter; the arrays are added at
// the end.
func count(b []byte) (bk [256]uint32, sum byte) {
	v := &vTable
	f0, f1, f2, f3, f4, f5, fc := &first[0], &first[1], &first[2], &first[3], &first[4], &first[5], &first[6]
	var k [6][256]uint32 // k[s][x]: triplets of salt s whose last step's input is x
	c4, c3, c2, c1 := b[0], b[1], b[2], b[3]
	for _, c0 := range b[4:] {
		sum = v[v[fc[c0]^c1]^sum]
		k[0][v[f0[c0]^c1]^c2]++
		k[1][v[f1[c0]^c1]^c3]++
		k[2][v[f2[c0]^c2]^c3]++
		k[3][v[f3[c0]^c2]^c4]++
		k[4][v[f4[c0]^c1]^c4]++
		k[5][v[f5[c0]^c3]^c4]++
		c4, c3, c2, c1 = c3, c2, c1, c0
	}
	for x := range k[0] {
		bk[v[x]] = k[0][x] + k[1][x] + k[2][x] + k[3][x] + k[4][x] + k[5][x]
	}
	return bk, sum
}
