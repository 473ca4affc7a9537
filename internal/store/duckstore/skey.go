package duckstore

import (
	"encoding/binary"
	"net/netip"
)

// SourceKey is the integer the store keeps beside each source address
// (column skey of sources and hit_counts) so that distinct-source counts
// run on integers and, for ports, without joining the sources table:
// DuckDB counts distinct 64-bit integers several times faster than
// distinct text addresses.
//
// An IPv4 address (or IPv4-mapped IPv6 address) maps to its 32-bit value,
// so keys of IPv4 sources are exact and distinct. An IPv6 address maps to
// 2^63 plus a 63-bit hash of its 16 bytes: two different IPv6 sources
// share a key with probability about n²/2^64 for n IPv6 sources in one
// count (below 10^-7 for a million), which is the only way a distinct
// count can be off.
func SourceKey(a netip.Addr) uint64 {
	a = a.Unmap()
	if a.Is4() {
		b := a.As4()
		return uint64(binary.BigEndian.Uint32(b[:]))
	}
	b := a.As16()
	hi := binary.BigEndian.Uint64(b[:8])
	lo := binary.BigEndian.Uint64(b[8:])
	return 1<<63 | mix64(hi^mix64(lo))&(1<<63-1)
}

// mix64 is the SplitMix64 finaliser: a bijection on 64 bits that spreads
// every input bit over the output.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}
