package duckstore

import (
	"context"
	"slices"
	"strings"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/honeyscope/honeyscope/internal/aggregate"
	"github.com/honeyscope/honeyscope/internal/civil"
	"github.com/honeyscope/honeyscope/internal/classify"
)

// Port blocks summed in Go. For the days a Tx counts itself, the packets
// its port blocks gain (rollup_blocks.go) are those of the rollup_day_port
// rows it writes; addPortBlocks used to group them again from the table
// at Finish (1.24 M rows for a 10 M-packet week). The Tx adds each part's
// port rows to its block's sums as it writes them, and Finish inserts the
// sums. A block with a day recounted by SQL at Finish (a dirty day) is
// grouped from the table as before, its sums dropped.

// goBlock is a block's packets per class, protocol and port, from the
// port rows the Tx wrote.
type goBlock struct {
	// dense: TCP and UDP (index class<<17 | udp<<16 | port); other
	// protocols by class<<24 | proto<<16 | port.
	dense []uint64
	other map[uint32]uint64
	days  map[aggregate.Day]bool // the days whose rows are summed
}

// addBlockPorts adds the port rows a part wrote for day d to its block.
func (t *Tx) addBlockPorts(d aggregate.Day, rows []portRow) {
	if t.blocks == nil {
		t.blocks = map[civil.Day]*goBlock{}
	}
	b := blockOf(civil.Day(d))
	g := t.blocks[b]
	if g == nil {
		g = &goBlock{dense: make([]uint64, nClasses<<17), other: map[uint32]uint64{}, days: map[aggregate.Day]bool{}}
		t.blocks[b] = g
	}
	g.days[d] = true
	for i := range rows {
		p := &rows[i]
		switch p.proto {
		case 6:
			g.dense[int(p.class)<<17|int(p.port)] += p.n.packets
		case 17:
			g.dense[int(p.class)<<17|1<<16|int(p.port)] += p.n.packets
		default:
			g.other[p.key()] += p.n.packets
		}
	}
}

// goBlockDays returns the days of own (the Tx's own days, not adopted)
// whose block sums hold them, and writes those sums into the temporary
// table block_go (block, class, proto, port, packets); false when there
// are none.
func (t *Tx) goBlockDays(ctx context.Context, exec func(string, ...any) error, own map[aggregate.Day]bool) (map[aggregate.Day]bool, bool, error) {
	type row struct {
		block civil.Day
		key   uint32 // class<<24 | proto<<16 | port
		pk    uint64
	}
	var rows []row
	covered := map[aggregate.Day]bool{}
	blocks := make([]civil.Day, 0, len(t.blocks))
	for b := range t.blocks {
		blocks = append(blocks, b)
	}
	slices.Sort(blocks)
next:
	for _, b := range blocks {
		g := t.blocks[b]
		for d := range g.days {
			if gd := t.goDays[d]; !own[d] || gd == nil || gd.dirty {
				continue next
			}
		}
		for d := range g.days {
			covered[d] = true
		}
		for i, pk := range g.dense {
			if pk != 0 {
				proto := uint32(6)
				if i&(1<<16) != 0 {
					proto = 17
				}
				rows = append(rows, row{b, uint32(i>>17)<<24 | proto<<16 | uint32(i&0xffff), pk})
			}
		}
		for k, pk := range g.other {
			rows = append(rows, row{b, k, pk})
		}
	}
	t.blocks = nil
	if len(covered) == 0 {
		return nil, false, nil
	}
	names := classify.Names()
	lits := make([]string, len(names))
	for i, n := range names {
		lits[i] = sqlString(n)
	}
	if err := exec(`CREATE OR REPLACE TEMP TABLE block_go (block DATE, class VARCHAR, proto UTINYINT, port USMALLINT, packets UBIGINT)`); err != nil {
		return nil, false, err
	}
	cols, err := colInfos("block", duckdb.TYPE_INTEGER, "class", duckdb.TYPE_UTINYINT, "proto", duckdb.TYPE_UTINYINT,
		"port", duckdb.TYPE_USMALLINT, "packets", duckdb.TYPE_UBIGINT)
	if err != nil {
		return nil, false, err
	}
	sel := "DATE '1970-01-01' + block, [" + strings.Join(lits, ", ") + "][class + 1], proto, port, packets"
	err = bulkInsertAs(ctx, exec, "block_go", sel, cols, len(rows), func(c duckdb.DataChunk, n, i int) error {
		r := &rows[i]
		if err := duckdb.SetChunkValue(c, 0, n, int32(r.block)); err != nil {
			return err
		}
		duckdb.SetChunkValue(c, 1, n, uint8(r.key>>24))
		duckdb.SetChunkValue(c, 2, n, uint8(r.key>>16))
		duckdb.SetChunkValue(c, 3, n, uint16(r.key))
		return duckdb.SetChunkValue(c, 4, n, r.pk)
	})
	if err != nil {
		return nil, false, err
	}
	return covered, true, nil
}
