package clickstore_test

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/honeyscope/honeyscope/internal/aggregate"
	"github.com/honeyscope/honeyscope/internal/geo"
	"github.com/honeyscope/honeyscope/internal/ingest"
	"github.com/honeyscope/honeyscope/internal/store"
	"github.com/honeyscope/honeyscope/internal/store/clickstore"
	"github.com/honeyscope/honeyscope/internal/store/storetest/contract"
	"github.com/honeyscope/honeyscope/internal/synth"
)

// benchPackets is the size of the synthesized capture the benchmarks use
// ($HONEYSCOPE_BENCH_PACKETS, default 1 M packets over 30 days).
func benchPackets() int {
	if n, err := strconv.Atoi(os.Getenv("HONEYSCOPE_BENCH_PACKETS")); err == nil && n > 0 {
		return n
	}
	return 1_000_000
}

// part is one Append of a capture's Tx, kept.
type part struct {
	r      *aggregate.Result
	places []store.Place
	sensor string
}

// recorder is a store whose Txs keep what they are given (and commit
// nothing): the decoded capture, for timing the commit alone.
type recorder struct {
	store.Store
	mu    sync.Mutex
	parts []part
	in    store.Ingest
}

func (r *recorder) Begin(ctx context.Context) (store.Tx, error) { return &recTx{r: r}, nil }
func (r *recorder) Commit(ctx context.Context, b *store.Batch) (int32, error) {
	return store.CommitBatch(ctx, b, r.Begin)
}
func (r *recorder) Close() error { return nil }
func (r *recorder) KnownSizes(context.Context) (map[int64][]store.KnownIngest, error) {
	return nil, nil
}

type recTx struct{ r *recorder }

func (t *recTx) ID() int32 { return 1 }
func (t *recTx) Append(ctx context.Context, res *aggregate.Result, places []store.Place, sensor string, pattern func(int) string) error {
	c := *res
	c.Sources, c.Hits, c.Exploits, c.Hourly = slices.Clone(res.Sources), slices.Clone(res.Hits), slices.Clone(res.Exploits), slices.Clone(res.Hourly)
	t.r.mu.Lock()
	t.r.parts = append(t.r.parts, part{&c, slices.Clone(places), sensor})
	t.r.mu.Unlock()
	return nil
}
func (t *recTx) Finish(ctx context.Context, in store.Ingest, replace bool, sensor store.Sensor) error {
	t.r.in = in
	return nil
}
func (t *recTx) Abort() error { return nil }

// decoded synthesizes a capture and decodes it through the ingest
// pipeline (over st, which it does not write) into the parts its Tx would
// append.
func decoded(b *testing.B, st store.Store, dir string, packets int) *recorder {
	b.Helper()
	path := filepath.Join(dir, "bench.pcap")
	if _, err := synth.WriteFile(path, synth.Config{Packets: packets, Days: 30, Seed: 7,
		Start: time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC), Pool: benchPool{}}); err != nil {
		b.Fatal(err)
	}
	rec := &recorder{Store: st}
	cfg := ingest.Config{Sensor: "bench", Workers: 1, Locate: contract.Locate(b),
		Open: func(ctx context.Context, tz string) (store.Store, error) { return rec, nil }}
	res, err := ingest.Run(context.Background(), cfg, []string{path})
	if err != nil {
		b.Fatal(err)
	}
	if len(res) != 1 || res[0].Err != nil || rec.rows() == 0 {
		b.Fatalf("ingest: %+v", res)
	}
	return rec
}

// rows counts the rows the parts write.
func (r *recorder) rows() int {
	n := 0
	for _, p := range r.parts {
		n += len(p.r.Sources) + len(p.r.Hits) + len(p.r.Exploits) + len(p.r.Hourly)
	}
	return n
}

// commit writes the recorded capture into st as a new ingest.
func (r *recorder) commit(b *testing.B, st *clickstore.Store, i int) {
	ctx := context.Background()
	tx, err := st.Begin(ctx)
	if err != nil {
		b.Fatal(err)
	}
	for _, p := range r.parts {
		if err := tx.Append(ctx, p.r, p.places, p.sensor, nil); err != nil {
			b.Fatal(err)
		}
	}
	in := r.in
	in.Hash = fmt.Sprintf("%s/%d", in.Hash, i)
	if err := tx.Finish(ctx, in, false, store.Sensor{Name: "bench"}); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkCommit times Begin, Append and Finish of one decoded capture
// (decoding excluded) and reports the rows written per second.
func BenchmarkCommit(b *testing.B) {
	st := contract.ClickHouse(b, "")
	rec := decoded(b, st, b.TempDir(), benchPackets())
	i := 0
	start := time.Now()
	for b.Loop() {
		rec.commit(b, st, i)
		i++
	}
	b.ReportMetric(float64(rec.rows()*i)/time.Since(start).Seconds(), "rows/s")
	b.ReportMetric(float64(rec.rows()), "rows/op")
}

// BenchmarkReads times the dashboard's main reads over a store holding the
// synthesized capture: the overview's series, top keys, class totals and
// stats, the drivers' breakdown and a source's days.
func BenchmarkReads(b *testing.B) {
	st := contract.ClickHouse(b, "")
	rec := decoded(b, st, b.TempDir(), benchPackets())
	rec.commit(b, st, 0)
	ctx := context.Background()
	first, last, ok, err := st.DataRange(ctx, nil)
	if err != nil || !ok {
		b.Fatal(ok, err)
	}
	sel := store.Selection{From: first, To: last}
	week := store.Selection{From: last.AddDays(-6), To: last}
	top, err := st.Stats(ctx, store.StatsQuery{By: []string{"src"}, Top: 1})
	if err != nil || len(top) == 0 {
		b.Fatal(err)
	}
	benchDashboardReads(b, st, sel, week, netipMust(top[0].Keys[0].(string)))
}

// benchDashboardReads times, one sub-benchmark each, the dashboard's main
// reads over all (the whole period) and week (its last seven days); src is
// the source whose days are read.
func benchDashboardReads(b *testing.B, st *clickstore.Store, all, week store.Selection, src netip.Addr) {
	ctx := context.Background()
	reads := []struct {
		name string
		f    func() error
	}{
		{"DataRange", func() error { _, _, _, err := st.DataRange(ctx, nil); return err }},
		{"ClassTotals/week", func() error {
			_, err := st.ClassTotals(ctx, store.TotalsQuery{Selection: week, Split: week.From.AddDays(3)})
			return err
		}},
		{"Series/country/30d", func() error {
			_, err := st.Series(ctx, store.SeriesQuery{Selection: all, Dim: store.DimCountry, Unit: store.UnitPackets, Fold: true, Keep: []store.Key{{Country: "CN"}, {Country: "US"}}})
			return err
		}},
		{"Series/port/sources/week", func() error {
			_, err := st.Series(ctx, store.SeriesQuery{Selection: week, Dim: store.DimPort, Unit: store.UnitSources, Fold: true, FoldFrom: 1024})
			return err
		}},
		{"TopKeys/port/30d", func() error {
			_, err := st.TopKeys(ctx, store.TopKeysQuery{Selection: all, Dim: store.DimPort, N: 10})
			return err
		}},
		{"Stats/day,class/30d", func() error {
			_, err := st.Stats(ctx, store.StatsQuery{By: []string{"day", "class"}})
			return err
		}},
		{"Breakdown/country/week", func() error {
			_, err := st.Breakdown(ctx, store.BreakdownQuery{Selection: week, Class: "access", Dim: store.DimCountry, Key: store.Key{Country: "CN"}})
			return err
		}},
		{"SourceDays/30d", func() error {
			_, err := st.SourceDays(ctx, src, all)
			return err
		}},
	}
	for _, r := range reads {
		b.Run(r.name, func(b *testing.B) {
			for b.Loop() {
				if err := r.f(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// benchPool is the built-in GeoIP table's addresses.
type benchPool struct{}

func (benchPool) Countries() []string                          { return geo.DefaultCountries() }
func (benchPool) Addr(cc string, n uint64) (netip.Addr, bool)  { return geo.DefaultAddr(cc, n) }
func (benchPool) Addr6(cc string, n uint64) (netip.Addr, bool) { return geo.DefaultAddr6(cc, n) }

func netipMust(s string) netip.Addr { return netip.MustParseAddr(s) }
