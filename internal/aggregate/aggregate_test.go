package aggregate

import (
	"maps"
	"math"
	"net/netip"
	"reflect"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/honeyscope/honeyscope/internal/classify"
	"github.com/honeyscope/honeyscope/internal/decode"
)

func pkt(src string, sport, dport uint16) *decode.Packet {
	return &decode.Packet{
		Src: netip.MustParseAddr(src), Dst: netip.MustParseAddr("192.0.2.1"),
		Proto: decode.ProtoTCP, HasTransport: true, SrcPort: sport, DstPort: dport, IPLen: 40,
	}
}

func TestAggregateCounts(t *testing.T) {
	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	a := New(tokyo)
	base := time.Date(2026, 5, 1, 14, 30, 0, 0, time.UTC) // 23:30 JST on May 1
	mirai := classify.Access.Bit() | classify.Mirai.Bit()
	// 10.0.0.1: 3 packets before JST midnight, 2 after, always sport 40000.
	for i := 0; i < 3; i++ {
		a.Add(base.Add(time.Duration(i)*time.Minute).UnixNano(), pkt("198.51.100.1", 40000, 23), mirai, -1)
	}
	for i := 0; i < 2; i++ {
		a.Add(base.Add(time.Hour+time.Duration(i)*time.Minute).UnixNano(), pkt("198.51.100.1", 40000, 2323), mirai, -1)
	}
	// another source with two source ports, plus an exploit match.
	a.Add(base.UnixNano(), pkt("2001:db8::1", 1, 80), classify.Access.Bit(), -1)
	a.Add(base.UnixNano(), pkt("2001:db8::1", 2, 80), classify.Access.Bit()|classify.Exploit.Bit(), 3)
	r := a.Result()
	if r.Inbound != 7 {
		t.Fatalf("inbound = %d, want 7", r.Inbound)
	}
	if len(r.Sources) != 3 {
		t.Fatalf("sources = %d, want 3 (one source on two JST days + one)", len(r.Sources))
	}
	days := map[string]uint64{}
	for _, s := range r.Sources {
		days[s.Addr.String()+" "+s.Day.String()] += s.Packets
	}
	want := map[string]uint64{"198.51.100.1 2026-05-01": 3, "198.51.100.1 2026-05-02": 2, "2001:db8::1 2026-05-01": 2}
	for k, v := range want {
		if days[k] != v {
			t.Errorf("%s: %d packets, want %d (all: %v)", k, days[k], v, days)
		}
	}
	for _, s := range r.Sources {
		single := s.Addr.Is4()
		if s.SingleSrcPort() != single {
			t.Errorf("%s single source port = %v, want %v", s.Addr, s.SingleSrcPort(), single)
		}
	}
	var hitSum uint64
	cells := map[string]uint64{}
	for _, h := range r.Hits {
		hitSum += h.Packets
		cells[r.Sources[h.Source].Day.String()+"/"+itoa(h.Port)+"/"+itoa(uint16(h.Tags))] += h.Packets
	}
	if hitSum != 7 {
		t.Errorf("hits sum %d, want 7", hitSum)
	}
	if cells["2026-05-01/23/3"] != 3 || cells["2026-05-02/2323/3"] != 2 || cells["2026-05-01/80/1"] != 1 || cells["2026-05-01/80/33"] != 1 {
		t.Errorf("cells = %v", cells)
	}
	if len(r.Exploits) != 1 || r.Exploits[0].Pattern != 3 || r.Exploits[0].Packets != 1 {
		t.Errorf("exploits = %+v", r.Exploits)
	}
	var hourSum uint64
	for _, h := range r.Hourly {
		hourSum += h.Packets
		if h.Hour%3600 != 0 {
			t.Errorf("hour %d not aligned", h.Hour)
		}
	}
	if hourSum != 7 || len(r.Hourly) != 4 {
		t.Errorf("hourly = %+v", r.Hourly)
	}
}

func itoa(v uint16) string { return strconv.Itoa(int(v)) }

// TestCellCounterCompaction drives the cache/log through many evictions and
// compactions and checks every count against a map, with sources of one
// cell and sources of thousands (sorted on their own at the end).
func TestCellCounterCompaction(t *testing.T) {
	for _, floor := range []int{1 << 12, compactFloor} {
		var c cellCounter
		c.init()
		c.floor, c.compact = floor, floor
		want := map[uint64]uint64{}
		x := uint64(1)
		const nsrc = 5000
		for i := 0; i < 600000; i++ {
			x ^= x << 13
			x ^= x >> 7
			x ^= x << 17
			src := x % nsrc
			low := x >> 40 % 3
			if src < 40 { // scanners: thousands of ports
				low = x >> 24 % 20000
			}
			k := src<<32 | low*0x10101
			c.add(cellSlot(srcKey{lo: src}.hash(), k&0xffffffff), k)
			want[k]++
		}
		got := c.finish(nsrc)
		if len(got) != len(want) {
			t.Fatalf("floor %d: %d cells, want %d", floor, len(got), len(want))
		}
		for i, e := range got {
			if i > 0 && got[i-1].key >= e.key {
				t.Fatalf("floor %d: not sorted/unique", floor)
			}
			if want[e.key] != e.n {
				t.Fatalf("floor %d: key %x: %d, want %d", floor, e.key, e.n, want[e.key])
			}
		}
	}
}

// TestSortBySource: the sort by source gives what the radix sort gives,
// for groups of every size and when few sources hold all cells.
func TestSortBySource(t *testing.T) {
	x := uint64(7)
	for _, tc := range []struct{ n, nsrc int }{{100, 10}, {5000, 3}, {5000, 4999}, {20000, 7}, {20000, 20000}} {
		s := make([]cell, tc.n)
		for i := range s {
			x ^= x << 13
			x ^= x >> 7
			x ^= x << 17
			s[i] = cell{key: x%uint64(tc.nsrc)<<32 | x>>33%1000, n: x >> 60}
		}
		want := sortMerge(slices.Clone(s))
		got := sortBySource(s, tc.nsrc)
		if !slices.Equal(got, want) {
			t.Errorf("%d cells of %d sources: sortBySource differs from sortMerge", tc.n, tc.nsrc)
		}
	}
}

func TestAddAllocs(t *testing.T) {
	a := New(time.UTC)
	p := pkt("198.51.100.1", 1, 23)
	ts := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC).UnixNano()
	a.Add(ts, p, classify.Access.Bit(), -1)
	allocs := testing.AllocsPerRun(1000, func() {
		ts++
		a.Add(ts, p, classify.Access.Bit(), -1)
	})
	if allocs != 0 {
		t.Errorf("Add on a known cell allocates %.1f times", allocs)
	}
}

func BenchmarkAdd(b *testing.B) {
	a := New(time.UTC)
	srcs := make([]*decode.Packet, 4096)
	for i := range srcs {
		srcs[i] = pkt(netip.AddrFrom4([4]byte{203, 0, byte(i >> 8), byte(i)}).String(), 40000, uint16(23+i%3))
	}
	ts := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC).UnixNano()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		a.Add(ts+int64(i)*1000, srcs[(i*2654435761)&4095], classify.Access.Bit(), -1)
	}
}

// TestFlushParts counts the same packets whole and in parts and checks the
// parts add up to the whole.
func TestFlushParts(t *testing.T) {
	whole, parted := New(time.UTC), New(time.UTC)
	var parts []*Result
	ts := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC).UnixNano()
	for i := 0; i < 5000; i++ {
		p := pkt(netip.AddrFrom4([4]byte{203, 0, 113, byte(i % 97)}).String(), uint16(1000+i%3), uint16(i%50))
		tags := classify.Access.Bit()
		if i%7 == 0 {
			tags |= classify.Mirai.Bit()
		}
		tt := ts + int64(i)*int64(time.Minute)
		whole.Add(tt, p, tags, -1)
		parted.Add(tt, p, tags, -1)
		if i%1234 == 0 {
			parts = append(parts, parted.Flush())
		}
	}
	parts = append(parts, parted.Flush())
	w, m := whole.Result(), Merge(parts)
	sum := func(r *Result) (pk uint64, perSrc map[string]uint64) {
		perSrc = map[string]uint64{}
		for _, h := range r.Hits {
			pk += h.Packets
			s := r.Sources[h.Source]
			perSrc[s.Addr.String()+s.Day.String()+itoa(h.Port)+itoa(uint16(h.Tags))] += h.Packets
		}
		return
	}
	wp, ws := sum(w)
	mp, ms := sum(m)
	if wp != 5000 || mp != 5000 || len(ws) != len(ms) {
		t.Fatalf("whole %d packets/%d cells, parts %d/%d", wp, len(ws), mp, len(ms))
	}
	for k, v := range ws {
		if ms[k] != v {
			t.Errorf("%s: %d vs %d", k, v, ms[k])
		}
	}
	if m.Inbound != 5000 || len(m.Sources) <= len(w.Sources) {
		t.Errorf("merged inbound %d, sources %d (whole %d)", m.Inbound, len(m.Sources), len(w.Sources))
	}
}

// TestFlushReusesTables: after a part whose tables grew, the next part,
// counted in the same tables emptied, is what a new Aggregator counts.
func TestFlushReusesTables(t *testing.T) {
	ts := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC).UnixNano()
	feed := func(a *Aggregator, n, salt int) {
		for i := 0; i < n; i++ {
			j := i*7919 + salt
			p := pkt(netip.AddrFrom4([4]byte{198, byte(j >> 16), byte(j >> 8), byte(j)}).String(), uint16(1000+j%5), uint16(j%300))
			tags := classify.Access.Bit()
			if j%3 == 0 {
				tags |= classify.ZMap.Bit()
			}
			a.Add(ts+int64(i)*int64(time.Second), p, tags, j%11-1)
		}
	}
	reused, fresh := New(time.UTC), New(time.UTC)
	feed(reused, 60000, 0)
	if first := reused.Flush(); len(first.Sources) < 10000 {
		t.Fatalf("first part: %d sources, want the tables grown", len(first.Sources))
	}
	feed(reused, 3000, 5)
	feed(fresh, 3000, 5)
	got, want := reused.Flush(), fresh.Result()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("part counted in reused tables differs: %d sources, %d hits, %d exploits; want %d, %d, %d",
			len(got.Sources), len(got.Hits), len(got.Exploits), len(want.Sources), len(want.Hits), len(want.Exploits))
	}
}

// TestHourBoundaries: packets are counted in their UTC hour across hour
// starts, before 1970, out of order, and in the last hour an int64 of
// nanoseconds holds.
func TestHourBoundaries(t *testing.T) {
	a := New(time.UTC)
	p := pkt("198.51.100.7", 1000, 23)
	last := int64(math.MaxInt64) / 3600e9 * 3600
	want := map[int64]uint64{}
	for _, c := range []struct {
		ts   int64
		hour int64
	}{
		{-3600e9 - 1, -7200}, {-1, -3600}, {0, 0}, {3600e9 - 1, 0}, {3600e9, 3600},
		{-1, -3600}, {1, 0}, {math.MaxInt64 - 1, last}, {math.MaxInt64, last}, {3600e9 + 5, 3600},
	} {
		a.Add(c.ts, p, classify.Access.Bit(), -1)
		want[c.hour]++
	}
	got := map[int64]uint64{}
	for _, h := range a.Result().Hourly {
		got[h.Hour] += h.Packets
	}
	if !maps.Equal(got, want) {
		t.Errorf("packets per hour %v, want %v", got, want)
	}
}
