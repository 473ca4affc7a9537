package ingest

import (
	"context"
	"github.com/honeyscope/honeyscope/internal/store/duckstore"
	"io"
	"path/filepath"
	"testing"
	"time"

	"github.com/honeyscope/honeyscope/internal/capture"
	"github.com/honeyscope/honeyscope/internal/decode"
	"github.com/honeyscope/honeyscope/internal/store"
	"github.com/honeyscope/honeyscope/internal/synth"
)

// TestTimeZoneDays ingests a capture into an Asia/Tokyo store, split over two
// files ingested in parallel, and checks packets and distinct sources per
// day against a count made independently from the packets' timestamps.
func TestTimeZoneDays(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.pcap"), filepath.Join(dir, "b.pcap")
	if _, err := synth.WriteFile(a, synth.Config{Packets: 40000, Days: 3, Seed: 11, Pool: geoPool{}}); err != nil {
		t.Fatal(err)
	}
	if _, err := synth.WriteFile(b, synth.Config{Packets: 30000, Days: 3, Seed: 12, Pool: geoPool{}}); err != nil {
		t.Fatal(err)
	}
	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	wantPk := map[string]uint64{}
	wantSrc := map[string]map[string]bool{}
	for _, f := range []string{a, b} {
		r, err := capture.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		var p decode.Packet
		for {
			data, ts, link, _, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if decode.Decode(link, data, &p) != nil {
				continue
			}
			day := time.Unix(0, ts).In(tokyo).Format("2006-01-02")
			wantPk[day]++
			if wantSrc[day] == nil {
				wantSrc[day] = map[string]bool{}
			}
			wantSrc[day][p.Src.Unmap().String()] = true
		}
		r.Close()
	}
	db := filepath.Join(dir, "s.duckdb")
	res, err := Run(context.Background(), Config{DBPath: db, TimeZone: "Asia/Tokyo", Workers: 2}, []string{a, b})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if !r.Committed {
			t.Fatalf("%s: %+v", r.Path, r)
		}
	}
	st, err := duckstore.Open(context.Background(), db, duckstore.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rows, err := st.Stats(context.Background(), store.StatsQuery{By: []string{"day"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(wantPk) || len(rows) != 4 {
		t.Errorf("%d days, want %d (3 UTC days span 4 JST days)", len(rows), len(wantPk))
	}
	for _, r := range rows {
		d := r.Keys[0].(string)
		if r.Packets != wantPk[d] || r.Sources != uint64(len(wantSrc[d])) {
			t.Errorf("%s: %d packets / %d sources, want %d / %d", d, r.Packets, r.Sources, wantPk[d], len(wantSrc[d]))
		}
	}
}
