package tlsh

// count runs the sliding window of 5 over b (len(b) >= 5) and returns the
// 256 bucket counts and the checksum. For the newest byte c0 and the four
// before it (c1 the newest of those), the buckets are the Pearson hashes
// of the triplets (c0,c1,c2) (c0,c1,c3) (c0,c2,c3) (c0,c2,c4) (c0,c1,c4)
// (c0,c3,c4) under the salts 2, 3, 5, 7, 11, 13, and the checksum the
// hash of (c0, c1, checksum) under 0, as in the reference.
//
// The window is kept in registers and shifted, not indexed modulo 5;
// every table index is a byte, so there are no bounds checks. Each salt
// counts into its own array: the six increments of one byte never wait
// for one another's store, as they do when two of them hit the same
// counter; the arrays are added at the end.
func count(b []byte) (bk [256]uint32, sum byte) {
	v := &vTable
	f0, f1, f2, f3, f4, f5, fc := &first[0], &first[1], &first[2], &first[3], &first[4], &first[5], &first[6]
	var k [6][256]uint32
	k0, k1, k2, k3, k4, k5 := &k[0], &k[1], &k[2], &k[3], &k[4], &k[5]
	c4, c3, c2, c1 := b[0], b[1], b[2], b[3]
	for _, c0 := range b[4:] {
		sum = v[v[fc[c0]^c1]^sum]
		k0[v[v[f0[c0]^c1]^c2]]++
		k1[v[v[f1[c0]^c1]^c3]]++
		k2[v[v[f2[c0]^c2]^c3]]++
		k3[v[v[f3[c0]^c2]^c4]]++
		k4[v[v[f4[c0]^c1]^c4]]++
		k5[v[v[f5[c0]^c3]^c4]]++
		c4, c3, c2, c1 = c3, c2, c1, c0
	}
	for i := range bk {
		bk[i] = k0[i] + k1[i] + k2[i] + k3[i] + k4[i] + k5[i]
	}
	return bk, sum
}
