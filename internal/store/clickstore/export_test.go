package clickstore

import "context"

// WithoutRollups returns a view of st whose reads all scan hits (sharing
// st's connections: close st, not the view).
func WithoutRollups(st *Store) *Store {
	c := *st
	c.noRollups = true
	return &c
}

// OpenUpTo opens a store migrated up to schema version v only.
func OpenUpTo(ctx context.Context, url string, v int) (*Store, error) {
	return Open(ctx, url, Options{upTo: v})
}

// RollupRows counts the rows of a rollup table (committed or not).
func RollupRows(ctx context.Context, st *Store, table string) (uint64, error) {
	var n uint64
	err := st.conn.QueryRow(ctx, `SELECT count() FROM `+st.db+`.`+table).Scan(&n)
	return n, err
}

// RecordBatch records a batch id for tx alone, as a Finish cut short after
// that step would leave it.
func RecordBatch(ctx context.Context, tx *Tx, id string) error { return tx.recordBatch(ctx, id) }
