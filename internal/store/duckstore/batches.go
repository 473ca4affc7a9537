package duckstore

import (
	"context"
	"fmt"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/honeyscope/honeyscope/internal/store"
)

// Transport batch ids (store.Ingest.BatchID): an ingest that arrived
// through a message bus records the batch it came in, and a batch seen
// before is not applied again. The rows stay when the ingest is removed or
// replaced: they say which batches were applied, not what is stored.
var ingestBatchSchema = []string{
	`CREATE TABLE ingest_batches (id VARCHAR PRIMARY KEY, ingest_id INTEGER, committed_at TIMESTAMP)`,
}

// checkIngestBatch returns store.ErrDuplicate when in's batch was applied
// before, and records it otherwise (in the caller's transaction).
func checkIngestBatch(ctx context.Context, conn *duckdb.Conn, id int32, in *store.Ingest) error {
	if in.BatchID == "" {
		return nil
	}
	if len(in.BatchID) > maxIDLen {
		return fmt.Errorf("batch id of %d bytes (the limit is %d)", len(in.BatchID), maxIDLen)
	}
	n, err := queryInt(ctx, conn, `SELECT count(*) FROM ingest_batches WHERE id = ?`, in.BatchID)
	if err != nil {
		return err
	}
	if n > 0 {
		return store.ErrDuplicate
	}
	return execConn(ctx, conn, `INSERT INTO ingest_batches VALUES (?, ?, ?)`, in.BatchID, id, time.Now().UTC())
}
