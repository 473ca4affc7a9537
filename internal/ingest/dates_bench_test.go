package ingest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/honeyscope/honeyscope/internal/aggregate"
	"github.com/honeyscope/honeyscope/internal/store"
	"github.com/honeyscope/honeyscope/internal/store/duckstore"
)

// discardStore is a DuckDB store whose capture writes are counted and
// dropped: what ingest itself costs, without the store's share.
type discardStore struct {
	store.Store
	appends *atomic.Int64
}

func (s discardStore) Begin(context.Context) (store.Tx, error) { return discardTx{s.appends}, nil }

func (s discardStore) Commit(ctx context.Context, b *store.Batch) (int32, error) {
	s.appends.Add(1)
	return 1, nil
}

type discardTx struct{ appends *atomic.Int64 }

func (discardTx) ID() int32 { return 1 }
func (t discardTx) Append(context.Context, *aggregate.Result, []store.Place, string, func(int) string) error {
	t.appends.Add(1)
	return nil
}
func (discardTx) Finish(context.Context, store.Ingest, bool, store.Sensor) error { return nil }
func (discardTx) Abort() error                                                   { return nil }

// BenchmarkDaySpread ingests the same packets, one per source, twice: all
// on one day, and one a day over as many days (49,710 of them fill a pcap's
// 32-bit seconds), both in day parts as a large file is. It reports the
// ratio of the spread file's time to the one-day file's: how much a file's
// cost depends on how its days spread.
//
// "ingest" drops what would be written (reading, decoding, counting and
// day parts: this package's share); "store" writes to a DuckDB store,
// whose per-day work is the store's share (HONEYSCOPE_SPREAD_DAYS sets
// its number of days, 1,000 by default: it grows with the days).
func BenchmarkDaySpread(b *testing.B) {
	b.Run("ingest", func(b *testing.B) { benchmarkDaySpread(b, 49710, true) })
	days := 1000
	if v, err := strconv.Atoi(os.Getenv("HONEYSCOPE_SPREAD_DAYS")); err == nil && v > 0 && v <= 49710 {
		days = v
	}
	b.Run("store", func(b *testing.B) { benchmarkDaySpread(b, days, false) })
}

func benchmarkDaySpread(b *testing.B, days int, discard bool) {
	spread := make([]uint32, days)
	oneDay := make([]uint32, days)
	for i := range spread {
		spread[i] = uint32(i) * 86400
		oneDay[i] = 1_767_225_600 + uint32(i)%86400
	}
	frame := func(i int) []byte { return synFrame(uint32(i)) }
	dir := b.TempDir()
	files := map[string]string{
		"one-day": writeFile(b, dir, "one.pcap", pcapBytes(oneDay, frame)),
		"spread":  writeFile(b, dir, "spread.pcap", pcapBytes(spread, frame)),
	}
	n := 0
	run := func(name string) (time.Duration, int64) {
		sub := filepath.Join(dir, fmt.Sprintf("%s-%d", name, n))
		if err := os.Mkdir(sub, 0o755); err != nil {
			b.Fatal(err)
		}
		cfg := Config{DBPath: filepath.Join(sub, "s.duckdb"), DayPartsMinSize: 1}
		var appends atomic.Int64
		if discard {
			cfg.Open = func(ctx context.Context, tz string) (store.Store, error) {
				st, err := duckstore.Open(ctx, cfg.DBPath, duckstore.Options{TimeZone: tz})
				return discardStore{st, &appends}, err
			}
		}
		t0 := time.Now()
		r := ingestOne(b, cfg, files[name])
		d := time.Since(t0)
		if r.Packets != uint64(days) {
			b.Fatalf("%s: %d packets, want %d", name, r.Packets, days)
		}
		return d, appends.Load()
	}
	var one, spr time.Duration
	var writes int64
	for b.Loop() {
		d, _ := run("one-day")
		one += d
		d, w := run("spread")
		spr += d
		writes += w
		n++
	}
	b.ReportMetric(spr.Seconds()/one.Seconds(), "spread/one-day")
	b.ReportMetric(one.Seconds()/float64(n), "s-one-day")
	b.ReportMetric(spr.Seconds()/float64(n), "s-spread")
	if discard {
		b.ReportMetric(float64(writes)/float64(n), "writes-spread")
	}
}
