package main

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/honeyscope/honeyscope/internal/ruleset"
	"github.com/honeyscope/honeyscope/internal/store"
)

// ruleDims are stats dimensions the command derives from the store's
// pattern dimension: rule (the pattern key, gid:sid:rev, with the rule's
// msg) and classtype (the rule's classtype, from the stored rule sets or
// the built-in rules; "" for patterns of stores classified before rules).
var ruleDims = []string{"rule", "classtype"}

// statsDims lists every dimension stats accepts.
func statsDims() []string { return append(slices.Clone(store.Dimensions), ruleDims...) }

// classtyper returns the classtype of a pattern key: the rules of every
// stored rule set, then the built-in rules; "" for a key of no known rule
// (a legacy pattern name).
func classtyper(ctx context.Context, st store.Store) func(string) string {
	ct := map[string]string{}
	if r, err := store.RuleSetsOf(st); err == nil {
		if sets, err := r.RuleSets(ctx); err == nil {
			for _, s := range sets {
				full, err := r.RuleSet(ctx, fmt.Sprintf("#%d", s.ID))
				if err != nil {
					continue
				}
				for _, ri := range full.Rules {
					ct[fmt.Sprintf("%d:%d:%d", ri.GID, ri.SID, ri.Rev)] = ri.Classtype
				}
			}
		}
	}
	if b, err := ruleset.Builtin(); err == nil {
		for _, r := range b.Engine().Rules() {
			ct[r.ID()] = r.Classtype
		}
	}
	return func(p string) string { return ct[p] }
}

// classtypeStats answers q, whose dimensions include pattern, with the
// pattern replaced by its classtype (classOf). The store is asked by
// pattern and source, so the sources of a classtype row are the distinct
// sources over its patterns (not their sum); ordering and Top are applied
// here, as the store applies them.
func classtypeStats(ctx context.Context, st store.Store, q store.StatsQuery, classOf func(string) string) ([]store.StatsRow, error) {
	inner := q
	inner.By = slices.Clone(q.By)
	addedSrc := !slices.Contains(inner.By, "src")
	if addedSrc {
		inner.By = append(inner.By, "src")
	}
	inner.Top, inner.OrderBy, inner.NoSources = 0, "key", false
	rows, err := st.Stats(ctx, inner)
	if err != nil {
		return nil, err
	}
	dims := inner.Dims()
	pi, si := slices.Index(dims, "pattern"), slices.Index(dims, "src")
	type group struct {
		row  store.StatsRow
		srcs map[string]struct{}
	}
	groups := map[string]*group{}
	var order []*group
	var kb strings.Builder
	for _, r := range rows {
		keys := make([]any, 0, len(r.Keys))
		for j, k := range r.Keys {
			switch {
			case j == pi:
				keys = append(keys, classOf(fmt.Sprint(k)))
			case j == si && addedSrc:
			default:
				keys = append(keys, k)
			}
		}
		kb.Reset()
		for _, k := range keys {
			fmt.Fprintf(&kb, "%v\x00", k)
		}
		g := groups[kb.String()]
		if g == nil {
			g = &group{row: store.StatsRow{Keys: keys, Org: r.Org}, srcs: map[string]struct{}{}}
			groups[kb.String()] = g
			order = append(order, g)
		}
		g.row.Packets += r.Packets
		g.srcs[fmt.Sprint(r.Keys[si])] = struct{}{}
	}
	out := make([]store.StatsRow, len(order))
	for i, g := range order {
		g.row.Sources = uint64(len(g.srcs))
		if q.NoSources {
			g.row.Sources = 0
		}
		out[i] = g.row
	}
	sortStatsRows(out, q.Dims(), q.OrderBy)
	if q.Top > 0 && len(out) > q.Top {
		out = out[:q.Top]
	}
	return out, nil
}

// sortStatsRows orders rows as the store's stats query does: "packets"
// (packets, then sources, descending), "sources", "key" (the keys in
// order) or "day" (day, then packets and sources descending); remaining
// ties by key.
func sortStatsRows(rows []store.StatsRow, dims []string, orderBy string) {
	di := slices.Index(dims, "day")
	slices.SortStableFunc(rows, func(a, b store.StatsRow) int {
		var c int
		switch orderBy {
		case "sources":
			c = cmp.Or(cmp.Compare(b.Sources, a.Sources), cmp.Compare(b.Packets, a.Packets))
		case "key":
		case "day":
			if di >= 0 {
				c = compareKey(a.Keys[di], b.Keys[di])
			}
			c = cmp.Or(c, cmp.Compare(b.Packets, a.Packets), cmp.Compare(b.Sources, a.Sources))
		default:
			c = cmp.Or(cmp.Compare(b.Packets, a.Packets), cmp.Compare(b.Sources, a.Sources))
		}
		if c != 0 {
			return c
		}
		for j := range a.Keys {
			if c := compareKey(a.Keys[j], b.Keys[j]); c != 0 {
				return c
			}
		}
		return 0
	})
}

// compareKey compares two stats keys: numbers as numbers, nil first,
// anything else by its text.
func compareKey(a, b any) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return -1
	case b == nil:
		return 1
	}
	x, okx := keyNumber(a)
	y, oky := keyNumber(b)
	if okx && oky {
		return cmp.Compare(x, y)
	}
	return strings.Compare(fmt.Sprint(a), fmt.Sprint(b))
}

func keyNumber(v any) (float64, bool) {
	switch n := v.(type) {
	case int:
		return float64(n), true
	case int8:
		return float64(n), true
	case int16:
		return float64(n), true
	case int32:
		return float64(n), true
	case int64:
		return float64(n), true
	case uint:
		return float64(n), true
	case uint8:
		return float64(n), true
	case uint16:
		return float64(n), true
	case uint32:
		return float64(n), true
	case uint64:
		return float64(n), true
	case float64:
		return n, true
	}
	return 0, false
}
