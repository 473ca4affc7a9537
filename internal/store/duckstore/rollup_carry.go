package duckstore

import (
	"context"
	"database/sql/driver"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/honeyscope/honeyscope/internal/aggregate"
	"github.com/honeyscope/honeyscope/internal/store"
)

// Rollup state carried from one commit to the next.
//
// A live capture commits every interval as an ingest of its own, and every
// interval after the first of a day adds to a day that earlier ingests
// cover: its distinct counts would be found by SQL joins with the day's
// earlier rows (addIngestRollups), whose cost grows through the day. A Tx
// asked to continue (store.Batch.Continues, Tx.Continues) hands the state
// it kept of its days in Go (goDay: the source keys and (source, protocol,
// port) cells counted, with their classes) to the Store once it has
// committed; the next Tx of the same sensor adopts a day's state if the
// ingests with rows in that (sensor, day) are exactly those the state has
// counted, and then counts that day in Go as a later part of the same Tx
// would. Anything else that wrote to the day in between (another ingest, a
// replacement, a deletion) changes that set; the state is then read from
// the stored rows instead (loadState: once, after which it is carried
// again), as it is after a restart. A re-geolocation drops every carried
// state. A source met again in another country or AS than it was counted
// in (the geolocation databases were reloaded) has its day recounted by
// SQL at Finish: its distinct counts there are not those here.

// carried is a (sensor, day)'s state left by a committed Tx.
type carried struct {
	g              *goDay
	places         *placeNumbers // the numbering of g.pl
	ids            []int32       // ingests with rows in the (sensor, day), sorted
	countryDB, asn string        // geolocation databases of the ingests counted
}

type carryKey struct {
	sensor string
	day    aggregate.Day
}

// carry holds the Store's carried states: only the days of the last Tx of
// each sensor that kept its state, within goRollupStateCap in all.
type carry struct {
	mu   sync.Mutex
	days map[carryKey]*carried
}

// take removes and returns the state of (sensor, day), if any.
func (c *carry) take(sensor string, d aggregate.Day) *carried {
	c.mu.Lock()
	defer c.mu.Unlock()
	k := carryKey{sensor, d}
	s := c.days[k]
	delete(c.days, k)
	return s
}

// put replaces the states of sensor with those of days.
func (c *carry) put(sensor string, days map[aggregate.Day]*carried) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.days == nil {
		c.days = map[carryKey]*carried{}
	}
	for k := range c.days {
		if k.sensor == sensor {
			delete(c.days, k)
		}
	}
	for d, s := range days {
		c.days[carryKey{sensor, d}] = s
	}
	total := 0
	for _, s := range c.days {
		total += s.g.size()
	}
	if total > goRollupStateCap {
		// Other sensors' states go first, then this one's.
		for k, s := range c.days {
			if total <= goRollupStateCap {
				break
			}
			if k.sensor != sensor {
				total -= s.g.size()
				delete(c.days, k)
			}
		}
		if total > goRollupStateCap {
			for k := range c.days {
				delete(c.days, k)
			}
		}
	}
}

// drop forgets every carried state.
func (c *carry) drop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.days)
}

// Continues makes the Tx hand its days' rollup state to the Store when it
// commits, for the next commit of the same sensor (store.ContinuingTx).
func (t *Tx) Continues() {
	t.mu.Lock()
	t.keep = true
	t.mu.Unlock()
}

// adopt returns the carried state of day d of the Tx's sensor when the
// ingests ids (sorted) with rows there are exactly those it counted.
func (t *Tx) adopt(d aggregate.Day, ids []int32) *goDay {
	c := t.s.carry.take(t.sensor, d)
	if c == nil || !slices.Equal(c.ids, ids) {
		return nil
	}
	// The states of a sensor come from one Tx and share its numbering of
	// places; a Tx that has numbered places of its own does not adopt.
	switch {
	case t.placeIDs == nil:
		t.placeIDs = c.places
	case t.placeIDs != c.places:
		return nil
	}
	if t.goBase == nil {
		t.goBase = map[aggregate.Day]*carried{}
	}
	t.goBase[d] = c
	return c.g
}

// keepState hands the Tx's days counted in Go to the Store, after its
// commit.
func (t *Tx) keepState() {
	days := map[aggregate.Day]*carried{}
	for d, g := range t.goDays {
		if g.dirty || g.dropped {
			continue
		}
		var ids []int32
		if b := t.goBase[d]; b != nil {
			ids = slices.Clone(b.ids)
		}
		ids = append(ids, t.id)
		slices.Sort(ids)
		days[d] = &carried{g: g, places: t.placeIDs, ids: ids}
	}
	t.s.carry.put(t.sensor, days)
}

// compactAdopted compacts the rollups of the adopted days whose number of
// ingests reaches a power of two (as addIngestRollups does), so that the
// rows of a day that many intervals add to stay within a small factor of
// its keys.
func (t *Tx) compactAdopted(r runner) error {
	var days []string
	for d, b := range t.goBase {
		g := t.goDays[d]
		if g == nil || g.dirty {
			continue
		}
		if n := len(b.ids) + 1; n >= 4 && n&(n-1) == 0 {
			days = append(days, "DATE '"+d.Time().Format("2006-01-02")+"'")
		}
	}
	if len(days) == 0 {
		return nil
	}
	slices.Sort(days)
	return compactRollups(r, sqlString(t.sensor), strings.Join(days, ", "))
}

// placeKey is what the rollups count a source by besides its key.
type placeKey struct {
	country string
	asn     uint32
}

// placeNumbers numbers (country, AS) pairs.
type placeNumbers struct{ id map[placeKey]uint32 }

// placeID returns the number of p's (country, AS) in the Tx's numbering.
func (t *Tx) placeID(p store.Place) uint32 {
	if t.placeIDs == nil {
		t.placeIDs = &placeNumbers{id: map[placeKey]uint32{}}
	}
	k := placeKey{p.Country, p.ASN}
	id, ok := t.placeIDs.id[k]
	if !ok {
		id = uint32(len(t.placeIDs.id))
		t.placeIDs.id[k] = id
	}
	return id
}

// loadState reads the state of the Tx's sensor's day d from the stored
// rows of ingests ids, for a Tx that continues and finds none carried (a
// restart, another ingest of the day). It returns nil when a source is
// stored there in two places: the day is then counted by SQL.
func (t *Tx) loadState(ctx context.Context, conn *duckdb.Conn, d aggregate.Day, ids []int32) (*goDay, error) {
	day := "DATE '" + d.Time().Format("2006-01-02") + "'"
	g := &goDay{}
	r := connRunner{ctx, conn}
	twice := false
	err := r.query(`SELECT skey, coalesce(country, ''), asn, bit_or(classes) FROM rollup_source_day
		WHERE sensor = ? AND day = `+day+` GROUP BY ALL ORDER BY 1`, []any{t.sensor}, func(v []driver.Value) error {
		k, ok1 := v[0].(uint64)
		c, ok2 := v[1].(string)
		a, ok3 := v[2].(uint32)
		m, ok4 := v[3].(uint8)
		if !ok1 || !ok2 || !ok3 || !ok4 {
			return fmt.Errorf("rollup_source_day row %T %T %T %T", v[0], v[1], v[2], v[3])
		}
		if n := len(g.keys); n > 0 && g.keys[n-1] == k {
			twice = true
		}
		g.keys, g.masks = append(g.keys, k), append(g.masks, m)
		g.pl = append(g.pl, t.placeID(store.Place{Country: c, ASN: a}))
		return nil
	})
	if err != nil || twice {
		return nil, err
	}
	if err := readDayCells(r, ids, day, g); err != nil {
		return nil, err
	}
	if t.goBase == nil {
		t.goBase = map[aggregate.Day]*carried{}
	}
	t.goBase[d] = &carried{g: g, places: t.placeIDs, ids: ids}
	return g, nil
}

// readDayCells appends to g the (source, port) cells, with their classes,
// that the ingests ids hold for day (a DATE literal), in key order.
func readDayCells(r runner, ids []int32, day string, g *goDay) error {
	lits := make([]string, len(ids))
	for i, id := range ids {
		lits[i] = strconv.Itoa(int(id))
	}
	return r.query(`SELECT skey, proto, port, bit_or(classes) FROM hit_counts
		WHERE ingest_id IN (`+strings.Join(lits, ", ")+`) AND day = `+day+` GROUP BY ALL ORDER BY 1, 2, 3`, nil, func(v []driver.Value) error {
		k, ok1 := v[0].(uint64)
		pr, ok2 := v[1].(uint8)
		po, ok3 := v[2].(uint16)
		m, ok4 := v[3].(uint8)
		if !ok1 || !ok2 || !ok3 || !ok4 {
			return fmt.Errorf("hit_counts row %T %T %T %T", v[0], v[1], v[2], v[3])
		}
		g.cells = append(g.cells, seenCell{key: k, pp: uint32(pr)<<16 | uint32(po), classes: m})
		return nil
	})
}
