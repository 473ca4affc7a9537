package api

import (
	"context"
	"fmt"
	"slices"

	"github.com/honeyscope/honeyscope/internal/store"
)

// topByPackets answers q (one dimension dim, ordered by packets, Top > 0)
// with the rows the store would give, without counting the distinct
// sources of every key over the period: the keys are ranked by packets
// alone (a packets-only question the rollups answer), and distinct
// sources are counted only for the keys kept, filtered to them. Sources
// order keys of equal packets (then the key), so when the first key
// left out has as many packets as the last one kept, the keys are ranked
// by the store with their sources, as before. Without needSources the
// rows' Sources stay 0 unless a tie among the kept keys needed them.
func (c *Component) topByPackets(ctx context.Context, route string, q store.StatsQuery, dim string, needSources bool) ([]store.StatsRow, error) {
	if q.Top <= 0 || (q.OrderBy != "" && q.OrderBy != "packets") || len(q.By) != 1 || q.NoSources ||
		!slices.Contains([]string{"country", "asn", "port", "sensor"}, dim) {
		return c.query(ctx, route, q)
	}
	q1 := q
	q1.NoSources, q1.Top = true, q.Top+1
	rows, err := c.query(ctx, route, q1)
	if err != nil {
		return nil, err
	}
	if len(rows) > q.Top && rows[q.Top].Packets == rows[q.Top-1].Packets {
		// A tie across the cut: which keys are in depends on sources.
		return c.query(ctx, route, q)
	}
	rows = rows[:min(len(rows), q.Top)]
	tied := false
	for i := 1; i < len(rows); i++ {
		tied = tied || rows[i].Packets == rows[i-1].Packets
	}
	if len(rows) == 0 || (!needSources && !tied) {
		return rows, nil
	}
	q2 := q
	q2.Top, q2.OrderBy = 0, "key"
	switch dim {
	case "country":
		q2.Countries = nil
	case "asn":
		q2.ASNs = nil
	case "sensor":
		q2.Sensors = nil
	case "port":
		q2.Ports, q2.Protos = nil, nil
	}
	for _, row := range rows {
		switch dim {
		case "country":
			q2.Countries = append(q2.Countries, fmt.Sprint(row.Keys[0]))
		case "asn":
			a, ok := row.Keys[0].(int64)
			if !ok {
				return c.query(ctx, route, q)
			}
			q2.ASNs = append(q2.ASNs, uint32(a))
		case "sensor":
			q2.Sensors = append(q2.Sensors, fmt.Sprint(row.Keys[0]))
		case "port":
			n, ok := row.Keys[0].(int64)
			if !ok || len(row.Keys) < 2 {
				return c.query(ctx, route, q)
			}
			q2.Ports, q2.Protos = append(q2.Ports, int(n)), append(q2.Protos, fmt.Sprint(row.Keys[1]))
		}
	}
	var counted []store.StatsRow
	var err2 error
	if dim == "port" {
		counted, err2 = c.queryPorts(ctx, route, q2)
	} else {
		counted, err2 = c.query(ctx, route, q2)
	}
	if err2 != nil {
		return nil, err2
	}
	sources := make(map[string]uint64, len(counted))
	for _, row := range counted {
		sources[fmt.Sprint(row.Keys...)] = row.Sources
	}
	for i := range rows {
		s, ok := sources[fmt.Sprint(rows[i].Keys...)]
		if !ok {
			return c.query(ctx, route, q)
		}
		rows[i].Sources = s
	}
	// Packets, then sources, descending; the key order of equal rows
	// (the store's) is kept.
	slices.SortStableFunc(rows, func(a, b store.StatsRow) int {
		if a.Packets != b.Packets {
			return cmpDesc(a.Packets, b.Packets)
		}
		return cmpDesc(a.Sources, b.Sources)
	})
	return rows, nil
}

func cmpDesc(a, b uint64) int {
	switch {
	case a > b:
		return -1
	case a < b:
		return 1
	}
	return 0
}

// queryPorts asks q, whose Ports and Protos are pairs (the i-th port under
// the i-th protocol), as one question per protocol naming only that
// protocol's ports, and returns their rows together. One question of
// every port under every protocol would also count pairs nobody asked
// for (23/udp beside 23/tcp), and a pair outside the links (those of the
// days' busiest ports) makes the store count the question's distinct
// sources from the hits instead.
func (c *Component) queryPorts(ctx context.Context, route string, q store.StatsQuery) ([]store.StatsRow, error) {
	if len(q.Ports) == 0 || len(q.Ports) != len(q.Protos) {
		return c.query(ctx, route, q) // not pairs: asked as it is
	}
	var protos []string
	ports := map[string][]int{}
	for i, pr := range q.Protos {
		if _, ok := ports[pr]; !ok {
			protos = append(protos, pr)
		}
		if !slices.Contains(ports[pr], q.Ports[i]) {
			ports[pr] = append(ports[pr], q.Ports[i])
		}
	}
	var out []store.StatsRow
	for _, pr := range protos {
		qp := q
		qp.Ports, qp.Protos = ports[pr], []string{pr}
		rows, err := c.query(ctx, route, qp)
		if err != nil {
			return nil, err
		}
		out = append(out, rows...)
	}
	return out, nil
}
