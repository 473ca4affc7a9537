package honeypot

import (
	"context"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/honeyscope/honeyscope/internal/config"
	"github.com/honeyscope/honeyscope/internal/daemon"
	"github.com/honeyscope/honeyscope/internal/samplestore"
	"github.com/honeyscope/honeyscope/internal/session"
	"github.com/honeyscope/honeyscope/internal/store"
	"github.com/honeyscope/honeyscope/internal/store/duckstore"
)

// BenchmarkLoaderSessionsStore is BenchmarkLoaderSessions with the real
// store (DuckDB) and sample store behind the committer: 200 clients at
// once run scripted loader sessions, and afterwards the store must hold
// every session and count every intrusion (nothing lost).
func BenchmarkLoaderSessionsStore(b *testing.B) {
	raiseNoFile(b, 4096)
	dir := b.TempDir()
	st, err := duckstore.Open(context.Background(), filepath.Join(dir, "hp.duckdb"), duckstore.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	samples, err := samplestore.Open(filepath.Join(dir, "samples"), samplestore.Options{})
	if err != nil {
		b.Fatal(err)
	}
	cfg := testConfig()
	cfg.Credentials = config.Credentials{Policy: "mirai"}
	cfg.Limits.PerSource = 1000
	cfg.CommitInterval = time.Second
	c, err := New(daemon.NewReporter(nil), cfg, Dependencies{Store: st, Samples: samples})
	if err != nil {
		b.Fatal(err)
	}
	if err := c.Listen(); err != nil {
		b.Fatal(err)
	}
	if err := c.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	addr := benchAddr(b, c, session.Telnet)
	var failed atomic.Int64
	b.SetParallelism(100) // 200 clients on two cores
	b.ResetTimer()
	t0 := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := loaderSession(addr); err != nil {
				failed.Add(1)
			}
		}
	})
	el := time.Since(t0)
	b.StopTimer()
	if n := failed.Load(); n > 0 {
		b.Fatalf("%d sessions failed", n)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := c.Stop(ctx); err != nil {
		b.Fatal(err)
	}
	rows, err := st.Stats(ctx, store.StatsQuery{Classes: []string{"intrusion"}})
	if err != nil {
		b.Fatal(err)
	}
	var intrusions uint64
	for _, r := range rows {
		intrusions += r.Packets
	}
	sessions := 0
	for off := 0; ; off += 10000 {
		ss, err := st.Sessions(ctx, store.SessionQuery{Limit: 10000, Offset: off})
		if err != nil {
			b.Fatal(err)
		}
		sessions += len(ss)
		if len(ss) < 10000 {
			break
		}
	}
	if sessions != b.N || intrusions != uint64(b.N) {
		b.Fatalf("store holds %d sessions and %d intrusions; %d sessions ran", sessions, intrusions, b.N)
	}
	b.ReportMetric(float64(b.N)/el.Seconds(), "sessions/s")
}
