package remote

import (
	"context"

	"github.com/honeyscope/honeyscope/internal/store"
)

// statsWire is stats rows by column: gob encodes a []string or []int64
// column several times faster than the same keys as interface values
// (each of which carries its type's name).
type statsWire struct {
	Cols    []statsCol
	Org     []string
	Packets []uint64
	Sources []uint64
	// Raw carries rows whose keys do not line up in columns (not from
	// duckstore, whose rows all have the query's dimensions).
	Raw []store.StatsRow
}

// statsCol is one key column: Strings when every key is a string, Ints
// when every key is an int64, else Any.
type statsCol struct {
	Strings []string
	Ints    []int64
	Any     []any
}

func statsOp(st store.Store, ctx context.Context, q store.StatsQuery) (statsWire, error) {
	rows, err := st.Stats(ctx, q)
	return toStatsWire(rows), err
}

func toStatsWire(rows []store.StatsRow) statsWire {
	var w statsWire
	if len(rows) == 0 {
		return w
	}
	nc := len(rows[0].Keys)
	for _, r := range rows {
		if len(r.Keys) != nc {
			return statsWire{Raw: rows}
		}
	}
	w.Cols = make([]statsCol, nc)
	for c := range w.Cols {
		strs, ints := true, true
		for _, r := range rows {
			_, s := r.Keys[c].(string)
			_, i := r.Keys[c].(int64)
			strs, ints = strs && s, ints && i
		}
		col := &w.Cols[c]
		switch {
		case strs:
			col.Strings = make([]string, len(rows))
			for i, r := range rows {
				col.Strings[i] = r.Keys[c].(string)
			}
		case ints:
			col.Ints = make([]int64, len(rows))
			for i, r := range rows {
				col.Ints[i] = r.Keys[c].(int64)
			}
		default:
			col.Any = make([]any, len(rows))
			for i, r := range rows {
				col.Any[i] = r.Keys[c]
			}
		}
	}
	w.Org = make([]string, len(rows))
	w.Packets = make([]uint64, len(rows))
	w.Sources = make([]uint64, len(rows))
	for i, r := range rows {
		w.Org[i], w.Packets[i], w.Sources[i] = r.Org, r.Packets, r.Sources
	}
	return w
}

func (w *statsWire) rows() []store.StatsRow {
	if w.Raw != nil {
		for i := range w.Raw {
			if w.Raw[i].Keys == nil {
				w.Raw[i].Keys = []any{}
			}
		}
		return w.Raw
	}
	n := len(w.Packets)
	if n == 0 {
		return nil
	}
	rows := make([]store.StatsRow, n)
	keys := make([]any, n*len(w.Cols))
	for i := range rows {
		r := &rows[i]
		r.Keys = keys[i*len(w.Cols) : (i+1)*len(w.Cols) : (i+1)*len(w.Cols)]
		for c, col := range w.Cols {
			switch {
			case i < len(col.Strings):
				r.Keys[c] = col.Strings[i]
			case i < len(col.Ints):
				r.Keys[c] = col.Ints[i]
			case i < len(col.Any):
				r.Keys[c] = col.Any[i]
			}
		}
		if i < len(w.Org) {
			r.Org = w.Org[i]
		}
		r.Packets = w.Packets[i]
		if i < len(w.Sources) {
			r.Sources = w.Sources[i]
		}
	}
	return rows
}
