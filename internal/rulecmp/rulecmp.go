// Package rulecmp reads a store's rule-set history for a period: the days
// the rule set that classified a sensor's exploits changed, how much of the
// change of the exploit counts across such a day the rules explain (when
// counts under both sets exist, see `rules backfill`), and the exploit
// counts of two rule sets over the same days, by day and by rule. The
// report and the dashboard draw from it.
package rulecmp

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"

	"github.com/honeyscope/honeyscope/internal/analysis"
	"github.com/honeyscope/honeyscope/internal/civil"
	"github.com/honeyscope/honeyscope/internal/store"
)

// Set names a rule set as the history knows it.
type Set struct {
	ID      int32  // store.BuiltinRuleSet for the built-in rules alone
	Name    string // "builtin" for the built-in rules alone
	Version string
	// Arg is how commands name it: its name, or "#ID" when another stored
	// set has the same name or it has none.
	Arg string
}

// Label is "NAME vVERSION" (the version left out when there is none).
func (s Set) Label() string {
	if s.Version == "" {
		return s.Arg
	}
	v := s.Version
	if !strings.HasPrefix(v, "v") && !strings.HasPrefix(v, "V") {
		v = "v" + v
	}
	return s.Arg + " " + v
}

// Change is a day on which the rule set that classified the exploits of
// some sensors changed from Before to After.
type Change struct {
	Day           civil.Day
	Sensors       []string // the sensors it changed for, sorted
	Before, After Set
	// AllSensors: every sensor asked about changed so that day.
	AllSensors bool
}

// History is the rule-set history of some sensors over a period.
type History struct {
	From, To civil.Day
	Sensors  []string
	Changes  []Change // in day order
	// Unlisted: the store does not list which rule sets have counts on
	// which days (it keeps no evidence, or is read through an owner that
	// does not pass them on): the changes are those of the active sets,
	// shifts are not split, and every day counts as having counts under
	// every set.
	Unlisted bool
	// runs: the rule sets with counts for each sensor and day.
	runs map[runKey]map[int32]bool
	// daysWithData: sensor-days with ingested data.
	data  map[runKey]bool
	sets  map[int32]Set
	adhoc map[int32]bool
	// classified: the set of each sensor-day, as Load decides it.
	classified map[runKey]int32
}

type runKey struct {
	sensor string
	day    civil.Day
}

// Load reads the history of sensors over [from, to] from st (a store
// keeping rule sets and evidence; without them the history is empty). A
// sensor-day's rule set is the one its ingests were classified with (the
// ingest log's rule set; when several, the active one among them, else the
// highest id); a day without ingests keeps the previous day's, and days
// before the first ingest take the active set (store.ActiveRuleSet).
func Load(ctx context.Context, st any, sensors []string, from, to civil.Day) (*History, error) {
	h := &History{From: from, To: to, Sensors: slices.Clone(sensors), runs: map[runKey]map[int32]bool{},
		data: map[runKey]bool{}, classified: map[runKey]int32{}, adhoc: map[int32]bool{}, sets: map[int32]Set{store.BuiltinRuleSet: {ID: store.BuiltinRuleSet, Name: "builtin", Arg: "builtin"}}}
	var stored []store.RuleSet
	if r, err := store.RuleSetsOf(st); err == nil {
		if stored, err = r.RuleSets(ctx); err != nil {
			return nil, err
		}
	}
	names := map[string]int{}
	for _, rs := range stored {
		names[rs.Name]++
	}
	for _, rs := range stored {
		arg := rs.Name
		if arg == "" || arg == "builtin" || names[rs.Name] > 1 {
			arg = fmt.Sprintf("#%d", rs.ID)
		}
		h.sets[rs.ID] = Set{ID: rs.ID, Name: rs.Name, Version: rs.Version, Arg: arg}
		if rs.AdHoc {
			h.adhoc[rs.ID] = true
		}
	}
	ingested := map[runKey][]int32{}
	es, err := store.EvidenceOf(st)
	h.Unlisted = err != nil
	if err == nil {
		runs, err := es.RuleSetRuns(ctx, store.EvidenceQuery{From: from, To: to})
		switch {
		case errors.Is(err, store.ErrNoEvidenceStore): // a wrapper of a store that keeps none
			h.Unlisted = true
		case err != nil:
			return nil, err
		}
		for _, r := range runs {
			k := runKey{r.Sensor, r.Day}
			if h.runs[k] == nil {
				h.runs[k] = map[int32]bool{}
			}
			h.runs[k][r.RuleSet] = true
			if !r.Backfill {
				h.data[k] = true
				ingested[k] = append(ingested[k], r.RuleSet)
			}
		}
	}
	type step struct {
		day    civil.Day
		before int32
		after  int32
	}
	var steps []struct {
		sensor string
		step
	}
	for _, sensor := range sensors {
		cur, have := int32(0), false
		for d := from; d <= to && d >= from; d++ {
			id, ok := int32(0), false
			if ids := ingested[runKey{sensor, d}]; len(ids) > 0 {
				act := activeID(stored, sensor, d)
				id, ok = slices.Max(ids), true
				if slices.Contains(ids, act) {
					id = act
				}
			} else if !have || h.Unlisted {
				id, ok = activeID(stored, sensor, d), true
			}
			if !ok {
				continue
			}
			h.classified[runKey{sensor, d}] = id
			if have && id != cur {
				steps = append(steps, struct {
					sensor string
					step
				}{sensor, step{d, cur, id}})
			}
			cur, have = id, true
		}
	}
	group := map[step]*Change{}
	for _, s := range steps {
		c := group[s.step]
		if c == nil {
			c = &Change{Day: s.day, Before: h.set(s.before), After: h.set(s.after)}
			group[s.step] = c
		}
		c.Sensors = append(c.Sensors, s.sensor)
	}
	for _, c := range group {
		slices.Sort(c.Sensors)
		c.AllSensors = len(c.Sensors) == len(sensors)
		h.Changes = append(h.Changes, *c)
	}
	slices.SortFunc(h.Changes, func(a, b Change) int {
		if a.Day != b.Day {
			return a.Day.Sub(b.Day)
		}
		return strings.Compare(strings.Join(a.Sensors, ","), strings.Join(b.Sensors, ","))
	})
	return h, nil
}

// activeID is the id of the set active for sensor on d (BuiltinRuleSet
// when none is).
func activeID(sets []store.RuleSet, sensor string, d civil.Day) int32 {
	if rs, ok := store.ActiveRuleSet(sets, sensor, d); ok {
		return rs.ID
	}
	return store.BuiltinRuleSet
}

// set names id.
func (h *History) set(id int32) Set {
	if s, ok := h.sets[id]; ok {
		return s
	}
	return Set{ID: id, Arg: fmt.Sprintf("#%d", id)}
}

// Classified returns the rule set that classified sensor's exploits on d
// (as Load decides it); ok is false for a day outside the period.
func (h *History) Classified(sensor string, d civil.Day) (Set, bool) {
	id, ok := h.classified[runKey{sensor, d}]
	if !ok {
		return Set{}, false
	}
	return h.set(id), true
}

// Sets lists the rule sets the store holds that are not ad hoc, and the
// built-in rules first.
func (h *History) Sets() []Set {
	out := []Set{h.sets[store.BuiltinRuleSet]}
	for _, id := range slices.Sorted(maps.Keys(h.sets)) {
		if id != store.BuiltinRuleSet && !h.adhoc[id] {
			out = append(out, h.sets[id])
		}
	}
	return out
}

// Find returns the set arg names: "builtin", a stored set's name (the
// newest of that name) or "#ID".
func (h *History) Find(arg string) (Set, bool) {
	if arg == "builtin" {
		return h.sets[store.BuiltinRuleSet], true
	}
	var best Set
	ok := false
	for id, s := range h.sets {
		if arg == s.Arg || arg == s.Name || arg == fmt.Sprintf("#%d", id) {
			if !ok || s.ID > best.ID {
				best, ok = s, true
			}
		}
	}
	return best, ok
}

// SetOf names the rule set of id as the history knows it.
func (h *History) SetOf(id int32) Set { return h.set(id) }

// HasCounts reports whether sensor has exploit counts under rule set id on
// day d (classified at ingest or backfilled); always true when Unlisted.
func (h *History) HasCounts(sensor string, d civil.Day, id int32) bool {
	return h.Unlisted || h.runs[runKey{sensor, d}][id]
}

// Shift is what a rule-set change did to the exploit counts: the daily
// means before and after under both sets, split by analysis.SplitRuleShift.
type Shift struct {
	Change Change
	// Before and After are the days compared on each side of the change
	// (up to the neighbouring changes of the same sensors); BothBefore and
	// BothAfter the days among them with counts under both sets for every
	// sensor of the change that has data that day.
	BeforeFrom, BeforeTo, AfterFrom, AfterTo civil.Day
	BothBefore, BothAfter                    int
	// MissingBefore / MissingAfter: days with data on that side without
	// counts under the other set (the new set before, the old set after).
	MissingBefore, MissingAfter int
	// Split is the split of the daily means (OldFirst: the old set before,
	// NewSecond: the new set after); valid when OK.
	Split analysis.RuleShift
	OK    bool
	// Backfills are the commands that would give the missing counts.
	Backfills []string
}

// TrafficPct and ChangePct are the change of the exploit counts with
// fixed rules and as seen, relative to what was seen before (NaN when it
// was 0): ChangePct = TrafficPct + the rules' part / Before.
func (s Shift) TrafficPct() float64 { return pct(s.Split.Traffic, s.Split.Before) }

// ChangePct is the change as seen, relative to what was seen before.
func (s Shift) ChangePct() float64 { return pct(s.Split.Change, s.Split.Before) }

func pct(v, base float64) float64 {
	if base <= 0 {
		return math.NaN()
	}
	return v / base
}

// Shifts splits the change of the exploit counts across each change of the
// history, from st's counts under both rule sets.
func (h *History) Shifts(ctx context.Context, st store.Reader) ([]Shift, error) {
	var out []Shift
	for i, c := range h.Changes {
		s := Shift{Change: c, BeforeFrom: h.From, BeforeTo: c.Day.AddDays(-1), AfterFrom: c.Day, AfterTo: h.To}
		for j, o := range h.Changes {
			if j == i || !overlaps(o.Sensors, c.Sensors) {
				continue
			}
			if o.Day < c.Day && o.Day > s.BeforeFrom {
				s.BeforeFrom = o.Day
			}
			if o.Day > c.Day && o.Day.AddDays(-1) < s.AfterTo {
				s.AfterTo = o.Day.AddDays(-1)
			}
		}
		if h.Unlisted {
			out = append(out, s)
			continue
		}
		oldID, newID := c.Before.ID, c.After.ID
		before := h.bothDays(c.Sensors, s.BeforeFrom, s.BeforeTo, oldID, newID, &s.MissingBefore)
		after := h.bothDays(c.Sensors, s.AfterFrom, s.AfterTo, oldID, newID, &s.MissingAfter)
		s.BothBefore, s.BothAfter = len(before), len(after)
		// `rules backfill` takes one sensor: one command per sensor when
		// not every sensor changed.
		sensorArgs := []string{""}
		if !c.AllSensors {
			sensorArgs = nil
			for _, x := range c.Sensors {
				sensorArgs = append(sensorArgs, " --sensor "+x)
			}
		}
		for _, sa := range sensorArgs {
			if s.MissingBefore > 0 || s.BothBefore == 0 {
				s.Backfills = append(s.Backfills, fmt.Sprintf("honeyscope rules backfill --ruleset %s --from %s --to %s%s", c.After.Arg, s.BeforeFrom, s.BeforeTo, sa))
			}
			if s.MissingAfter > 0 || s.BothAfter == 0 {
				s.Backfills = append(s.Backfills, fmt.Sprintf("honeyscope rules backfill --ruleset %s --from %s --to %s%s", c.Before.Arg, s.AfterFrom, s.AfterTo, sa))
			}
		}
		if len(before) > 0 && len(after) > 0 {
			var m [4]float64
			for k, q := range []struct {
				id   int32
				from civil.Day
				to   civil.Day
				days map[civil.Day]bool
			}{{oldID, s.BeforeFrom, s.BeforeTo, before}, {oldID, s.AfterFrom, s.AfterTo, after},
				{newID, s.BeforeFrom, s.BeforeTo, before}, {newID, s.AfterFrom, s.AfterTo, after}} {
				daily, err := Daily(ctx, st, q.id, c.Sensors, q.from, q.to)
				if err != nil {
					return nil, err
				}
				sum := 0.0
				for d := range q.days {
					sum += daily[d]
				}
				m[k] = sum / float64(len(q.days))
			}
			s.Split, s.OK = analysis.SplitRuleShift(m[0], m[1], m[2], m[3]), true
		}
		out = append(out, s)
	}
	return out, nil
}

// bothDays returns the days of [from, to] on which some sensor of sensors
// has data and every such sensor has counts under both a and b (every day
// when Unlisted); missing counts the days with data that lack one.
func (h *History) bothDays(sensors []string, from, to civil.Day, a, b int32, missing *int) map[civil.Day]bool {
	out := map[civil.Day]bool{}
	for d := from; d <= to && d >= from; d++ {
		if h.Unlisted {
			out[d] = true
			continue
		}
		seen, all := false, true
		for _, s := range sensors {
			k := runKey{s, d}
			if !h.data[k] {
				continue
			}
			seen = true
			all = all && h.runs[k][a] && h.runs[k][b]
		}
		switch {
		case seen && all:
			out[d] = true
		case seen:
			*missing++
		}
	}
	return out
}

func overlaps(a, b []string) bool {
	for _, x := range a {
		if slices.Contains(b, x) {
			return true
		}
	}
	return false
}

// Daily returns the exploit packets under rule set id of sensors (nil:
// all) on each day of [from, to] that has any, as `stats --by day --class
// exploit --ruleset` gives them.
func Daily(ctx context.Context, st store.Reader, id int32, sensors []string, from, to civil.Day) (map[civil.Day]float64, error) {
	rows, err := st.Stats(ctx, store.StatsQuery{By: []string{"day"}, Classes: []string{"exploit"}, RuleSet: id,
		Sensors: sensors, From: from.String(), To: to.String(), NoSources: true})
	if err != nil {
		return nil, err
	}
	out := map[civil.Day]float64{}
	for _, r := range rows {
		d, err := civil.Parse(fmt.Sprint(r.Keys[0]))
		if err != nil {
			return nil, fmt.Errorf("stats day %v: %w", r.Keys[0], err)
		}
		out[d] += float64(r.Packets)
	}
	return out, nil
}

// Series is the daily exploit packets of a rule set over [from, to]: NaN
// on days no selected sensor has counts under it.
func (h *History) Series(ctx context.Context, st store.Reader, id int32, sensors []string) ([]float64, error) {
	daily, err := Daily(ctx, st, id, sensors, h.From, h.To)
	if err != nil {
		return nil, err
	}
	if len(sensors) == 0 {
		sensors = h.Sensors
	}
	out := make([]float64, max(h.To.Sub(h.From)+1, 0))
	for i := range out {
		d := h.From.AddDays(i)
		has := false
		for _, s := range sensors {
			has = has || h.HasCounts(s, d, id)
		}
		out[i] = math.NaN()
		if has {
			out[i] = daily[d]
		}
	}
	return out, nil
}

// Rule is one rule's exploit matches under a rule set over a period.
type Rule struct {
	Pattern string // the pattern key ("gid:sid:rev" for a rule)
	Packets float64
	Sources float64
	Days    int // days with matches
}

// Rules returns the exploit matches under rule set id (0: as each capture
// was classified when ingested) of sensors over [from, to] by rule, most
// packets first. When days is not nil, only its days are counted, and
// Sources is then left 0 (distinct sources do not add up over days).
func Rules(ctx context.Context, st store.Reader, id int32, sensors []string, from, to civil.Day, days map[civil.Day]bool) ([]Rule, error) {
	q := store.StatsQuery{By: []string{"day", "pattern"}, Classes: []string{"exploit"}, RuleSet: id,
		Sensors: sensors, From: from.String(), To: to.String(), NoSources: true}
	rows, err := st.Stats(ctx, q)
	if err != nil {
		return nil, err
	}
	by := map[string]*Rule{}
	for _, r := range rows {
		d, err := civil.Parse(fmt.Sprint(r.Keys[0]))
		if err != nil {
			return nil, fmt.Errorf("stats day %v: %w", r.Keys[0], err)
		}
		if days != nil && !days[d] || r.Packets == 0 {
			continue
		}
		p := fmt.Sprint(r.Keys[1])
		if by[p] == nil {
			by[p] = &Rule{Pattern: p}
		}
		by[p].Packets += float64(r.Packets)
		by[p].Days++
	}
	if days == nil {
		q.By, q.NoSources = []string{"pattern"}, false
		rows, err := st.Stats(ctx, q)
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			if x := by[fmt.Sprint(r.Keys[0])]; x != nil {
				x.Sources = float64(r.Sources)
			}
		}
	}
	out := make([]Rule, 0, len(by))
	for _, r := range by {
		out = append(out, *r)
	}
	slices.SortFunc(out, func(a, b Rule) int {
		switch {
		case a.Packets > b.Packets:
			return -1
		case a.Packets < b.Packets:
			return 1
		}
		return strings.Compare(a.Pattern, b.Pattern)
	})
	return out, nil
}

// Comparison is the exploit counts of two rule sets over the same days.
type Comparison struct {
	A, B Set
	// Days are the days of the period with counts under both for every
	// selected sensor with data that day.
	Days []civil.Day
	// SeriesA and SeriesB are the daily packets over the whole period
	// (NaN where a set has no counts).
	SeriesA, SeriesB []float64
	// OnlyA and OnlyB are the rules that fire under one set only over
	// Days.
	OnlyA, OnlyB []Rule
}

// Compare compares rule sets a and b over the history's period for
// sensors (nil: the history's).
func (h *History) Compare(ctx context.Context, st store.Reader, a, b int32, sensors []string) (*Comparison, error) {
	if len(sensors) == 0 {
		sensors = h.Sensors
	}
	c := &Comparison{A: h.set(a), B: h.set(b)}
	var err error
	if c.SeriesA, err = h.Series(ctx, st, a, sensors); err != nil {
		return nil, err
	}
	if c.SeriesB, err = h.Series(ctx, st, b, sensors); err != nil {
		return nil, err
	}
	var n int
	both := h.bothDays(sensors, h.From, h.To, a, b, &n)
	for d := h.From; d <= h.To && d >= h.From; d++ {
		if both[d] {
			c.Days = append(c.Days, d)
		}
	}
	if len(both) == 0 {
		return c, nil
	}
	ra, err := Rules(ctx, st, a, sensors, h.From, h.To, both)
	if err != nil {
		return nil, err
	}
	rb, err := Rules(ctx, st, b, sensors, h.From, h.To, both)
	if err != nil {
		return nil, err
	}
	in := func(rs []Rule, p string) bool {
		return slices.ContainsFunc(rs, func(r Rule) bool { return r.Pattern == p })
	}
	for _, r := range ra {
		if !in(rb, r.Pattern) {
			c.OnlyA = append(c.OnlyA, r)
		}
	}
	for _, r := range rb {
		if !in(ra, r.Pattern) {
			c.OnlyB = append(c.OnlyB, r)
		}
	}
	return c, nil
}
