package duckstore

import (
	"context"
	"database/sql/driver"
	"fmt"
	"slices"
	"strings"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/honeyscope/honeyscope/internal/aggregate"
	"github.com/honeyscope/honeyscope/internal/classify"
	"github.com/honeyscope/honeyscope/internal/store"
)

// Rollups computed in Go from the part being appended.
//
// A commit that adds the first rows of a (sensor, day) (no other ingest has
// rows there) need not ask DuckDB to aggregate what it has just inserted:
// the part in memory already holds every row of that day, grouped by source,
// protocol and port. Its rollup rows are computed here in one pass over the
// part's cells and appended with the bulk loader, which costs far less CPU
// and memory than the SQL aggregations (BENCHMARKS.md, "Ingest with
// rollups"). The counts are the same: a key's packets are the sum of the
// cells carrying its class, its sources the number of distinct source keys
// among them.
//
// A day another ingest already covers is counted by SQL at Finish
// (addIngestRollups), since its distinct counts depend on the earlier rows.
// A day that a later part of the same capture touches again stays exact in
// Go: the Tx keeps, per day, the source keys and the (source, protocol,
// port) cells it has counted with their classes, and a later part adds to a
// distinct count only the classes a source or cell was not counted with
// before (a large day cut into parts by size repeats many sources). When
// the kept state grows past goRollupStateCap, or a part holds two addresses
// of one key (an IPv6 key collision), the day is recounted by SQL at Finish
// instead (refreshSensorDays), as a replacement's days are.

// goRollupStateCap bounds the bytes of state a Tx keeps to check later
// parts against (9 bytes per source key, 16 per source-port cell). Beyond it
// the state of days the current part does not touch is dropped; a part
// that comes back to such a day has it recounted.
const goRollupStateCap = 256 << 20

// goDay is the state of a (sensor, day) whose rollups the Tx writes itself:
// which sources, and which (source, protocol, port) cells, have been
// counted with which classes, so that a later part adds to a distinct
// count only what is new to it.
type goDay struct {
	keys    []uint64   // sorted source keys counted so far
	masks   []uint8    // the classes each of keys was counted with
	pl      []uint32   // the place (country, AS: Tx.placeID) each of keys was counted in
	cells   []seenCell // sorted cells counted, as of the last merge
	pending []seenCell // cells counted since, in no order
	dropped bool       // state dropped (goRollupStateCap)
	dirty   bool       // must be recounted at Finish
	// stored: cells and pending were let go (retireDays); they are the
	// Tx's hit_counts rows of the day, read back if the day returns.
	stored bool
}

// seenCell is a (source key, protocol, port) counted with some classes.
type seenCell struct {
	key     uint64
	pp      uint32 // proto<<16 | port
	classes uint8
}

func (g *goDay) size() int { return 13*len(g.keys) + 16*(len(g.cells)+len(g.pending)) }

func (g *goDay) drop() {
	g.keys, g.masks, g.pl, g.cells, g.pending = nil, nil, nil, nil, nil
}

// mergeCells sorts the pending cells into cells.
func (g *goDay) mergeCells() {
	if len(g.pending) == 0 {
		return
	}
	p := g.pending
	sortCells(p, func(c *seenCell) *seenCell { return c })
	out := make([]seenCell, 0, len(g.cells)+len(p))
	i, j := 0, 0
	for i < len(g.cells) || j < len(p) {
		var c seenCell
		switch {
		case j == len(p) || i < len(g.cells) && cmpCell(g.cells[i], p[j]) < 0:
			c = g.cells[i]
			i++
		default:
			c = p[j]
			j++
		}
		if n := len(out); n > 0 && out[n-1].key == c.key && out[n-1].pp == c.pp {
			out[n-1].classes |= c.classes
			continue
		}
		out = append(out, c)
	}
	g.cells, g.pending = out, nil
}

func cmpCell(a, b seenCell) int {
	switch {
	case a.key != b.key:
		if a.key < b.key {
			return -1
		}
		return 1
	case a.pp != b.pp:
		if a.pp < b.pp {
			return -1
		}
		return 1
	}
	return 0
}

// goPlan is what planGoRollups decided for one part.
type goPlan struct {
	days  map[aggregate.Day]*goDay // days this part adds in Go
	again []bool                   // per source of the part: counted in an earlier part
	prior []uint8                  // per source: the classes it was counted with there
}

// planGoRollups sorts a part's days into those whose rollups the Tx writes
// in Go and those left to SQL at Finish, updating the Tx's state. It
// returns the days this part adds in Go, and which of its sources earlier
// parts have counted.
func (t *Tx) planGoRollups(ctx context.Context, conn *duckdb.Conn, r *aggregate.Result, places []store.Place, keys []uint64) (*goPlan, error) {
	if t.goDays == nil {
		t.goDays = map[aggregate.Day]*goDay{}
		t.sqlDays = map[aggregate.Day]bool{}
	}
	perDay := map[aggregate.Day][]uint32{}
	for i := range r.Sources {
		d := r.Sources[i].Day
		perDay[d] = append(perDay[d], uint32(i))
	}
	// Days new to the Tx: does another ingest of the sensor have rows there?
	var fresh []aggregate.Day
	for d := range perDay {
		if _, ok := t.goDays[d]; !ok && !t.sqlDays[d] {
			fresh = append(fresh, d)
		}
	}
	if len(fresh) > 0 {
		slices.Sort(fresh)
		dl := make([]string, len(fresh))
		for i, d := range fresh {
			dl[i] = "DATE '" + d.Time().Format("2006-01-02") + "'"
		}
		// The ingests with rows there, in order (a carried state counts
		// exactly those, rollup_carry.go).
		older := map[aggregate.Day][]int32{}
		err := connRunner{ctx, conn}.query(`SELECT DISTINCT day, ingest_id FROM sources WHERE sensor = ? AND ingest_id <> ? AND day IN (`+strings.Join(dl, ", ")+`) ORDER BY 1, 2`,
			[]any{t.sensor, t.id}, func(v []driver.Value) error {
				tm, ok := v[0].(time.Time)
				if !ok {
					return fmt.Errorf("sources.day is %T", v[0])
				}
				id, ok := v[1].(int32)
				if !ok {
					return fmt.Errorf("sources.ingest_id is %T", v[1])
				}
				d := aggregate.DayOf(tm, time.UTC)
				older[d] = append(older[d], id)
				return nil
			})
		if err != nil {
			return nil, fmt.Errorf("days already stored: %w", err)
		}
		for _, d := range fresh {
			switch ids := older[d]; {
			case len(ids) == 0:
				t.goDays[d] = &goDay{}
			case t.keep:
				g := t.adopt(d, ids)
				if g == nil {
					if g, err = t.loadState(ctx, conn, d, ids); err != nil {
						return nil, fmt.Errorf("rollup state of %s: %w", d.Time().Format("2006-01-02"), err)
					}
				}
				if g == nil {
					t.sqlDays[d] = true
					break
				}
				t.goDays[d] = g
				t.goState += g.size()
			default:
				t.sqlDays[d] = true
			}
		}
	}
	// The place each source is counted in here.
	pid := make([]uint32, len(r.Sources))
	for i := range places {
		pid[i] = t.placeID(places[i])
	}
	// The classes each source is counted with here: those of its cells.
	mask := make([]uint8, len(r.Sources))
	for i := range r.Hits {
		mask[r.Hits[i].Source] |= uint8(r.Hits[i].Tags)
	}
	t.retireDays(perDay)
	plan := &goPlan{days: map[aggregate.Day]*goDay{}}
	for d, idx := range perDay {
		g := t.goDays[d]
		if g == nil || g.dirty {
			continue
		}
		radixSort(idx, func(i *uint32) uint64 { return keys[*i] })
		unique := true
		for i := 1; i < len(idx); i++ {
			if keys[idx[i]] == keys[idx[i-1]] {
				unique = false
				break
			}
		}
		if g.dropped || !unique {
			// State gone, or two addresses of one key in a part (an
			// IPv6 key collision): recount the day at Finish.
			t.goState -= g.size()
			g.dirty = true
			g.drop()
			continue
		}
		if err := t.recallCells(ctx, conn, d, g); err != nil {
			return nil, fmt.Errorf("rollup state of %s: %w", d.Time().Format("2006-01-02"), err)
		}
		before := g.size()
		nk := make([]uint64, 0, len(g.keys)+len(idx))
		nm := make([]uint8, 0, len(g.keys)+len(idx))
		np := make([]uint32, 0, len(g.keys)+len(idx))
		moved := false
		i, j := 0, 0
		for i < len(g.keys) || j < len(idx) {
			switch {
			case j == len(idx) || i < len(g.keys) && g.keys[i] < keys[idx[j]]:
				nk, nm, np = append(nk, g.keys[i]), append(nm, g.masks[i]), append(np, g.pl[i])
				i++
			case i < len(g.keys) && g.keys[i] == keys[idx[j]]:
				s := idx[j]
				if g.pl[i] != pid[s] {
					// Counted in another country or AS before: its
					// distinct counts there are not those here.
					moved = true
				}
				if plan.again == nil {
					plan.again = make([]bool, len(r.Sources))
					plan.prior = make([]uint8, len(r.Sources))
				}
				plan.again[s], plan.prior[s] = true, g.masks[i]
				nk, nm, np = append(nk, g.keys[i]), append(nm, g.masks[i]|mask[s]), append(np, g.pl[i])
				i++
				j++
			default:
				nk, nm, np = append(nk, keys[idx[j]]), append(nm, mask[idx[j]]), append(np, pid[idx[j]])
				j++
			}
		}
		if moved {
			// A source in two places: recount the day at Finish.
			t.goState -= g.size()
			g.dirty = true
			g.drop()
			continue
		}
		g.keys, g.masks, g.pl = nk, nm, np
		t.goState += g.size() - before
		plan.days[d] = g
	}
	if t.goState > goRollupStateCap {
		for d, g := range t.goDays {
			if _, here := perDay[d]; !here && g.keys != nil {
				t.goState -= g.size()
				g.drop()
				g.dropped = true
			}
		}
	}
	return plan, nil
}

// classCount is one rollup key's packets and distinct sources.
type classCount struct {
	packets uint64
	sources uint64
}

// perClass are the counts of one key for each class.
type perClass [nClasses]classCount

// goRollupDay is what one day of one part adds to the rollups.
type goRollupDay struct {
	day     time.Time
	total   perClass
	country map[string]*perClass
	asn     map[uint32]*perClass
	// ports: TCP and UDP in dense tables (index class<<17 | udp<<16 | port),
	// other protocols in a map keyed by class<<24 | proto<<16 | port.
	dense []classCount
	other map[uint32]*classCount
	// ports: the day's rollup_day_port rows as write wrote them.
	ports []portRow
}

// portRow is one rollup_day_port row of a part's day.
type portRow struct {
	class uint8
	proto uint8
	port  uint16
	n     classCount
}

// key orders port rows by class, protocol and port.
func (p portRow) key() uint32 { return uint32(p.class)<<24 | uint32(p.proto)<<16 | uint32(p.port) }

// sourceDayRow is one rollup_source_day row.
type sourceDayRow struct {
	src     uint32
	classes uint8
	packets uint64
}

// writeGoRollups computes and appends the rollup rows of part r for the
// days of plan (see planGoRollups), adding the part's cells to each day's
// state. Hits must come grouped by source and, in a source, by protocol and
// port (the order aggregate produces); another order is sorted first.
func (t *Tx) writeGoRollups(ctx context.Context, exec func(string, ...any) error, r *aggregate.Result, places []store.Place,
	keys []uint64, sensor string, plan *goPlan) error {
	if len(plan.days) == 0 {
		return nil
	}
	hits := r.Hits
	cmp := func(x, y aggregate.Hit) int {
		if x.Source != y.Source {
			return int(int64(x.Source) - int64(y.Source))
		}
		if x.Proto != y.Proto {
			return int(x.Proto) - int(y.Proto)
		}
		return int(x.Port) - int(y.Port)
	}
	if !slices.IsSortedFunc(hits, cmp) {
		hits = slices.Clone(hits)
		slices.SortStableFunc(hits, cmp)
	}
	// Days in order, each with its index.
	days := make([]aggregate.Day, 0, len(plan.days))
	for d := range plan.days {
		days = append(days, d)
	}
	slices.Sort(days)
	dayIdx := make(map[aggregate.Day]int, len(days))
	for i, d := range days {
		dayIdx[d] = i
	}
	srcDay := make([]int32, len(r.Sources)) // day index, -1: not counted here
	for i := range r.Sources {
		if k, ok := dayIdx[r.Sources[i].Day]; ok {
			srcDay[i] = int32(k)
		} else {
			srcDay[i] = -1
		}
	}
	// Hits of each day, in their order (a counting sort by day).
	start := make([]int, len(days)+1)
	for i := range hits {
		if k := srcDay[hits[i].Source]; k >= 0 {
			start[k+1]++
		}
	}
	for k := 1; k <= len(days); k++ {
		start[k] += start[k-1]
	}
	order := make([]uint32, start[len(days)])
	fill := slices.Clone(start[:len(days)])
	for i := range hits {
		if k := srcDay[hits[i].Source]; k >= 0 {
			order[fill[k]] = uint32(i)
			fill[k]++
		}
	}
	acc := &goRollupDay{dense: make([]classCount, nClasses<<17)}
	var srcRows []sourceDayRow
	for k, d := range days {
		g := plan.days[d]
		acc.reset(d.Time())
		srcRows = srcRows[:0]
		idx := order[start[k]:start[k+1]]
		before := g.size()
		var cellPrior []uint8
		if plan.again != nil {
			cellPrior = g.priorCells(hits, idx, keys, plan.again)
		}
		acc.count(hits, idx, places, &srcRows, keys, plan, cellPrior, g)
		t.goState += g.size() - before
		if err := acc.write(ctx, exec, sensor, srcRows, keys, places); err != nil {
			return fmt.Errorf("rollups of sensor %q, %s: %w", sensor, d.Time().Format("2006-01-02"), err)
		}
		t.addDayPorts(d, acc.ports)
	}
	return nil
}

// priorCells returns, for each (source, protocol, port) group of hits idx
// whose source an earlier part counted (in the order count meets them),
// the classes the cell was counted with there.
func (g *goDay) priorCells(hits []aggregate.Hit, idx []uint32, keys []uint64, again []bool) []uint8 {
	type probe struct {
		c   seenCell
		ord int
	}
	var probes []probe
	for e := 0; e < len(idx); {
		h := &hits[idx[e]]
		if again[h.Source] {
			probes = append(probes, probe{seenCell{key: keys[h.Source], pp: uint32(h.Proto)<<16 | uint32(h.Port)}, len(probes)})
		}
		for e++; e < len(idx); e++ {
			x := &hits[idx[e]]
			if x.Source != h.Source || x.Proto != h.Proto || x.Port != h.Port {
				break
			}
		}
	}
	if len(probes) == 0 {
		return nil
	}
	g.mergeCells()
	sortCells(probes, func(p *probe) *seenCell { return &p.c })
	out := make([]uint8, len(probes))
	i := 0
	for _, p := range probes {
		for i < len(g.cells) && cmpCell(g.cells[i], p.c) < 0 {
			i++
		}
		if i < len(g.cells) && cmpCell(g.cells[i], p.c) == 0 {
			out[p.ord] = g.cells[i].classes
		}
	}
	return out
}

func (a *goRollupDay) reset(day time.Time) {
	a.day = day
	a.total = perClass{}
	a.country = map[string]*perClass{}
	a.asn = map[uint32]*perClass{}
	clear(a.dense)
	a.other = map[uint32]*classCount{}
	a.ports = nil
}

func (a *goRollupDay) port(c int, proto uint8, port uint16) *classCount {
	switch proto {
	case 6:
		return &a.dense[c<<17|int(port)]
	case 17:
		return &a.dense[c<<17|1<<16|int(port)]
	}
	k := uint32(c)<<24 | uint32(proto)<<16 | uint32(port)
	p := a.other[k]
	if p == nil {
		p = &classCount{}
		a.other[k] = p
	}
	return p
}

// count adds the hits idx (of one day, grouped by source, protocol and
// port) and appends the day's rollup_source_day rows to rows. A source
// that an earlier part counted (plan.again) adds to a distinct count only
// for classes it was not counted with there: plan.prior for the day's
// keys, cellPrior (priorCells) for its ports. Every cell is added to g.
func (a *goRollupDay) count(hits []aggregate.Hit, idx []uint32, places []store.Place, rows *[]sourceDayRow,
	keys []uint64, plan *goPlan, cellPrior []uint8, g *goDay) {
	var bySet [256]uint64 // packets per class set of the current source
	var used [256]bool
	var sets []uint8 // class sets the current source used
	var srcTags uint8
	var srcPk perClass // packets per class of the current source
	ord := 0           // groups of sources counted before, so far
	endSource := func(src uint32) {
		for _, s := range sets {
			*rows = append(*rows, sourceDayRow{src: src, classes: s, packets: bySet[s]})
			bySet[s], used[s] = 0, false
		}
		sets = sets[:0]
		pl := &places[src]
		ctry := a.country[pl.Country]
		if ctry == nil {
			ctry = &perClass{}
			a.country[pl.Country] = ctry
		}
		asn := a.asn[pl.ASN]
		if asn == nil {
			asn = &perClass{}
			a.asn[pl.ASN] = asn
		}
		var seen uint8
		if plan.again != nil && plan.again[src] {
			seen = plan.prior[src]
		}
		for c := 0; c < nClasses; c++ {
			if srcTags&(1<<c) == 0 {
				continue
			}
			pk := srcPk[c].packets
			for _, p := range []*perClass{&a.total, ctry, asn} {
				p[c].packets += pk
				if seen&(1<<c) == 0 {
					p[c].sources++
				}
			}
		}
		srcTags, srcPk = 0, perClass{}
	}
	for gi := 0; gi < len(idx); {
		first := &hits[idx[gi]]
		// One (source, protocol, port): its cells differ in class set.
		var groupTags uint8
		var groupPk [nClasses]uint64
		e := gi
		for ; e < len(idx); e++ {
			h := &hits[idx[e]]
			if h.Source != first.Source || h.Proto != first.Proto || h.Port != first.Port {
				break
			}
			tags := uint8(h.Tags)
			groupTags |= tags
			for c := 0; c < nClasses; c++ {
				if tags&(1<<c) != 0 {
					groupPk[c] += h.Packets
				}
			}
			if !used[tags] {
				used[tags] = true
				sets = append(sets, tags)
			}
			bySet[tags] += h.Packets
		}
		var seen uint8
		if plan.again != nil && plan.again[first.Source] {
			seen = cellPrior[ord]
			ord++
		}
		for c := 0; c < nClasses; c++ {
			if groupTags&(1<<c) != 0 {
				p := a.port(c, first.Proto, first.Port)
				p.packets += groupPk[c]
				if seen&(1<<c) == 0 {
					p.sources++
				}
				srcPk[c].packets += groupPk[c]
			}
		}
		g.pending = append(g.pending, seenCell{keys[first.Source], uint32(first.Proto)<<16 | uint32(first.Port), groupTags})
		srcTags |= groupTags
		gi = e
		if gi == len(idx) || hits[idx[gi]].Source != first.Source {
			endSource(first.Source)
		}
	}
}

// write appends the day's rows to the rollup tables.
func (a *goRollupDay) write(ctx context.Context, exec func(string, ...any) error, sensor string, srcRows []sourceDayRow, keys []uint64, places []store.Place) error {
	names := classify.Names()
	// The country as a number into a list of the day's countries (a text
	// per row costs a call into DuckDB per row): DuckDB picks the text.
	ctryCode := map[string]uint16{}
	var ctryLits []string
	codes := make([]uint16, len(srcRows))
	for i := range srcRows {
		ctry := places[srcRows[i].src].Country
		c, ok := ctryCode[ctry]
		if !ok {
			c = uint16(len(ctryLits))
			ctryCode[ctry] = c
			ctryLits = append(ctryLits, sqlString(ctry))
		}
		codes[i] = c
	}
	if len(ctryLits) > 1<<15 {
		return fmt.Errorf("%d countries in one day", len(ctryLits))
	}
	cols, err := colInfos("skey", duckdb.TYPE_UBIGINT,
		"country", duckdb.TYPE_USMALLINT, "asn", duckdb.TYPE_UINTEGER, "classes", duckdb.TYPE_UTINYINT, "packets", duckdb.TYPE_UBIGINT)
	if err != nil {
		return err
	}
	sel := "DATE '" + a.day.Format("2006-01-02") + "', " + sqlString(sensor) + ", skey, [" + strings.Join(ctryLits, ", ") + "][country + 1], asn, classes, packets"
	err = bulkInsertAs(ctx, exec, "rollup_source_day", sel, cols, len(srcRows), func(c duckdb.DataChunk, row, i int) error {
		s := &srcRows[i]
		if err := duckdb.SetChunkValue(c, 0, row, keys[s.src]); err != nil {
			return err
		}
		duckdb.SetChunkValue(c, 1, row, codes[i])
		duckdb.SetChunkValue(c, 2, row, places[s.src].ASN)
		duckdb.SetChunkValue(c, 3, row, s.classes)
		return duckdb.SetChunkValue(c, 4, row, s.packets)
	})
	if err != nil {
		return err
	}
	// rollup_day, _country, _asn: few rows, one per key and class.
	type keyed struct {
		class   int
		country string
		asn     uint32
		n       classCount
	}
	collect := func(m func(yield func(string, uint32, *perClass))) []keyed {
		var out []keyed
		m(func(ctry string, asn uint32, p *perClass) {
			for c := range p {
				if p[c].sources > 0 || p[c].packets > 0 {
					out = append(out, keyed{c, ctry, asn, p[c]})
				}
			}
		})
		return out
	}
	tables := []struct {
		name string
		key  duckdb.Type
		rows []keyed
	}{
		{"rollup_day", duckdb.TYPE_INVALID, collect(func(y func(string, uint32, *perClass)) { y("", 0, &a.total) })},
		{"rollup_day_country", duckdb.TYPE_VARCHAR, collect(func(y func(string, uint32, *perClass)) {
			for k, p := range a.country {
				y(k, 0, p)
			}
		})},
		{"rollup_day_asn", duckdb.TYPE_UINTEGER, collect(func(y func(string, uint32, *perClass)) {
			for k, p := range a.asn {
				y("", k, p)
			}
		})},
	}
	// The day and sensor are constants of the statement and the class a
	// number that DuckDB turns into its name (rollup_day_asn has a row
	// per AS and class of every part).
	lits := make([]string, len(names))
	for i, n := range names {
		lits[i] = sqlString(n)
	}
	consts := "DATE '" + a.day.Format("2006-01-02") + "', " + sqlString(sensor) + ", [" + strings.Join(lits, ", ") + "][class + 1]"
	for _, tb := range tables {
		spec := []any{"class", duckdb.TYPE_UTINYINT}
		sel := consts
		if tb.key != duckdb.TYPE_INVALID {
			spec = append(spec, "key", tb.key)
			sel += ", key"
		}
		spec = append(spec, "packets", duckdb.TYPE_UBIGINT, "sources", duckdb.TYPE_UBIGINT)
		sel += ", packets, sources"
		cols, err := colInfos(spec...)
		if err != nil {
			return err
		}
		rows := tb.rows
		key := tb.key
		err = bulkInsertAs(ctx, exec, tb.name, sel, cols, len(rows), func(c duckdb.DataChunk, row, i int) error {
			k := &rows[i]
			if err := duckdb.SetChunkValue(c, 0, row, uint8(k.class)); err != nil {
				return err
			}
			col := 1
			switch key {
			case duckdb.TYPE_VARCHAR:
				duckdb.SetChunkValue(c, col, row, k.country)
				col++
			case duckdb.TYPE_UINTEGER:
				duckdb.SetChunkValue(c, col, row, k.asn)
				col++
			}
			duckdb.SetChunkValue(c, col, row, k.n.packets)
			return duckdb.SetChunkValue(c, col+1, row, k.n.sources)
		})
		if err != nil {
			return err
		}
	}
	// rollup_day_port: one row per class, protocol and port seen, in
	// that order (kept in a.ports for the port peaks, rollup_peaks_go.go).
	var prows []portRow
	for i := range a.dense {
		if n := a.dense[i]; n.sources > 0 || n.packets > 0 {
			proto := uint8(6)
			if i&(1<<16) != 0 {
				proto = 17
			}
			prows = append(prows, portRow{uint8(i >> 17), proto, uint16(i), n})
		}
	}
	for k, n := range a.other {
		prows = append(prows, portRow{uint8(k >> 24), uint8(k >> 16), uint16(k), *n})
	}
	if len(a.other) > 0 {
		slices.SortFunc(prows, func(x, y portRow) int { return int(x.key()) - int(y.key()) })
	}
	a.ports = prows
	// The day and sensor are constants and the class a number here: the
	// many rows of this table cost less to fill (DuckDB sets the names).
	cols, err = colInfos("class", duckdb.TYPE_UTINYINT,
		"proto", duckdb.TYPE_UTINYINT, "port", duckdb.TYPE_USMALLINT, "packets", duckdb.TYPE_UBIGINT, "sources", duckdb.TYPE_UBIGINT)
	if err != nil {
		return err
	}
	sel = consts + ", proto, port, packets, sources"
	return bulkInsertAs(ctx, exec, "rollup_day_port", sel, cols, len(prows), func(c duckdb.DataChunk, row, i int) error {
		p := &prows[i]
		if err := duckdb.SetChunkValue(c, 0, row, p.class); err != nil {
			return err
		}
		duckdb.SetChunkValue(c, 1, row, p.proto)
		duckdb.SetChunkValue(c, 2, row, p.port)
		duckdb.SetChunkValue(c, 3, row, p.n.packets)
		return duckdb.SetChunkValue(c, 4, row, p.n.sources)
	})
}

// finishRollups brings the rollups of the Tx's days up to date at Finish
// of a commit that replaces nothing: days counted in Go are done, unless
// dirty (recounted); days other ingests cover are added by SQL.
func (t *Tx) finishRollups(r runner) error {
	var sqlDays []time.Time
	recount := map[time.Time]bool{}
	for d := range t.days {
		dd := aggregate.DayOf(d, time.UTC)
		switch g := t.goDays[dd]; {
		case g != nil && g.dirty:
			recount[d] = true
		case g != nil:
		default:
			sqlDays = append(sqlDays, d)
		}
	}
	slices.SortFunc(sqlDays, func(a, b time.Time) int { return a.Compare(b) })
	if len(recount) > 0 {
		if err := refreshRollups(r, dayScope{t.sensor: recount}, false); err != nil {
			return err
		}
	}
	// What addIngest adds to rollup_day_port, kept for addPortBlocks.
	if err := r.exec(sharedPortsSchema); err != nil {
		return fmt.Errorf("rollups: %w", err)
	}
	return addIngest(r, t.id, t.sensor, sqlDays)
}

const nClasses = int(classify.NumClasses)

// sqlString quotes s as an SQL string literal.
func sqlString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
