package duckstore

import (
	"context"
	"net/netip"
	"path/filepath"
	"slices"
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
