package duckstore_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/honeyscope/honeyscope/internal/store/duckstore"
	"github.com/honeyscope/honeyscope/internal/store/storetest/contract"
)

// TestEvidenceContract runs the evidence contract (contract.RunEvidence)
// on a DuckDB store.
func TestEvidenceContract(t *testing.T) {
	st, err := duckstore.Open(context.Background(), filepath.Join(t.TempDir(), "s.duckdb"), duckstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	contract.RunEvidence(t, st)
}
