package period

import (
	"cmp"
	"context"
	"slices"

	"github.com/honeyscope/honeyscope/internal/analysis"
	"github.com/honeyscope/honeyscope/internal/store"
)

// TopRow is one key of a top table.
type TopRow struct {
	Key     string
	Packets float64
	// Share is Packets over the table's Total.
	Share float64
	// Sources is the exact number of distinct sources of the key over the
	// period (never a sum of daily counts).
	Sources float64
}

// TopTable is the top keys of one class and dimension over a period, by
// packets.
type TopTable struct {
	Class, Dim string
	// Total is the class's packets over the period, every key of the
	// dimension included.
	Total float64
	Rows  []TopRow
}

// TopQuery selects top tables.
type TopQuery struct {
	Range   Range
	Dims    []string // nil: country, port and asn
	Classes []string // nil: all
	N       int      // keys per table (default 10)
}

// TopKeys returns the N keys with most packets of each class and dimension
// over q.Range, with their share and exact distinct sources, ordered by
// class (display order) and dimension as asked.
func (s *Source) TopKeys(ctx context.Context, q TopQuery) ([]TopTable, error) {
	dims := q.Dims
	if len(dims) == 0 {
		dims = []string{analysis.DimCountry, analysis.DimPort, analysis.DimASN}
	}
	byDim := map[string][]analysis.Series{}
	for _, dim := range dims {
		sq := SeriesQuery{Range: q.Range, Dim: dim, Classes: q.Classes}
		if dim == analysis.DimPort || dim == analysis.DimASN {
			sq.Keep = SeriesKeep
		}
		ss, err := s.Series(ctx, sq)
		if err != nil {
			return nil, err
		}
		byDim[dim] = ss
	}
	return s.topTables(ctx, q.Range, dims, byDim, func(v []float64) []float64 { return v }, q.N)
}

// Tops is TopKeys over the view's series: the n (default 10) keys of each
// class by country, port and AS. When the distinct sources cannot be read
// the tables are returned with the error.
func (v *View) Tops(ctx context.Context, n int) ([]TopTable, error) {
	dims := []string{analysis.DimCountry, analysis.DimPort, analysis.DimASN}
	byDim := map[string][]analysis.Series{
		analysis.DimCountry: Merge(v.Country), analysis.DimPort: Merge(v.Port),
		analysis.DimASN: Merge(v.ASN), // one row per AS, whatever the sensors
	}
	return v.src.topTables(ctx, v.Range, dims, byDim, v.Cut, n)
}

func (s *Source) topTables(ctx context.Context, r Range, dims []string, byDim map[string][]analysis.Series,
	cut func([]float64) []float64, n int) ([]TopTable, error) {
	if n <= 0 {
		n = 10
	}
	var out []TopTable
	for _, dim := range dims {
		tabs := map[string]*TopTable{}
		for _, x := range byDim[dim] {
			t := tabs[x.Class]
			if t == nil {
				t = &TopTable{Class: x.Class, Dim: dim}
				tabs[x.Class] = t
			}
			p := Sum(cut(x.Values))
			t.Total += p
			if p > 0 && !IsOther(x.Key) {
				t.Rows = append(t.Rows, TopRow{Key: x.Key, Packets: p})
			}
		}
		for _, t := range tabs {
			slices.SortFunc(t.Rows, func(a, c TopRow) int { return cmp.Or(cmp.Compare(c.Packets, a.Packets), cmp.Compare(a.Key, c.Key)) })
			t.Rows = t.Rows[:min(n, len(t.Rows))]
			for i := range t.Rows {
				if t.Total > 0 {
					t.Rows[i].Share = t.Rows[i].Packets / t.Total
				}
			}
			if len(t.Rows) > 0 {
				out = append(out, *t)
			}
		}
	}
	slices.SortStableFunc(out, func(a, b TopTable) int {
		return cmp.Or(cmp.Compare(classOrder(a.Class), classOrder(b.Class)), cmp.Compare(a.Class, b.Class),
			cmp.Compare(slices.Index(dims, a.Dim), slices.Index(dims, b.Dim)))
	})
	// The distinct sources of every row, in one query.
	var qs []store.KeyDays
	var at [][2]int
	for ti, t := range out {
		dim, err := storeDim(t.Dim)
		if err != nil || dim == DimSensor {
			continue
		}
		for ri, row := range t.Rows {
			k, err := parseKey(t.Dim, row.Key)
			if err != nil {
				continue
			}
			qs = append(qs, store.KeyDays{Class: t.Class, Dim: dim, Key: k, From: r.From, To: r.To})
			at = append(at, [2]int{ti, ri})
		}
	}
	if len(qs) == 0 {
		return out, nil
	}
	got, err := s.r.DistinctSources(ctx, s.sensors, qs)
	if err != nil {
		return out, err
	}
	for i, a := range at {
		out[a[0]].Rows[a[1]].Sources = got[i]
	}
	return out, nil
}
