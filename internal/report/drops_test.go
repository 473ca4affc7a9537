package report

import (
	"context"
	"fmt"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/honeyscope/honeyscope/internal/aggregate"
	cv "github.com/honeyscope/honeyscope/internal/civil"
	"github.com/honeyscope/honeyscope/internal/classify"
	"github.com/honeyscope/honeyscope/internal/store"
	"github.com/honeyscope/honeyscope/internal/store/duckstore"
)

// TestCaptureDropsStated: a live capture that lost packets in the period
// says so in the coverage section, with the totals, in both languages; a
// sensor without losses gets no such sentence.
func TestCaptureDropsStated(t *testing.T) {
	ctx := context.Background()
	st, err := duckstore.Open(ctx, filepath.Join(t.TempDir(), "live.duckdb"), duckstore.Options{TimeZone: "UTC"})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	start := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	m := classify.Access.Bit()
	for d := range 10 {
		for _, sensor := range []string{"lossy", "clean"} {
			ts := start.AddDate(0, 0, d)
			r := &aggregate.Result{Packets: 40, Inbound: 40, First: ts.UnixNano(), Last: ts.Add(23 * time.Hour).UnixNano()}
			var places []store.Place
			for i := range 4 {
				a := netip.AddrFrom4([4]byte{203, 0, 113, byte(i)})
				r.Sources = append(r.Sources, aggregate.SourceDay{Addr: a, Day: cv.Of(ts), Packets: 10, First: ts.UnixNano(), Last: ts.UnixNano(), Tags: m})
				r.Hits = append(r.Hits, aggregate.Hit{Source: uint32(i), Proto: 6, Port: 23, Tags: m, Packets: 10})
				places = append(places, store.Place{Country: "US"})
			}
			in := store.Ingest{Path: "live:eth0", Hash: fmt.Sprintf("live:%s:%d", sensor, d), Sensor: sensor, Format: "live",
				Packets: 40, First: ts, Last: ts.Add(24*time.Hour - time.Second), ErrorOffset: -1}
			if sensor == "lossy" && d >= 5 {
				in.KernelDrops, in.QueueDrops = 1000, 234
			}
			if _, err := st.Commit(ctx, &store.Batch{Result: r, Places: places, Sensor: store.Sensor{Name: sensor}, Ingest: in}); err != nil {
				t.Fatal(err)
			}
		}
	}
	for lang, want := range map[string]string{
		"en": "Sensor lossy: its live capture lost 6,170 packets in the period (kernel 5,000, queue 1,170)",
		"ja": "センサーlossy：ライブキャプチャで6,170個のパケットを取りこぼしました",
	} {
		out := t.TempDir()
		if _, err := Build(ctx, st, Options{Lang: lang, Out: out, From: start.AddDate(0, 0, 3), To: start.AddDate(0, 0, 9),
			Now: func() time.Time { return time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC) }}); err != nil {
			t.Fatal(err)
		}
		page := readFile(t, filepath.Join(out, "index.html"))
		if !strings.Contains(page, want) {
			t.Errorf("%s: index.html lacks %q", lang, want)
		}
		if strings.Contains(page, "clean: its live capture lost") || strings.Contains(page, "センサーclean：ライブ") {
			t.Errorf("%s: a sensor without losses is said to have lost packets", lang)
		}
	}
}
