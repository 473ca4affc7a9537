package duckstore

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/honeyscope/honeyscope/internal/store"
)

// TestWriteThreads checks that Options.WriteThreads holds while a Tx is
// open and that DuckDB's own setting is back after Finish and after Abort.
func TestWriteThreads(t *testing.T) {
	ctx := context.Background()
	st, err := Open(ctx, filepath.Join(t.TempDir(), "t.duckdb"), Options{WriteThreads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	threads := func() int {
		var n int
		if err := st.DB().QueryRowContext(ctx, `SELECT current_setting('threads')`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	def := threads()
	if def == 1 {
		st.DB().ExecContext(ctx, `SET threads = 3`)
		if def = threads(); def != 3 {
			t.Skipf("cannot set a default of more than one thread (%d)", def)
		}
		st.DB().ExecContext(ctx, `RESET threads`)
		def = threads()
	}
	w := newRandomWorld(1)
	for i, finish := range []bool{true, false} {
		tx, err := st.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n := threads(); n != 1 {
			t.Errorf("threads during a Tx: %d, want 1", n)
		}
		b := w.batch("a", "sha256:"+string(rune('a'+i)))
		if err := tx.Append(ctx, b.Result, b.Places, "a", nil); err != nil {
			t.Fatal(err)
		}
		if finish {
			err = tx.Finish(ctx, b.Ingest, false, store.Sensor{Name: "a"})
		} else {
			err = tx.Abort()
		}
		if err != nil {
			t.Fatal(err)
		}
		if n := threads(); n != def {
			t.Errorf("threads after the Tx (finish %v): %d, want DuckDB's default %d", finish, n, def)
		}
	}
}
