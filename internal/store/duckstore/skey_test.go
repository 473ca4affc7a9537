package duckstore

import (
	"net/netip"
	"testing"
)

func TestSourceKey(t *testing.T) {
	v4 := netip.MustParseAddr("192.0.2.1")
	if got := SourceKey(v4); got != 0xc0000201 {
		t.Errorf("SourceKey(%v) = %#x, want the address's value 0xc0000201", v4, got)
	}
	if SourceKey(netip.MustParseAddr("::ffff:192.0.2.1")) != SourceKey(v4) {
		t.Error("an IPv4-mapped IPv6 address must have its IPv4 address's key")
	}
	seen := map[uint64]netip.Addr{}
	base := netip.MustParseAddr("2001:db8::").As16()
	for i := 0; i < 100000; i++ {
		b := base
		b[15], b[14], b[8] = byte(i), byte(i>>8), byte(i>>16)
		a := netip.AddrFrom16(b)
		k := SourceKey(a)
		if k < 1<<63 {
			t.Fatalf("SourceKey(%v) = %#x: IPv6 keys must lie above every IPv4 key", a, k)
		}
		if o, ok := seen[k]; ok {
			t.Fatalf("SourceKey(%v) == SourceKey(%v)", a, o)
		}
		seen[k] = a
	}
}
