package duckstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/honeyscope/honeyscope/internal/civil"
	"github.com/honeyscope/honeyscope/internal/store"
)

// ClassTotals answers in one scan: packets and distinct sources per class
// over [From, Split) and [Split, To], and distinct sources per class and
// day over [From, To].
func (s *Store) ClassTotals(ctx context.Context, q store.TotalsQuery) (store.ClassTotals, error) {
	defer s.took("ClassTotals", time.Now())
	out := store.ClassTotals{Before: map[string]store.Total{}, After: map[string]store.Total{}, DailySources: map[string][]float64{}}
	n := q.Days()
	if n <= 0 {
		return out, nil
	}
	sf, sargs := readSensorFilter("h.sensor", q.Sensors)
	dr, dargs := readDays("h.day", q.From, q.To)
	args := append(append([]any{readDayArg(q.Split)}, dargs...), sargs...)
	// rollup_source_day has the packets and source keys of every day,
	// sensor and class set, without the ports.
	table := "rollup_source_day"
	if s.rawReads {
		table = "port_hits"
	} else {
		if ok, err := s.classTotalsByLinks(ctx, q, out); ok || err != nil {
			return out, err
		}
		return out, s.classTotalsBySet(ctx, q, out)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT c.name, GROUPING(h.day) = 0, h.day, after,
		CAST(sum(h.packets) AS DOUBLE), CAST(count(DISTINCT h.skey) AS DOUBLE)
		FROM (SELECT h.*, h.day >= CAST(? AS DATE) AS after FROM `+table+` h) h JOIN classes c ON (h.classes & c.bit) <> 0
		WHERE`+dr+sf+`
		GROUP BY GROUPING SETS ((c.name, after), (c.name, h.day))`, args...)
	if err != nil {
		return out, fmt.Errorf("totals: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			class   string
			byDay   bool
			day     sql.NullTime
			after   sql.NullBool
			packets float64
			sources float64
		)
		if err := rows.Scan(&class, &byDay, &day, &after, &packets, &sources); err != nil {
			return out, fmt.Errorf("totals: %w", err)
		}
		switch {
		case byDay && day.Valid:
			d := civil.Of(day.Time).Sub(q.From)
			if d < 0 || d >= n {
				continue
			}
			if out.DailySources[class] == nil {
				out.DailySources[class] = make([]float64, n)
			}
			out.DailySources[class][d] = sources
		case after.Valid && after.Bool:
			out.After[class] = store.Total{Packets: packets, Sources: sources}
		case after.Valid:
			out.Before[class] = store.Total{Packets: packets, Sources: sources}
		}
	}
	if err := rows.Err(); err != nil {
		return out, fmt.Errorf("totals: %w", err)
	}
	return out, nil
}
