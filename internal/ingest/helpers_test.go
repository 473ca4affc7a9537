package ingest

import (
	"context"
	"github.com/honeyscope/honeyscope/internal/store/duckstore"
	"os"
	"testing"

	"github.com/honeyscope/honeyscope/internal/synth"
)

// synthBytes writes a synthetic capture to path and returns its truth and
// its bytes.
func synthBytes(t *testing.T, path string, cfg synth.Config) (*synth.Truth, []byte) {
	t.Helper()
	cfg.Pool = geoPool{}
	truth, err := synth.WriteFile(path, cfg)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return truth, data
}

// storeTotals returns the packets in a store's hit_counts and its number
// of ingests.
func storeTotals(t *testing.T, db string) (packets int64, ingests int) {
	t.Helper()
	st, err := duckstore.Open(context.Background(), db, duckstore.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.DB().QueryRow(`SELECT coalesce(sum(packets), 0) FROM hit_counts`).Scan(&packets); err != nil {
		t.Fatal(err)
	}
	if err := st.DB().QueryRow(`SELECT count(*) FROM ingests`).Scan(&ingests); err != nil {
		t.Fatal(err)
	}
	return packets, ingests
}
