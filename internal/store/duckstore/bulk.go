package duckstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	duckdb "github.com/duckdb/duckdb-go/v2"
)

// Bulk loading. duckdb-go's row appender boxes every value in an interface
// and crosses into C per value; a chunk table function filled with
// duckdb.SetChunkValue writes numbers straight into DuckDB's vectors, and
// `INSERT INTO t SELECT * FROM honeyscope_rows(id)` lets DuckDB insert whole
// chunks. On the 10M-packet benchmark this cut the commit of 2.3M cells
// roughly in half (BENCHMARKS.md).

// bulkRows is one batch of rows offered to DuckDB through honeyscope_rows.
type bulkRows struct {
	cols []duckdb.ColumnInfo
	n    int
	pos  int
	fill func(c duckdb.DataChunk, row, i int) error // write row i into chunk row
}

// ColumnInfos describes the rows' columns to DuckDB.
func (r *bulkRows) ColumnInfos() []duckdb.ColumnInfo { return r.cols }

// Cardinality tells DuckDB how many rows will come.
func (r *bulkRows) Cardinality() *duckdb.CardinalityInfo {
	return &duckdb.CardinalityInfo{Cardinality: uint(r.n), Exact: true}
}

// Init is called by DuckDB before the first chunk.
func (r *bulkRows) Init() {}

// FillChunk writes the next rows into a chunk; a chunk of size 0 ends them.
func (r *bulkRows) FillChunk(c duckdb.DataChunk) error {
	size := min(duckdb.GetDataChunkCapacity(), r.n-r.pos)
	for j := 0; j < size; j++ {
		if err := r.fill(c, j, r.pos+j); err != nil {
			return err
		}
	}
	r.pos += size
	return c.SetSize(size)
}

var (
	bulkSeq      atomic.Int64
	bulkRegistry sync.Map // int64 -> *bulkRows
)

func registerBulk(ctx context.Context, db *sql.DB) error {
	c, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	bigint, err := duckdb.NewTypeInfo(duckdb.TYPE_BIGINT)
	if err != nil {
		return err
	}
	err = duckdb.RegisterTableUDF(c, "honeyscope_rows", duckdb.ChunkTableFunction{
		Config: duckdb.TableFunctionConfig{Arguments: []duckdb.TypeInfo{bigint}},
		BindArguments: func(named map[string]any, args ...any) (duckdb.ChunkTableSource, error) {
			id, _ := args[0].(int64)
			v, ok := bulkRegistry.Load(id)
			if !ok {
				return nil, fmt.Errorf("honeyscope_rows(%d): no such batch", id)
			}
			return v.(*bulkRows), nil
		},
	})
	if err != nil && strings.Contains(err.Error(), "already exists") {
		return nil
	}
	return err
}

func colInfos(spec ...any) ([]duckdb.ColumnInfo, error) {
	var out []duckdb.ColumnInfo
	for i := 0; i < len(spec); i += 2 {
		ti, err := duckdb.NewTypeInfo(spec[i+1].(duckdb.Type))
		if err != nil {
			return nil, err
		}
		out = append(out, duckdb.ColumnInfo{Name: spec[i].(string), T: ti})
	}
	return out, nil
}

// registerRows offers n rows to honeyscope_rows under the returned id until
// release is called.
func registerRows(cols []duckdb.ColumnInfo, n int, fill func(c duckdb.DataChunk, row, i int) error) (id int64, release func()) {
	id = bulkSeq.Add(1)
	bulkRegistry.Store(id, &bulkRows{cols: cols, n: n, fill: fill})
	return id, func() { bulkRegistry.Delete(id) }
}

// bulkInsert inserts n rows into table through honeyscope_rows.
func bulkInsert(ctx context.Context, exec func(string, ...any) error, table string, cols []duckdb.ColumnInfo, n int, fill func(c duckdb.DataChunk, row, i int) error) error {
	return bulkInsertAs(ctx, exec, table, "*", cols, n, fill)
}

// bulkInsertAs is bulkInsert with the select list that turns the rows'
// columns into the table's (constants need not be filled in every row).
func bulkInsertAs(ctx context.Context, exec func(string, ...any) error, table, selectList string, cols []duckdb.ColumnInfo, n int, fill func(c duckdb.DataChunk, row, i int) error) error {
	if n == 0 {
		return nil
	}
	id := bulkSeq.Add(1)
	bulkRegistry.Store(id, &bulkRows{cols: cols, n: n, fill: fill})
	defer bulkRegistry.Delete(id)
	if err := exec(fmt.Sprintf(`INSERT INTO %s SELECT %s FROM honeyscope_rows(%d)`, table, selectList, id)); err != nil {
		return fmt.Errorf("insert %s: %w", table, err)
	}
	return nil
}
