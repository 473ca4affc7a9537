package period

import (
	"context"

	"github.com/honeyscope/honeyscope/internal/analysis"
	"github.com/honeyscope/honeyscope/internal/classify"
	"github.com/honeyscope/honeyscope/internal/store"
)

// Total is a count over a period.
type Total struct {
	Packets float64
	Sources float64 // distinct source addresses
}

// Totals are the headline numbers of a period and of the previous period
// of the same length.
type Totals struct {
	Range, Previous Range
	// Current and Prev hold packets and distinct sources per class over
	// each period (every day counts, with data or not).
	Current, Prev map[string]Total
	// DailySources holds the distinct sources per class and day from
	// Previous.From to Range.To (index 0 is Previous.From).
	DailySources map[string][]float64
}

// Totals reads the totals of r and of the period before it, in one scan.
func (s *Source) Totals(ctx context.Context, r Range) (Totals, error) {
	prev := r.Previous()
	t := Totals{Range: r, Previous: prev}
	got, err := s.r.ClassTotals(ctx, store.TotalsQuery{Selection: Range{prev.From, r.To}.selection(s.sensors), Split: r.From})
	if err != nil {
		return t, err
	}
	t.Current, t.Prev = map[string]Total{}, map[string]Total{}
	for c, x := range got.After {
		t.Current[c] = Total(x)
	}
	for c, x := range got.Before {
		t.Prev[c] = Total(x)
	}
	t.DailySources = got.DailySources
	return t, nil
}

// HighPorts returns, per class and protocol name, how many distinct
// destination ports from FoldFrom up were hit over r at the selected
// sensors: the size of the folded high-port range.
func (s *Source) HighPorts(ctx context.Context, r Range) (map[string]map[string]int, error) {
	got, err := s.r.HighPorts(ctx, r.selection(s.sensors), FoldFrom)
	if err != nil {
		return nil, err
	}
	out := map[string]map[string]int{}
	for _, h := range got {
		if out[h.Class] == nil {
			out[h.Class] = map[string]int{}
		}
		out[h.Class][store.ProtoName(h.Proto)] = h.Ports
	}
	return out, nil
}

// ASOrgs returns the organisation of each AS ("AS12345") seen over r.
func (s *Source) ASOrgs(ctx context.Context, r Range) (map[string]string, error) {
	got, err := s.r.ASOrgs(ctx, r.selection(s.sensors))
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(got))
	for asn, org := range got {
		out[ASNKey(asn)] = org
	}
	return out, nil
}

// ClassChange is one class's headline: its totals in the period and the
// previous one, and the change of its average per day with data.
type ClassChange struct {
	Class             string
	Current, Previous Total
	Packets, Sources  analysis.Change
}

// headline computes the changes of every class. Day i of dailyPackets,
// present and prevPresent is day i of a range whose day off is the
// period's first; dailySources starts n days before it.
type headline struct {
	off, n       int
	dailyPackets map[string][]float64
	dailySources map[string][]float64
	present      []bool // the period's combined days with data
	prevPresent  []bool // the previous period's
}

// perDay sums a class's daily values over the covered days of [lo, hi).
func (h *headline) perDay(class string, lo, hi int, present []bool, packets bool) (float64, int) {
	prevLo := h.off - h.n
	var t float64
	days := 0
	for i := max(lo, 0); i < hi; i++ {
		if i >= len(present) || !present[i] {
			continue
		}
		days++
		if packets {
			if v := h.dailyPackets[class]; i < len(v) {
				t += v[i]
			}
		} else if v := h.dailySources[class]; i-prevLo >= 0 && i-prevLo < len(v) {
			t += v[i-prevLo]
		}
	}
	return t, days
}

func (h *headline) change(class string) (p, s analysis.Change) {
	cp, cd := h.perDay(class, h.off, h.off+h.n, h.present, true)
	pp, pd := h.perDay(class, h.off-h.n, h.off, h.prevPresent, true)
	cs, _ := h.perDay(class, h.off, h.off+h.n, h.present, false)
	ps, _ := h.perDay(class, h.off-h.n, h.off, h.prevPresent, false)
	return analysis.PerDayChange(cp, cd, pp, pd), analysis.PerDayChange(cs, cd, ps, pd)
}

func packetsByClass(series []analysis.Series) map[string][]float64 {
	out := map[string][]float64{}
	for _, x := range series {
		v := out[x.Class]
		if v == nil {
			v = make([]float64, len(x.Values))
			out[x.Class] = v
		}
		for i, y := range x.Values {
			v[i] += y
		}
	}
	return out
}

func (v *View) headline() *headline {
	return &headline{off: v.Off, n: v.N, dailyPackets: packetsByClass(v.Country), dailySources: v.Totals.DailySources,
		present: v.Present, prevPresent: PresentAll(v.Gaps, v.Off, 0, v.Off+v.N)}
}

// Change is a class's headline change against the previous period: totals
// are over every day of each period, but the change compares the average
// per day with data (analysis.PerDayChange), in packets and in distinct
// sources per day, over the days on which every sensor with data in the
// days read captured (PresentAll), so that missing days in either period
// do not read as a fall or a rise. Change.CurrentDays and PreviousDays say
// how many days that was.
func (v *View) Change(class string) (packets, sources analysis.Change) {
	return v.headline().change(class)
}

// Headline returns the change of every class with packets in the period
// or the previous one, in display order.
func (v *View) Headline() []ClassChange {
	h := v.headline()
	return classChanges(h, v.Totals)
}

func classChanges(h *headline, t Totals) []ClassChange {
	var out []ClassChange
	for _, c := range classify.Names() {
		cu, pr := t.Current[c], t.Prev[c]
		if cu.Packets == 0 && pr.Packets == 0 {
			continue
		}
		p, s := h.change(c)
		out = append(out, ClassChange{Class: c, Current: cu, Previous: pr, Packets: p, Sources: s})
	}
	return out
}

// Headline reads what the headline of r needs (the totals, the packets by
// day and the coverage of r and the previous period) and returns the
// change of every class, as View.Headline does for a loaded view.
func (s *Source) Headline(ctx context.Context, r Range) ([]ClassChange, error) {
	t, err := s.Totals(ctx, r)
	if err != nil {
		return nil, err
	}
	read := Range{From: t.Previous.From, To: r.To}
	gaps, err := s.Coverage(ctx, read)
	if err != nil {
		return nil, err
	}
	series, err := s.Series(ctx, SeriesQuery{Range: read, Dim: DimSensor})
	if err != nil {
		return nil, err
	}
	n, all := r.Days(), read.Days()
	h := &headline{off: n, n: n, dailyPackets: packetsByClass(series), dailySources: t.DailySources,
		present: PresentAll(gaps, all, 0, all), prevPresent: PresentAll(gaps, n, 0, all)}
	return classChanges(h, t), nil
}
