package duckstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// ErrCorrupt is wrapped by the error Verify returns when a block of the
// store file fails its checksum (or cannot be read back at all).
var ErrCorrupt = errors.New("a block of the file fails its checksum")

// Verify reads every stored value of every table, so that DuckDB loads each
// data block of the file and checks its checksum. DuckDB verifies a block's
// checksum only when it reads the block, and reads a data block only when a
// query needs its column: a damaged block can sit unnoticed while ingests
// append to the store (they read only the catalog, the indexes and the
// tables' last row groups) until a later query trips over it. Ingest calls
// Verify before writing so that it refuses a damaged store instead of adding
// to it.
//
// Its cost is one scan of every column of the store (docs/store.md has the
// figures); the catalog and the free list were read and checked by Open.
// The error wraps ErrCorrupt when DuckDB reports a checksum mismatch or
// another read failure of the file.
func (s *Store) Verify(ctx context.Context) error {
	tables, err := s.tableColumns(ctx)
	if err != nil {
		return fmt.Errorf("store %s: verify: %w", s.path, err)
	}
	for _, t := range tables {
		q := verifyQuery(t.name, t.cols)
		var sink any
		if err := s.db.QueryRowContext(ctx, q).Scan(&sink); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if IsCorruption(err) {
				return fmt.Errorf("store %s: table %s: %w: %v", s.path, t.name, ErrCorrupt, err)
			}
			return fmt.Errorf("store %s: verify table %s: %w", s.path, t.name, err)
		}
	}
	return nil
}

type tableCols struct {
	name string
	cols []string
}

// tableColumns lists the store's own tables and their columns, whatever
// the schema version (migrations add tables).
func (s *Store) tableColumns(ctx context.Context) ([]tableCols, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT table_name, column_name FROM duckdb_columns()
		WHERE database_name = current_database() AND schema_name = 'main' AND NOT internal
		  AND table_name IN (SELECT table_name FROM duckdb_tables()
		                     WHERE database_name = current_database() AND schema_name = 'main' AND NOT temporary)
		ORDER BY table_name, column_index`)
	if err != nil {
		if IsCorruption(err) {
			return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
		}
		return nil, err
	}
	defer rows.Close()
	var out []tableCols
	for rows.Next() {
		var tn, cn string
		if err := rows.Scan(&tn, &cn); err != nil {
			return nil, err
		}
		if len(out) == 0 || out[len(out)-1].name != tn {
			out = append(out, tableCols{name: tn})
		}
		out[len(out)-1].cols = append(out[len(out)-1].cols, cn)
	}
	return out, rows.Err()
}

// verifyQuery is a query that must read every value of every column of
// table: a hash of each row combined into one number. (count(col) is not
// enough: DuckDB answers it from the statistics when a column has no NULLs,
// without reading the column.)
func verifyQuery(table string, cols []string) string {
	q := make([]string, len(cols))
	for i, c := range cols {
		q[i] = quoteIdent(c)
	}
	return `SELECT bit_xor(hash(` + strings.Join(q, ", ") + `)) FROM ` + quoteIdent(table)
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// IsCorruption reports whether a DuckDB error says the store file could
// not be read back as written (a block failed its checksum).
func IsCorruption(err error) bool {
	m := err.Error()
	return strings.Contains(m, "Corrupt database file") || strings.Contains(m, "checksum")
}
