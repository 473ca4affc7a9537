package aggregate

import (
	"net/netip"
	"testing"
	"time"

	"github.com/honeyscope/honeyscope/internal/classify"
)

// TestAddBatchSrcAndMemo counts batches whose sources make the source
// table grow in the middle of a batch, and checks that each record's Src
// names its source-day in the result and that its Memo is the one word of
// that source-day: what a collector writes there for one packet it reads
// for the source-day's later packets, and a new source-day (or the same
// source after Flush) starts at 0.
func TestAddBatchSrcAndMemo(t *testing.T) {
	a := New(time.UTC)
	ts := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC).UnixNano()
	const nsrc = 20000 // the table starts at 4,096 slots: it grows 3 times
	// Batches of 250: the table grows at 3,072, 6,144 and 12,288
	// source-days, in the middle of a batch.
	const batch = 250
	memo := map[netip.Addr]int32{}
	var b Batch
	var addrs [BatchSize]netip.Addr
	check := func() {
		n := b.N
		a.AddBatch(&b)
		for i := 0; i < n; i++ {
			m := a.Memo(&b, i)
			want, seen := memo[addrs[i]]
			if *m != want {
				t.Fatalf("memo of %s = %d, want %d (seen before: %v)", addrs[i], *m, want, seen)
			}
			if !seen {
				*m = int32(len(memo) + 1)
				memo[addrs[i]] = *m
			}
		}
	}
	var order []netip.Addr
	for i := 0; i < 3*nsrc; i++ {
		// Each source first in order, then again in a scattered order.
		j := i
		if i >= nsrc {
			j = (i * 7919) % nsrc
		}
		src := netip.AddrFrom4([4]byte{10, byte(j >> 16), byte(j >> 8), byte(j)})
		if i < nsrc {
			order = append(order, src)
		}
		b.Recs[b.N].Set(ts+int64(i), pkt(src.String(), 1000, 23), classify.Access.Bit(), -1)
		addrs[b.N] = src
		b.N++
		if b.N == batch {
			srcs := make([]netip.Addr, b.N)
			copy(srcs, addrs[:b.N])
			n := b.N
			check()
			for k := 0; k < n; k++ {
				if got := order[b.Src[k]]; got != srcs[k] {
					t.Fatalf("Src of %s is %d (%s)", srcs[k], b.Src[k], got)
				}
			}
		}
	}
	if b.N > 0 {
		check()
	}
	r := a.Flush()
	if len(r.Sources) != nsrc {
		t.Fatalf("%d sources, want %d", len(r.Sources), nsrc)
	}
	for i, s := range r.Sources {
		if s.Addr != order[i] || s.Packets != 3 {
			t.Fatalf("source %d = %s with %d packets, want %s with 3", i, s.Addr, s.Packets, order[i])
		}
	}
	// After Flush every source-day is new to the part: memos start at 0.
	b.Recs[0].Set(ts, pkt(order[5].String(), 1000, 23), classify.Access.Bit(), -1)
	b.N = 1
	a.AddBatch(&b)
	if m := a.Memo(&b, 0); *m != 0 || b.Src[0] != 0 {
		t.Fatalf("after Flush: memo %d, Src %d; want 0, 0", *m, b.Src[0])
	}
}

// TestShardOf: ShardOf names the shard of the record Set fills, for
// IPv4, IPv6 and IPv4-mapped IPv6 sources and shard counts that are
// powers of two and not.
func TestShardOf(t *testing.T) {
	seen := map[int]bool{}
	for i := range 3000 {
		var src netip.Addr
		switch i % 3 {
		case 0:
			src = netip.AddrFrom4([4]byte{198, 51, byte(i >> 8), byte(i)})
		case 1:
			src = netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 9: byte(i >> 4), 14: byte(i >> 8), 15: byte(i)})
		default:
			src = netip.AddrFrom16(netip.AddrFrom4([4]byte{203, 0, byte(i >> 8), byte(i)}).As16())
		}
		var r Rec
		r.Set(0, pkt(src.String(), 1, 2), classify.Access.Bit(), -1)
		for _, n := range []int{1, 2, 3, 4, 7} {
			got, want := ShardOf(src, n), r.Shard(n)
			if got != want || got < 0 || got >= n {
				t.Fatalf("ShardOf(%s, %d) = %d, Rec.Shard = %d", src, n, got, want)
			}
			if n == 7 {
				seen[got] = true
			}
		}
	}
	if len(seen) != 7 {
		t.Fatalf("sources fall in %d of 7 shards", len(seen))
	}
}

// TestAddBatchAllocs: counting a batch of known source-days and cells,
// and reading their memos, allocates nothing.
func TestAddBatchAllocs(t *testing.T) {
	a := New(time.UTC)
	ts := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC).UnixNano()
	var recs [BatchSize]Rec
	for i := range recs {
		src := netip.AddrFrom4([4]byte{203, 0, byte(i >> 4), byte(i)})
		recs[i].Set(ts, pkt(src.String(), 40000, uint16(23+i%3)), classify.Access.Bit(), -1)
	}
	var b Batch
	fill := func() {
		b.Recs = recs
		b.N = BatchSize
	}
	fill()
	a.AddBatch(&b)
	var sum int32
	allocs := testing.AllocsPerRun(200, func() {
		fill()
		a.AddBatch(&b)
		for i := 0; i < BatchSize; i++ {
			sum += *a.Memo(&b, i)
		}
	})
	if allocs != 0 {
		t.Errorf("AddBatch of known cells allocates %.1f times", allocs)
	}
	_ = sum
}
