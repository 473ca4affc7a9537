package duckstore

import (
	"context"
	"os"
	"testing"
)

// BenchmarkVerify verifies the store named by $HONEYSCOPE_BENCH_STORE (a
// large store made beforehand; skipped when unset). Figures: BENCHMARKS.md.
func BenchmarkVerify(b *testing.B) {
	path := os.Getenv("HONEYSCOPE_BENCH_STORE")
	if path == "" {
		b.Skip("set HONEYSCOPE_BENCH_STORE to a store file")
	}
	ctx := context.Background()
	if fi, err := os.Stat(path); err == nil {
		b.SetBytes(fi.Size())
	}
	for b.Loop() {
		// Opened each time: a fresh instance reads (and checks) every
		// block from the file, as an ingest does.
		st, err := Open(ctx, path, Options{ReadOnly: true})
		if err != nil {
			b.Fatal(err)
		}
		if err := st.Verify(ctx); err != nil {
			b.Fatal(err)
		}
		st.Close()
	}
}
