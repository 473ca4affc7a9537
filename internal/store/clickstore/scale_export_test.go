package clickstore

import (
	"context"
	"strings"
)

// Exec runs one statement on st's database ("{db}" in q names it).
func Exec(ctx context.Context, st *Store, q string) error {
	return st.conn.Exec(ctx, strings.ReplaceAll(q, "{db}", st.db))
}

// QueryUint64 runs a query of one UInt64 value on st's database ("{db}"
// in q names it).
func QueryUint64(ctx context.Context, st *Store, q string) (uint64, error) {
	var n uint64
	err := st.conn.QueryRow(ctx, strings.ReplaceAll(q, "{db}", st.db)).Scan(&n)
	return n, err
}

// DBName is the name of st's database.
func DBName(st *Store) string { return st.db }
