package report

import (
	"slices"
	"strconv"

	"github.com/honeyscope/honeyscope/internal/analysis"
	"github.com/honeyscope/honeyscope/internal/chart"
	"github.com/honeyscope/honeyscope/internal/geo"
	"github.com/honeyscope/honeyscope/internal/period"
)

// prepareTops ranks every class's countries, ports and ASes by packets
// over the period and reads the distinct sources of the top 10 of each in
// one query.
func (b *builder) prepareTops() {
	tabs, err := b.v.Tops(b.ctx, 10)
	if err != nil {
		b.warnings = append(b.warnings, err.Error())
	}
	b.tops = map[[2]string]period.TopTable{}
	for _, t := range tabs {
		b.tops[[2]string{t.Class, t.Dim}] = t
	}
}

// topTables writes the class's top-10 countries, ports and ASes by packets.
func (b *builder) topTables(class string) {
	b.d.h3(class+"-top", b.tr("topTables"))
	for _, dim := range []string{analysis.DimCountry, analysis.DimPort, analysis.DimASN} {
		head := b.tr(dim)
		t := &table{name: class + "-top-" + dim, caption: b.className(class) + " · " + head,
			numeric: []bool{true, false, false, true, true, true},
			head:    []string{b.tr("rank"), head, "", b.tr("packets"), b.tr("share"), b.tr("sources")},
			csvHead: []string{"rank", dim, "name", "packets", "share", "sources"}}
		switch dim {
		case analysis.DimCountry:
			t.head[2] = ""
		case analysis.DimASN:
			t.head[2] = b.tr("org")
		default:
			t.head = slices.Delete(t.head, 2, 3)
			t.numeric = slices.Delete(t.numeric, 2, 3)
		}
		for i, r := range b.tops[[2]string{class, dim}].Rows {
			name := ""
			switch dim {
			case analysis.DimCountry:
				name = geo.CountryName(r.Key, b.lang)
			case analysis.DimASN:
				name = b.v.Orgs[r.Key]
				if r.Key == "AS0" {
					name = b.tr("unknownAS")
				}
			}
			p, share, s := r.Packets, r.Share, r.Sources
			cells := []string{strconv.Itoa(i + 1), analysis.DefaultName(dim, r.Key)}
			if dim != analysis.DimPort {
				cells = append(cells, chart.Shorten(name, 48))
			}
			cells = append(cells, chart.FormatCount(p), strconv.FormatFloat(share*100, 'f', 1, 64)+"%", chart.FormatCount(s))
			t.rows = append(t.rows, cells)
			t.csvRows = append(t.csvRows, []string{strconv.Itoa(i + 1), r.Key, name, num(p), num(share), num(s)})
		}
		if len(t.rows) > 0 {
			b.addTable(t)
		}
	}
}
