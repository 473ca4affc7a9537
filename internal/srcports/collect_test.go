package srcports

import (
	"encoding/json"
	"math"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/honeyscope/honeyscope/internal/civil"
	"github.com/honeyscope/honeyscope/internal/decode"
)

func syn(src string, sport, dport uint16) *decode.Packet {
	return &decode.Packet{Src: netip.MustParseAddr(src), Dst: netip.MustParseAddr("192.0.2.1"), Proto: 6,
		HasTransport: true, SrcPort: sport, DstPort: dport, TCPFlags: 0x02}
}

var day0 = time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)

func TestCollectorHistogram(t *testing.T) {
	c := NewCollector(nil, Options{MinPackets: 2})
	ts := day0.Add(time.Hour).UnixNano()
	for i := range 30 {
		sp := uint16(40000)
		if i%3 == 0 {
			sp = 40001
		}
		dp := uint16(23)
		if i%5 == 0 {
			dp = 2323
		}
		c.Add(ts, syn("203.0.113.5", sp, dp))
	}
	// The next day: one port only.
	for range 4 {
		c.Add(ts+int64(24*time.Hour), syn("203.0.113.5", 40000, 23))
	}
	// Not scans: a SYN-ACK, an ACK, an ICMP packet, a later fragment.
	sa := syn("203.0.113.5", 80, 5555)
	sa.TCPFlags = 0x12
	c.Add(ts, sa)
	ack := syn("203.0.113.5", 80, 5555)
	ack.TCPFlags = 0x10
	c.Add(ts, ack)
	c.Add(ts, &decode.Packet{Src: netip.MustParseAddr("203.0.113.5"), Proto: 1, HasTransport: true})
	fr := syn("203.0.113.5", 80, 5555)
	fr.Frag = decode.FragLater
	c.Add(ts, fr)
	// A source seen once: too few packets.
	c.Add(ts, syn("203.0.113.9", 50000, 22))
	// A source with more than K source ports.
	for i := range DefaultK + 1 {
		c.Add(ts, syn("203.0.113.7", uint16(30000+i), 23))
	}
	p := c.Result()
	d0, d1 := civil.FromDate(2026, 4, 1), civil.FromDate(2026, 4, 2)
	a := netip.MustParseAddr("203.0.113.5")
	want := []Row{
		{d0, a, KindSrc, 6, 40000, 20},
		{d0, a, KindSrc, 6, 40001, 10},
		{d0, a, KindDst, 6, 23, 24},
		{d0, a, KindDst, 6, 2323, 6},
		{d1, a, KindSrc, 6, 40000, 4},
		{d1, a, KindDst, 6, 23, 4},
	}
	if !slices.Equal(p.Rows, want) {
		t.Fatalf("rows\n got %v\nwant %v", p.Rows, want)
	}
	if p.Packets != 34+1+DefaultK+1 || p.Confined != 2 || p.Many != 1 || p.Few != 1 || p.Dropped != 0 || p.K != DefaultK {
		t.Fatalf("part %+v", *p)
	}
}

func TestCollectorBounds(t *testing.T) {
	c := NewCollector(time.UTC, Options{MinPackets: 1, MaxSources: 2, DstPorts: 2})
	ts := day0.UnixNano()
	for i := range 5 {
		c.Add(ts, syn("203.0.113.1", 1000, uint16(10+i)))
	}
	c.Add(ts, syn("203.0.113.2", 1000, 10))
	c.Add(ts, syn("203.0.113.3", 1000, 10))
	c.Add(ts, syn("203.0.113.3", 1000, 10))
	p := c.Result()
	if p.Dropped != 2 || p.Confined != 2 {
		t.Fatalf("dropped %d confined %d, want 2 and 2", p.Dropped, p.Confined)
	}
	var other uint64
	var dst int
	for _, r := range p.Rows {
		if r.Src.String() == "203.0.113.1" {
			switch r.Kind {
			case KindOther:
				other += r.Packets
			case KindDst:
				dst++
			}
		}
	}
	if dst != 2 || other != 3 {
		t.Fatalf("kept %d destination ports and %d other packets, want 2 and 3", dst, other)
	}
}

func TestCollectorDaysInZone(t *testing.T) {
	jst := time.FixedZone("JST", 9*3600)
	c := NewCollector(jst, Options{MinPackets: 1})
	// 16:00 UTC on 1 April is 01:00 on 2 April in JST.
	c.Add(day0.Add(16*time.Hour).UnixNano(), syn("203.0.113.1", 1, 2))
	p := c.Result()
	if len(p.Rows) == 0 || p.Rows[0].Day != civil.FromDate(2026, 4, 2) {
		t.Fatalf("rows %v: want day 2026-04-02", p.Rows)
	}
}

func TestStudyCorrelation(t *testing.T) {
	a := netip.MustParseAddr("203.0.113.5")
	var obs []Obs
	// Port 40000 → 23 and 40001 → 2323: the shares move together.
	shares := []uint64{10, 30, 20, 50, 40}
	for i, s := range shares {
		d := civil.FromDate(2026, 4, 1).AddDays(i)
		obs = append(obs,
			Obs{Day: d, Src: a, Kind: KindSrc, Proto: 6, Port: 40000, Packets: 100 + s},
			Obs{Day: d, Src: a, Kind: KindSrc, Proto: 6, Port: 40001, Packets: 100 - s},
			Obs{Day: d, Src: a, Kind: KindDst, Proto: 6, Port: 23, Packets: 100 + s},
			Obs{Day: d, Src: a, Kind: KindDst, Proto: 6, Port: 2323, Packets: 100 - s})
	}
	st := NewStudy(obs, 0)
	if !st.Confined || st.DistinctSrc != 2 || st.Sources != 1 || len(st.Days) != 5 {
		t.Fatalf("study %+v", st)
	}
	if st.Src[0].Port != 40000 || st.Dst[0].Port != 23 || st.Src[0].Days != 5 {
		t.Fatalf("top ports %v %v", st.Src, st.Dst)
	}
	if math.Abs(float64(st.ShareCorr)-1) > 1e-9 || math.Abs(float64(st.CountCorr)-1) > 1e-9 {
		t.Fatalf("correlations %v %v, want 1", st.ShareCorr, st.CountCorr)
	}
	if d := st.Days[1]; d.SrcTop != 130 || d.DstTop != 130 || d.Packets != 200 || d.SrcShare != 0.65 || d.SrcPorts != 2 {
		t.Fatalf("day 1 %+v", d)
	}
	// Anti-correlated destination: the coefficient turns negative.
	for i := range obs {
		if obs[i].Kind == KindDst {
			obs[i].Port = 2323 + 23 - obs[i].Port
		}
	}
	obs = append(obs, Obs{Day: civil.FromDate(2026, 4, 1), Src: a, Kind: KindDst, Proto: 6, Port: 23, Packets: 1000})
	if st := NewStudy(obs, 0); !(st.ShareCorr < 0) {
		t.Fatalf("share correlation %v, want negative", st.ShareCorr)
	}
	if st := NewStudy(obs[:8], 0); !math.IsNaN(float64(st.CountCorr)) {
		t.Fatalf("two days: correlation %v, want NaN", st.CountCorr)
	}
	if st := NewStudy(obs, 1); st.Confined {
		t.Fatal("two source ports confined under K = 1")
	}
}

func TestMatches(t *testing.T) {
	d := civil.FromDate(2026, 4, 1)
	run := []Obs{
		{Day: d, Kind: KindSrc, Proto: 6, Port: 40000, Packets: 10},
		{Day: d, Kind: KindSrc, Proto: 6, Port: 40001, Packets: 10},
		{Day: d, Kind: KindDst, Proto: 6, Port: 23, Packets: 15},
		{Day: d, Kind: KindDst, Proto: 6, Port: 2323, Packets: 5},
	}
	p := ProfileOf(run)
	ip := netip.MustParseAddr
	wild := []Obs{
		// Same behaviour over two days.
		{Day: d, Src: ip("203.0.113.1"), Country: "JP", ASN: 64500, Kind: KindSrc, Proto: 6, Port: 40000, Packets: 5},
		{Day: d.AddDays(1), Src: ip("203.0.113.1"), Kind: KindSrc, Proto: 6, Port: 40001, Packets: 5},
		{Day: d, Src: ip("203.0.113.1"), Kind: KindDst, Proto: 6, Port: 23, Packets: 5},
		{Day: d.AddDays(1), Src: ip("203.0.113.1"), Kind: KindDst, Proto: 6, Port: 2323, Packets: 5},
		// One shared source port, another destination.
		{Day: d, Src: ip("203.0.113.2"), Kind: KindSrc, Proto: 6, Port: 40000, Packets: 50},
		{Day: d, Src: ip("203.0.113.2"), Kind: KindDst, Proto: 6, Port: 80, Packets: 50},
		// No shared source port.
		{Day: d, Src: ip("203.0.113.3"), Kind: KindSrc, Proto: 6, Port: 1, Packets: 50},
		{Day: d, Src: ip("203.0.113.3"), Kind: KindDst, Proto: 6, Port: 23, Packets: 50},
	}
	m := Matches(p, wild, 0)
	if len(m) != 2 || m[0].Src != ip("203.0.113.1") || m[1].Src != ip("203.0.113.2") {
		t.Fatalf("matches %+v", m)
	}
	if m[0].Score != 1 || m[0].Days != 2 || m[0].Country != "JP" || m[0].ASN != 64500 || len(m[0].Shared) != 2 {
		t.Fatalf("best %+v", m[0])
	}
	if m[1].SrcJaccard != 0.5 || m[1].DstJaccard != 0 || m[1].Score != 0.25 {
		t.Fatalf("second %+v", m[1])
	}
	if got := Matches(p, wild, 1); len(got) != 1 {
		t.Fatalf("n = 1: %d matches", len(got))
	}
}

func TestChart(t *testing.T) {
	a := netip.MustParseAddr("203.0.113.5")
	d := civil.FromDate(2026, 4, 1)
	obs := []Obs{
		{Day: d, Src: a, Kind: KindSrc, Proto: 6, Port: 40000, Packets: 3},
		{Day: d, Src: a, Kind: KindSrc, Proto: 6, Port: 40001, Packets: 1},
		{Day: d, Src: a, Kind: KindDst, Proto: 6, Port: 23, Packets: 4},
		{Day: d.AddDays(2), Src: a, Kind: KindSrc, Proto: 6, Port: 40000, Packets: 5},
		{Day: d.AddDays(2), Src: a, Kind: KindDst, Proto: 6, Port: 23, Packets: 5},
	}
	c := NewStudy(obs, 0).Chart(true, "en", "t")
	if len(c.Days) != 3 || !c.Gaps[1] || c.Gaps[0] || len(c.Series) != 2 {
		t.Fatalf("days %v gaps %v", c.Days, c.Gaps)
	}
	if v := c.Series[0].Values; v[0] != 75 || !math.IsNaN(v[1]) || v[2] != 100 {
		t.Fatalf("source-port shares %v", v)
	}
	if v := c.Series[1].Values; v[0] != 100 || v[2] != 100 {
		t.Fatalf("destination-port shares %v", v)
	}
	if c.Series[0].Label != "source port 40000/tcp" || c.Series[1].Label != "destination port 23/tcp" {
		t.Fatalf("labels %q %q", c.Series[0].Label, c.Series[1].Label)
	}
	svg := string(NewStudy(obs, 0).Chart(false, "ja", "t").SVG())
	if !strings.Contains(svg, "送信元ポート 40000/tcp") {
		t.Fatal("Japanese chart without its source-port label")
	}
}

func TestCorrJSON(t *testing.T) {
	b, err := json.Marshal(struct{ A, B Corr }{Corr(math.NaN()), 0.5})
	if err != nil || string(b) != `{"A":null,"B":0.5000}` {
		t.Fatalf("%s %v", b, err)
	}
}

// FuzzCollector feeds packets of any fields and checks the bounds hold.
func FuzzCollector(f *testing.F) {
	f.Add([]byte{6, 2, 0, 1, 0, 23, 1, 0})
	f.Add([]byte{17, 0, 0xff, 0xff, 0, 53, 2, 1, 6, 0x12, 0, 80, 0, 1, 3, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		c := NewCollector(time.UTC, Options{K: 2, DstPorts: 2, MinPackets: 1, MaxSources: 3})
		for len(b) >= 8 {
			p := decode.Packet{Proto: b[0], TCPFlags: b[1], SrcPort: uint16(b[2])<<8 | uint16(b[3]),
				DstPort: uint16(b[4])<<8 | uint16(b[5]), HasTransport: true,
				Src: netip.AddrFrom4([4]byte{10, 0, 0, b[6] % 5})}
			c.Add(day0.Add(time.Duration(b[7])*time.Hour).UnixNano(), &p)
			b = b[8:]
		}
		p := c.Result()
		if p.Confined+p.Many+p.Few > 3 {
			t.Fatalf("%d pairs tracked, bound 3", p.Confined+p.Many+p.Few)
		}
		per := map[key][2]int{}
		for _, r := range p.Rows {
			k := key{r.Day, r.Src}
			n := per[k]
			switch r.Kind {
			case KindSrc:
				n[0]++
			case KindDst:
				n[1]++
			}
			per[k] = n
			if n[0] > 2 || n[1] > 2 {
				t.Fatalf("%v: %d source and %d destination ports kept, bound 2", k, n[0], n[1])
			}
		}
	})
}

// TestShardCollectors: collectors of shards that each count their own
// sources keep together what one collector given every packet keeps, with
// the bound on pairs reached, and hold no more pairs between them than
// the bound when they are fed one packet after another.
func TestShardCollectors(t *testing.T) {
	opt := Options{K: 3, DstPorts: 2, MinPackets: 2, MaxSources: 150}
	one := NewCollector(time.UTC, opt)
	shards := NewShardCollectors(time.UTC, opt, 3)
	var seq uint64
	for i := range 6000 {
		s := (i*7919 + i/50) % 400
		src := netip.AddrFrom4([4]byte{198, 51, byte(s >> 8), byte(s)})
		if s%9 == 0 {
			src = netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 14: byte(s >> 8), 15: byte(s)})
		}
		p := syn(src.String(), uint16(40000+i%(1+s%5)), uint16(22+i%(1+s%4)))
		ts := day0.Add(time.Duration(i) * 30 * time.Second).UnixNano()
		one.Add(ts, p)
		seq++
		b := src.As16()
		pk := Packet{Seq: seq, TS: ts, Hi: be64(b[:8]), Lo: be64(b[8:]), V6: src.Is6(), Proto: 6, SrcPort: p.SrcPort, DstPort: p.DstPort}
		shards[s%3].AddScan(&pk, nil)
	}
	want, got := one.Result(), Combine(shards)
	if want.Dropped == 0 || want.Confined == 0 {
		t.Fatalf("the bound is not reached or nothing is kept: %+v", *want)
	}
	if !slices.Equal(got.Rows, want.Rows) || got.Packets != want.Packets || got.Dropped != want.Dropped ||
		got.Confined != want.Confined || got.Many != want.Many || got.Few != want.Few {
		t.Fatalf("shards: %d rows %d %d %d %d %d; one collector: %d rows %d %d %d %d %d",
			len(got.Rows), got.Packets, got.Dropped, got.Confined, got.Many, got.Few,
			len(want.Rows), want.Packets, want.Dropped, want.Confined, want.Many, want.Few)
	}
	held := 0
	for _, c := range shards {
		held += len(c.ents)
	}
	if held != opt.MaxSources {
		t.Fatalf("the shards hold %d pairs, bound %d", held, opt.MaxSources)
	}
}

// TestCollectorCountsPast32Bits: a bin's count carries past the 32 bits
// a slot holds.
func TestCollectorCountsPast32Bits(t *testing.T) {
	c := NewCollector(time.UTC, Options{MinPackets: 1})
	ts := day0.UnixNano()
	c.Add(ts, syn("203.0.113.5", 40000, 23))
	c.src[0].n, c.dst[0].n = math.MaxUint32-1, math.MaxUint32
	for range 3 {
		c.Add(ts, syn("203.0.113.5", 40000, 23))
	}
	p := c.Result()
	if len(p.Rows) != 2 || p.Rows[0].Packets != 1<<32+2 || p.Rows[1].Packets != 1<<32+3 {
		t.Fatalf("rows %v", p.Rows)
	}
}

// TestAddDropped: a caller that counts the packets of a pair its memo
// marks dropped with AddDropped, and the rest with AddScan and the memo,
// keeps what a collector given every packet keeps.
func TestAddDropped(t *testing.T) {
	opt := Options{K: 3, DstPorts: 2, MinPackets: 2, MaxSources: 40}
	one := NewCollector(time.UTC, opt)
	memoed := NewCollector(time.UTC, opt)
	memo := map[key]*int32{} // a memo per (day, source) pair, as a counting table's source-day
	var seq uint64
	dropped := 0
	for i := range 4000 {
		s := (i*7919 + i/50) % 100
		src := netip.AddrFrom4([4]byte{198, 51, 0, byte(s)})
		p := syn(src.String(), uint16(40000+i%(1+s%5)), uint16(22+i%(1+s%4)))
		ts := day0.Add(time.Duration(i) * 60 * time.Second).UnixNano()
		one.Add(ts, p)
		seq++
		k := key{civil.FromTime(time.Unix(0, ts), time.UTC), src}
		m := memo[k]
		if m == nil {
			m = new(int32)
			memo[k] = m
		}
		if *m < 0 {
			memoed.AddDropped()
			dropped++
			continue
		}
		b := src.As16()
		pk := Packet{Seq: seq, TS: ts, Hi: be64(b[:8]), Lo: be64(b[8:]), Proto: 6, SrcPort: p.SrcPort, DstPort: p.DstPort}
		memoed.AddScan(&pk, m)
	}
	want, got := one.Result(), memoed.Result()
	if dropped == 0 || want.Confined == 0 {
		t.Fatalf("no packet was dropped through the memo (%d) or nothing kept: %+v", dropped, *want)
	}
	if !slices.Equal(got.Rows, want.Rows) || got.Packets != want.Packets || got.Dropped != want.Dropped ||
		got.Confined != want.Confined || got.Many != want.Many || got.Few != want.Few {
		t.Fatalf("with AddDropped: %d rows %d %d %d %d %d; one collector: %d rows %d %d %d %d %d",
			len(got.Rows), got.Packets, got.Dropped, got.Confined, got.Many, got.Few,
			len(want.Rows), want.Packets, want.Dropped, want.Confined, want.Many, want.Few)
	}
}
