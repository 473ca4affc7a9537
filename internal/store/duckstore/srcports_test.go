package duckstore

import (
	"cmp"
	"context"
	"math/rand/v2"
	"net/netip"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/honeyscope/honeyscope/internal/srcports"
	"github.com/honeyscope/honeyscope/internal/store"
)

// TestSrcPortObsLimitCoinciding: two captures of one sensor hold the same
// bins of the same day and source, so that day has twice as many rows as
// bins; every limit still returns the answer's first bins (summed over
// the captures, with their places) and says when it cut.
func TestSrcPortObsLimitCoinciding(t *testing.T) {
	ctx := context.Background()
	st, err := Open(ctx, filepath.Join(t.TempDir(), "sp.duckdb"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	days := []string{"2026-05-01", "2026-05-02", "2026-05-03"}
	srcs := []string{"192.0.2.10", "2001:db8::1", "192.0.2.77"}
	for i, hash := range []string{"sha256:a1", "sha256:a2"} {
		var hits []readHit
		p := &srcports.Part{K: 4}
		for _, d := range days {
			for _, s := range srcs {
				hits = append(hits, readHit{s, d, 23, true, 2})
				for _, port := range []uint16{40000, 40001} {
					p.Rows = append(p.Rows, srcports.Row{Day: cday(d), Src: netip.MustParseAddr(s), Kind: srcports.KindSrc, Proto: 6, Port: port, Packets: uint64(1 + i)})
				}
				p.Rows = append(p.Rows, srcports.Row{Day: cday(d), Src: netip.MustParseAddr(s), Kind: srcports.KindDst, Proto: 6, Port: 23, Packets: 2})
			}
		}
		b := readBatch("s1", hash, hits)
		b.Ingest.Path = hash + ".pcap"
		b.SrcPorts = p
		if _, err := st.Commit(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	all, cut, err := st.SrcPortObs(ctx, store.SrcPortQuery{})
	if err != nil || cut {
		t.Fatal(err, cut)
	}
	if want := len(days) * len(srcs) * 3; len(all) != want {
		t.Fatalf("%d bins, want %d", len(all), want)
	}
	for i, o := range all {
		want := readPlaces[o.Src.String()]
		wantPackets := uint64(3)
		if o.Kind == srcports.KindDst {
			wantPackets = 4
		}
		if o.Country != want.Country || o.ASN != want.ASN || o.Packets != wantPackets {
			t.Fatalf("bin %d: %+v, want country %q AS %d and %d packets", i, o, want.Country, want.ASN, wantPackets)
		}
		if i > 0 && o.Day < all[i-1].Day {
			t.Fatalf("bin %d: day %v after %v", i, o.Day, all[i-1].Day)
		}
	}
	for n := 1; n <= len(all)+1; n++ {
		got, cut, err := st.SrcPortObs(ctx, store.SrcPortQuery{Limit: n})
		if err != nil || !slices.Equal(got, all[:min(n, len(all))]) || cut != (n < len(all)) {
			t.Fatalf("limit %d: %d bins, cut %v (%v); want the first %d of %d", n, len(got), cut, err, min(n, len(all)), len(all))
		}
	}
}

// TestSrcPortTopMatchesBins: the ranking in the store equals the one
// counted from every bin (store.RankSrcPortObs) over random stores with
// many ties and sources of several days that rank low, with the first
// candidates few (so that they must grow) and as many as by default; and
// a narrowing to a list of sources returns those sources' bins.
func TestSrcPortTopMatchesBins(t *testing.T) {
	ctx := context.Background()
	st, err := Open(ctx, filepath.Join(t.TempDir(), "sp.duckdb"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rng := rand.New(rand.NewPCG(7, 11))
	days := []string{"2026-05-01", "2026-05-02", "2026-05-03", "2026-05-04", "2026-05-05"}
	var srcs []netip.Addr
	for i := range 300 {
		if i%10 == 9 {
			srcs = append(srcs, netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 15: byte(i)}))
		} else {
			srcs = append(srcs, netip.AddrFrom4([4]byte{198, 51, byte(i / 250), byte(i % 250)}))
		}
	}
	for f, sensor := range []string{"s1", "s2", "s1"} {
		var hits []readHit
		p := &srcports.Part{K: 4}
		for i, a := range srcs {
			// Sources past the first 200 are seen on several days and
			// send little; the others on one day (or none of this file).
			ds := []int{rng.IntN(len(days))}
			if i >= 200 {
				ds = []int{0, 1, 2, 3, 4}[:1+rng.IntN(len(days))]
			} else if rng.IntN(3) == 0 {
				continue
			}
			for _, d := range ds {
				hits = append(hits, readHit{"192.0.2.10", days[d], 23, true, 1})
				packets := uint64(1 + rng.IntN(4))
				if i < 200 {
					packets += 8
				}
				p.Rows = append(p.Rows, srcports.Row{Day: cday(days[d]), Src: a, Kind: srcports.KindSrc, Proto: 6, Port: uint16(40000 + rng.IntN(3)), Packets: packets})
				if rng.IntN(2) == 0 {
					p.Rows = append(p.Rows, srcports.Row{Day: cday(days[d]), Src: a, Kind: srcports.KindDst, Proto: 6, Port: 23, Packets: 5})
				}
			}
		}
		slices.SortFunc(p.Rows, func(a, b srcports.Row) int {
			return cmp.Or(cmp.Compare(a.Day, b.Day), a.Src.Compare(b.Src), cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Port, b.Port))
		})
		p.Rows = slices.CompactFunc(p.Rows, func(a, b srcports.Row) bool {
			return a.Day == b.Day && a.Src == b.Src && a.Kind == b.Kind && a.Port == b.Port
		})
		b := readBatch(sensor, "sha256:f"+strconv.Itoa(f), hits)
		b.Ingest.Path = "f" + strconv.Itoa(f) + ".pcap"
		b.SrcPorts = p
		if _, err := st.Commit(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	qs := []store.SrcPortQuery{{}, {Sensors: []string{"s2"}}, {From: cday(days[1]), To: cday(days[3])}, {Exclude: []string{"s2"}, To: cday(days[2])},
		{Srcs: srcs[195:205]}}
	defer func(k int) { srcPortCandidates = k }(srcPortCandidates)
	for _, k := range []int{2, srcPortCandidates} {
		srcPortCandidates = k
		for _, q := range qs {
			obs, cut, err := st.SrcPortObs(ctx, q)
			if err != nil || cut {
				t.Fatal(err, cut)
			}
			for _, n := range []int{1, 3, 10, 500} {
				for _, minDays := range []int{1, 3, 5, 6} {
					want := store.RankSrcPortObs(obs, n, minDays)
					got, err := st.SrcPortTop(ctx, q, n, minDays)
					if err != nil {
						t.Fatal(err)
					}
					if got.Sources != want.Sources || !slices.Equal(got.Top, want.Top) {
						t.Fatalf("k %d, %+v, n %d, %d days: %d sources, top %v; want %d, %v", k, q, n, minDays, got.Sources, got.Top, want.Sources, want.Top)
					}
				}
			}
		}
	}
	all, _, err := st.SrcPortObs(ctx, store.SrcPortQuery{})
	if err != nil {
		t.Fatal(err)
	}
	some := []netip.Addr{srcs[3], srcs[209], srcs[250]}
	var want []srcports.Obs
	for _, o := range all {
		if slices.Contains(some, o.Src) {
			want = append(want, o)
		}
	}
	got, _, err := st.SrcPortObs(ctx, store.SrcPortQuery{Srcs: some})
	if err != nil || len(want) == 0 || !slices.Equal(got, want) {
		t.Fatalf("narrowed to %v: %d bins (%v), want %d", some, len(got), err, len(want))
	}
	if got, _, err := st.SrcPortObs(ctx, store.SrcPortQuery{Srcs: []netip.Addr{}}); err != nil || len(got) != 0 {
		t.Fatalf("narrowed to no source: %d bins (%v)", len(got), err)
	}
}
