package duckstore

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkUpdateLinks counts the links of a copy of the store file
// $HONEYSCOPE_BENCH_STORE (skipped when unset) again: every day (as after
// the upgrade to schema 19), the last 7 days and the last day (as after a
// commit of that day), with the longest a writer waited for the write
// lock meanwhile. Figures: BENCHMARKS.md.
func BenchmarkUpdateLinks(b *testing.B) {
	src := os.Getenv("HONEYSCOPE_BENCH_STORE")
	if src == "" {
		b.Skip("set HONEYSCOPE_BENCH_STORE to a store file")
	}
	path := filepath.Join(b.TempDir(), "links.duckdb")
	copyFile(b, src, path)
	ctx := context.Background()
	st, err := Open(ctx, path, Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	var last time.Time
	if err := st.db.QueryRowContext(ctx, `SELECT max(day) FROM rollup_source_day`).Scan(&last); err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name string
		from time.Time
	}{{"all", time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)}, {"week", last.AddDate(0, 0, -6)}, {"day", last}} {
		b.Run(c.name, func(b *testing.B) {
			var maxWait time.Duration
			for b.Loop() {
				if _, err := st.db.ExecContext(ctx, `UPDATE links_state SET from_day = ?`, c.from); err != nil {
					b.Fatal(err)
				}
				// A writer taking the write lock every 10 ms meanwhile:
				// the longest it waited is what a commit waits.
				stop, done := make(chan struct{}), make(chan struct{})
				go func() {
					defer close(done)
					for {
						select {
						case <-stop:
							return
						case <-time.After(10 * time.Millisecond):
						}
						t0 := time.Now()
						if err := st.lockWrites(ctx); err != nil {
							return
						}
						maxWait = max(maxWait, time.Since(t0))
						st.unlockWrites()
					}
				}()
				did, err := st.UpdateLinks(ctx)
				close(stop)
				<-done
				if err != nil || !did {
					b.Fatal(did, err)
				}
			}
			b.ReportMetric(float64(maxWait.Milliseconds()), "max-write-wait-ms")
		})
	}
}

func copyFile(b *testing.B, from, to string) {
	b.Helper()
	in, err := os.Open(from)
	if err != nil {
		b.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		b.Fatal(err)
	}
	if err := out.Close(); err != nil {
		b.Fatal(err)
	}
}
