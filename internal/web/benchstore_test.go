package web

import (
	"context"
	"os"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/honeyscope/honeyscope/internal/store/duckstore"
	"github.com/honeyscope/honeyscope/internal/storecache"
	"github.com/honeyscope/honeyscope/internal/synth/benchstore"
)

// benchPages are the pages BenchmarkBenchStore times.
var benchPages = []string{
	"/", "/class/access", "/class/mirai", "/class/exploit", "/class/intrusion", "/country/CN", "/port/23-tcp",
	"/asn/4134", "/findings", "/compare", "/domestic", "/sessions", "/samples",
	"/?lang=ja", "/class/mirai?unit=sources", "/country/MX?from=2026-05-15&to=2026-05-28",
}

// BenchmarkBenchStore times every page over the dashboard benchmark's
// store (30 days x 3 M packets a day, two sensors: benchstore), built
// once in $HONEYSCOPE_BENCH_STORE (skipped when unset: the first build
// takes minutes). It reports the p50 and p95 server time over the pages,
// each asked cold (a fresh handler and cache, nothing cached; also the
// CPU time the process spent on it, coldcpu, which a loaded machine
// changes far less than the wall time) and warm
// (asked again at the same store generation: the page kept, rendered
// again), and after a write (the page built again from the store's
// answers of before, which the cache serves while it refreshes them), and
// after a write once serve's warm round has run (the answers asked lately
// asked again, the default views built: refreshed; the round's CPU time
// is refreshcpu).
func BenchmarkBenchStore(b *testing.B) {
	ctx := context.Background()
	st := openBenchStore(b)
	var cold, coldCPU, warm, written, refreshed, refreshCPU []time.Duration
	for b.Loop() {
		// As serve runs it: the store behind a cache; the first view of
		// each page is cold (nothing cached), the second is what every
		// later visitor gets. The page timeout is raised: on a loaded
		// machine a cold page may take longer than serve allows.
		cst := storecache.New(st, storecache.Options{})
		h := newTestHandler(b, Dependencies{Store: cst, Generation: cst.Generation}, Configuration{QueryTimeout: 30 * time.Minute})
		for _, u := range benchPages {
			for i, dst := range []*[]time.Duration{&cold, &warm} {
				c0 := processCPU()
				t0 := time.Now()
				rec := get(b, h, u)
				(*dst) = append(*dst, time.Since(t0))
				if i == 0 {
					// The CPU time of the process (DuckDB's threads
					// included): what a cold page costs, whatever else
					// the machine is doing.
					coldCPU = append(coldCPU, processCPU()-c0)
				}
				if rec.Code != 200 {
					b.Fatalf("%s: %d", u, rec.Code)
				}
				if testing.Verbose() {
					b.Logf("%-45s %-5s %v", u, []string{"cold", "warm"}[i], (*dst)[len(*dst)-1].Round(time.Microsecond))
				}
			}
			if testing.Verbose() {
				b.Logf("%-45s %-5s %v", u, "cpu", coldCPU[len(coldCPU)-1].Round(time.Microsecond))
			}
		}
		// After a write (a live interval, an ingest): every page is built
		// again, from the store answers of before (served stale while
		// they are computed again in the background).
		cst.Invalidate()
		for _, u := range benchPages {
			t0 := time.Now()
			if rec := get(b, h, u); rec.Code != 200 {
				b.Fatalf("%s: %d", u, rec.Code)
			}
			written = append(written, time.Since(t0))
			if testing.Verbose() {
				b.Logf("%-45s %-5s %v", u, "write", written[len(written)-1].Round(time.Microsecond))
			}
		}
		// After a write, once the owner's warm round has run as serve
		// runs it: the answers asked lately asked again
		// (RefreshRecent), then the default views built from them.
		cst.Invalidate()
		c0, t0 := processCPU(), time.Now()
		n, err := cst.RefreshRecent(ctx, 0)
		if err != nil {
			b.Fatal(err)
		}
		if err := h.Warm(ctx, nil); err != nil {
			b.Fatal(err)
		}
		refreshCPU = append(refreshCPU, processCPU()-c0)
		b.Logf("warm round after the write: %d answers asked again, %v wall, %v CPU", n, time.Since(t0).Round(time.Millisecond), refreshCPU[len(refreshCPU)-1].Round(time.Millisecond))
		for _, u := range benchPages {
			t0 := time.Now()
			if rec := get(b, h, u); rec.Code != 200 {
				b.Fatalf("%s: %d", u, rec.Code)
			}
			refreshed = append(refreshed, time.Since(t0))
			if testing.Verbose() {
				b.Logf("%-45s %-5s %v", u, "fresh", refreshed[len(refreshed)-1].Round(time.Microsecond))
			}
		}
	}
	for _, x := range []struct {
		name string
		d    []time.Duration
	}{{"cold", cold}, {"coldcpu", coldCPU}, {"warm", warm}, {"afterwrite", written}, {"refreshed", refreshed}, {"refreshcpu", refreshCPU}} {
		slices.Sort(x.d)
		b.ReportMetric(float64(x.d[len(x.d)/2].Milliseconds()), x.name+"-p50-ms")
		b.ReportMetric(float64(x.d[len(x.d)*95/100].Milliseconds()), x.name+"-p95-ms")
	}
}

// benchStorePath is the dashboard benchmark's store in
// $HONEYSCOPE_BENCH_STORE, built there once (the benchmark is skipped when
// the variable is unset: the first build takes minutes).
func benchStorePath(b *testing.B) string {
	b.Helper()
	dir := os.Getenv("HONEYSCOPE_BENCH_STORE")
	if dir == "" {
		b.Skip("set HONEYSCOPE_BENCH_STORE=DIR to build (once) and use the dashboard benchmark store")
	}
	path, err := benchstore.BuildBenchStore(context.Background(), dir)
	if err != nil {
		b.Fatal(err)
	}
	return path
}

// openBenchStore opens the dashboard benchmark's store read-only (see
// benchStorePath), closed when the benchmark ends.
func openBenchStore(b *testing.B) *duckstore.Store {
	b.Helper()
	st, err := duckstore.Open(context.Background(), benchStorePath(b), duckstore.Options{ReadOnly: true})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	return st
}

// processCPU is the user and system CPU time the process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
