package duckstore_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/honeyscope/honeyscope/internal/store/duckstore"
	"github.com/honeyscope/honeyscope/internal/store/storetest/contract"
)

// TestContractClickHouse runs the store contract from this side: the
// DuckDB store, written in small parts, must agree with the ClickHouse
// store on every read (it skips without $HONEYSCOPE_CLICKHOUSE), so that
// a change here that breaks the agreement fails here too.
func TestContractClickHouse(t *testing.T) {
	ch := contract.ClickHouse(t, "")
	dir := t.TempDir()
	duck, err := duckstore.Open(context.Background(), filepath.Join(dir, "s.duckdb"), duckstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer duck.Close()
	contract.Run(t, dir, duck, ch, 3000, 0)
}
