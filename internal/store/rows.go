package store

import (
	"encoding/json"
	"fmt"
)

// The backends read a query's result the same way whatever their driver:
// database/sql's *sql.Rows and clickhouse-go's driver.Rows both satisfy
// Rows, and a single row (*sql.Row, driver.Row) satisfies Scanner. What
// turns a row into a value is each backend's; the loop, the closing and
// the error handling around it are here.

// Scanner is one row of a query's result: Scan copies its columns into
// dest, one pointer a column.
type Scanner interface {
	Scan(dest ...any) error
}

// Rows is a query's result, read a row at a time.
type Rows interface {
	Scanner
	Next() bool
	Close() error
	Err() error
}

// EachRow calls fn with every row of rows and closes rows. The first error
// of fn stops it and is returned as fn returned it; else it returns
// rows.Err().
func EachRow(rows Rows, fn func(Scanner) error) error {
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// CollectRows returns what scan makes of every row of rows, in order, and
// closes rows. The first error of scan stops it and is returned (with no
// rows) as scan returned it; else it returns the rows with rows.Err().
func CollectRows[T any](rows Rows, scan func(Scanner) (T, error)) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		x, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, rows.Err()
}

// ScanValue scans a row of one column into a T.
func ScanValue[T any](sc Scanner) (T, error) {
	var v T
	err := sc.Scan(&v)
	return v, err
}

// ScanWrapped is scan with its errors wrapped as "what: err".
func ScanWrapped[T any](what string, scan func(Scanner) (T, error)) func(Scanner) (T, error) {
	return func(sc Scanner) (T, error) {
		x, err := scan(sc)
		if err != nil {
			return x, fmt.Errorf("%s: %w", what, err)
		}
		return x, nil
	}
}

// CollectJSON returns the rows of rows, one JSON text column each,
// decoded into Ts, and closes rows. A row that does not decode is left out
// (a row this build cannot read is no answer). An error scanning stops it
// and is returned as "what: err"; else it returns the values with
// rows.Err().
func CollectJSON[T any](rows Rows, what string) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		var js string
		if err := rows.Scan(&js); err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		var v T
		if err := json.Unmarshal([]byte(js), &v); err != nil {
			continue
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// InChunks calls read with the values of vs as query arguments, at most
// size of them at a time, and returns all it read in order; the first
// error of read stops it and is returned as it is.
func InChunks[V, T any](vs []V, size int, read func(args []any) ([]T, error)) ([]T, error) {
	var out []T
	for lo := 0; lo < len(vs); lo += size {
		part := vs[lo:min(lo+size, len(vs))]
		args := make([]any, len(part))
		for i, v := range part {
			args[i] = v
		}
		got, err := read(args)
		if err != nil {
			return nil, err
		}
		out = append(out, got...)
	}
	return out, nil
}
