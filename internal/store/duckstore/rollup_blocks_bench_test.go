package duckstore

import (
	"context"
	"os"
	"reflect"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/honeyscope/honeyscope/internal/store"
)

// BenchmarkPortBlocks asks the dashboard's port-total questions of a
// built store ($HONEYSCOPE_BENCH_DB, a schema 18 file such as the
// dashboard benchmark's bench.duckdb, opened read-only; skipped when
// unset) with the blocks ("new") and without them ("old": every day read
// from rollup_day_port, as before schema 18), alternating; it checks that
// both give the same answer and reports each question's median CPU time
// (user + system of the process, DuckDB's threads included) both ways.
func BenchmarkPortBlocks(b *testing.B) {
	path := os.Getenv("HONEYSCOPE_BENCH_DB")
	if path == "" {
		b.Skip("set HONEYSCOPE_BENCH_DB=FILE (a store of schema 18)")
	}
	ctx := context.Background()
	st, err := Open(ctx, path, Options{ReadOnly: true})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	_, to, ok, err := st.DataRange(ctx, nil)
	if err != nil {
		b.Fatal(err)
	}
	if !ok {
		b.Skip("no data")
	}
	qs := []struct {
		name string
		f    func() (any, error)
	}{
		{"topports-35d", func() (any, error) {
			return st.TopKeys(ctx, store.TopKeysQuery{Selection: store.Selection{From: to.AddDays(-34), To: to}, Dim: store.DimPort, N: 30})
		}},
		{"topports-35d-1sensor", func() (any, error) {
			sensors, err := st.Sensors(ctx)
			if err != nil || len(sensors) == 0 {
				return nil, err
			}
			return st.TopKeys(ctx, store.TopKeysQuery{Selection: store.Selection{Sensors: []string{sensors[0].Name}, From: to.AddDays(-34), To: to}, Dim: store.DimPort, N: 30})
		}},
		{"highports-14d", func() (any, error) {
			return st.HighPorts(ctx, store.Selection{From: to.AddDays(-13), To: to}, 1024)
		}},
		{"highports-35d", func() (any, error) {
			return st.HighPorts(ctx, store.Selection{From: to.AddDays(-34), To: to}, 1024)
		}},
	}
	defer func(on bool) { portBlocks = on }(portBlocks)
	cpu := map[string][]time.Duration{}
	answers := map[string]any{}
	for b.Loop() {
		for _, q := range qs {
			for _, mode := range []string{"old", "new"} {
				portBlocks = mode == "new"
				c0 := benchCPU()
				got, err := q.f()
				if err != nil {
					b.Fatalf("%s %s: %v", q.name, mode, err)
				}
				cpu[q.name+"-"+mode] = append(cpu[q.name+"-"+mode], benchCPU()-c0)
				answers[mode] = got
			}
			// The same answer both ways, on the store's real data.
			if !reflect.DeepEqual(answers["old"], answers["new"]) {
				b.Fatalf("%s: with blocks %v, without %v", q.name, answers["new"], answers["old"])
			}
		}
	}
	for name, ds := range cpu {
		b.ReportMetric(float64(median(ds).Milliseconds()), name+"-cpu-ms")
	}
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

// benchCPU is the user and system CPU time the process has used.
func benchCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
