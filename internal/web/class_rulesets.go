package web

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/honeyscope/honeyscope/internal/chart"
	"github.com/honeyscope/honeyscope/internal/period"
	"github.com/honeyscope/honeyscope/internal/rulecmp"
)

// Parameters of the exploit class page: the rule set the exploit counts
// are shown under, and the one it is compared with.
const (
	qRuleSet = "ruleset"
	qRuleVs  = "vs"
)

func init() {
	addMessages(map[string][2]string{
		"rsTitle":      {"Rule sets", "ルールセット"},
		"rsRuleSet":    {"Rule set", "ルールセット"},
		"rsVs":         {"Compared with", "比較するルールセット"},
		"rsAsIngested": {"as ingested", "取り込み時の分類"},
		"rsAuto":       {"automatic", "自動"},
		"rsShow":       {"Show", "表示"},
		"rsUnknown":    {"no such rule set in the store (honeyscope rules list shows them)", "ストアにそのルールセットはありません（honeyscope rules list で一覧できます）"},
		"rsFrom":       {"rule set %s from %s", "ルールセット %s（%sから）"},
		"rsChanged":    {"%s: the rule set changed from %s to %s%s.", "%s：ルールセットが%sから%sに変わりました%s。"},
		"rsVsTitle":    {"Exploit under rule set %s vs %s", "ルールセット %s と %s のエクスプロイト"},
		"rsVsDays":     {"Days with counts under both rule sets: %d of %d.", "両方のルールセットで集計のある日：%[2]d日中%[1]d日。"},
		"rsNoBoth":     {"No day of the period has counts under both %s and %s; `honeyscope rules backfill --ruleset NAME` gives them.", "期間中、%sと%sの両方で集計のある日はありません。`honeyscope rules backfill --ruleset NAME` で集計できます。"},
		"rsOnly":       {"Rules only %s fires on", "%s だけが検知したルール"},
		"rsByRule":     {"By rule under %s", "ルール別（%s）"},
		"rsRule":       {"Rule", "ルール"},
		"rsDays":       {"Days", "観測日数"},
		"rsNone":       {"No rule matched.", "一致したルールはありません。"},
		"rsSensors":    {" (sensors %s)", "（センサー：%s）"},
	})
}

// ruleSetData is the rule-set form and notes of the exploit class page.
type ruleSetData struct {
	Sets, Vs []option
	Hidden   [][2]string
	Changes  []string
	// Vs and Rules name the figure and tables shown ("" when none).
	VsFigure string
	Tables   []string
}

// ruleSetPanel adds to the exploit class page the rule-set selector, the
// rule-set changes (also marked on figs), exploit under two rule sets over
// the same days when both have counts, the rules only one fires on, and
// the table by rule under the set selected.
func (q *request) ruleSetPanel(v *period.View, c *content, figs []*figure) error {
	sensors := make([]string, len(v.Sensors))
	for i, s := range v.Sensors {
		sensors[i] = s.Name
	}
	h, err := rulecmp.Load(q.ctx, q.h.deps.Store, sensors, v.Range.From, v.Range.To)
	if err != nil {
		return err
	}
	d := &ruleSetData{}
	c.Data = d
	pick := func(param string) (*rulecmp.Set, error) {
		arg := strings.TrimSpace(q.arg(param))
		if arg == "" {
			return nil, nil
		}
		s, ok := h.Find(arg)
		if !ok {
			return nil, &FilterError{Param: param, Message: q.T("rsUnknown")}
		}
		return &s, nil
	}
	a, err := pick(qRuleSet)
	if err != nil {
		return err
	}
	b, err := pick(qRuleVs)
	if err != nil {
		return err
	}
	vals := q.F.Query()
	for _, k := range filterNames {
		if x := vals.Get(k); x != "" && k != qClass {
			d.Hidden = append(d.Hidden, [2]string{k, x})
		}
	}
	d.Sets = append(d.Sets, option{Value: "", Label: q.T("rsAsIngested"), Selected: a == nil})
	d.Vs = append(d.Vs, option{Value: "", Label: q.T("rsAuto"), Selected: b == nil})
	for _, s := range h.Sets() {
		d.Sets = append(d.Sets, option{Value: s.Arg, Label: s.Label(), Selected: a != nil && a.ID == s.ID})
		d.Vs = append(d.Vs, option{Value: s.Arg, Label: s.Label(), Selected: b != nil && b.ID == s.ID})
	}

	var anns []chart.Annotation
	for _, ch := range h.Changes {
		text := fmt.Sprintf(q.T("rsFrom"), ch.After.Label(), ch.Day)
		if !ch.AllSensors {
			text = strings.Join(ch.Sensors, ", ") + ": " + text
		}
		anns = append(anns, chart.Annotation{Day: q.src.Time(ch.Day), Text: text})
		sens := ""
		if len(sensors) > 1 {
			sens = fmt.Sprintf(q.T("rsSensors"), strings.Join(ch.Sensors, ", "))
		}
		d.Changes = append(d.Changes, fmt.Sprintf(q.T("rsChanged"), ch.Day, ch.Before.Label(), ch.After.Label(), sens))
	}
	for _, f := range figs {
		if f == nil {
			continue
		}
		if sb, ok := f.Chart.(*chart.StackedBars); ok {
			sb.Annotations = append(sb.Annotations, anns...)
		}
	}

	// The pair compared: the two sets asked for; one asked for against the
	// set that classified the last day; else the two sides of the last
	// change.
	var pa, pb *rulecmp.Set
	last := func() *rulecmp.Set {
		for i := len(sensors) - 1; i >= 0; i-- {
			if s, ok := h.Classified(sensors[i], v.Range.To); ok {
				return &s
			}
		}
		return nil
	}
	switch {
	case a != nil && b != nil:
		pa, pb = a, b
	case a != nil:
		pa, pb = a, last()
	case b != nil:
		pa, pb = last(), b
	case len(h.Changes) > 0:
		ch := h.Changes[len(h.Changes)-1]
		pa, pb = &ch.After, &ch.Before
	}
	if pa != nil && pb != nil && pa.ID != pb.ID {
		cmp, err := h.Compare(q.ctx, q.h.deps.Store, pa.ID, pb.ID, nil)
		if err != nil {
			return err
		}
		if len(cmp.Days) == 0 {
			d.Changes = append(d.Changes, fmt.Sprintf(q.T("rsNoBoth"), pa.Label(), pb.Label()))
		} else {
			title := fmt.Sprintf(q.T("rsVsTitle"), pa.Label(), pb.Label())
			gaps, _ := q.chartDays(v)
			lc := &chart.LineChart{Title: title, Subtitle: rangeText(v.Range, q.Lang) + " · " + q.T("unitPackets"), YLabel: q.T("perDayPackets"),
				Unit: q.T("unitPackets"), Days: v.Days(), Gaps: gaps, Coverage: v.Coverage, Annotations: anns, Lang: q.Lang, Width: 640, Height: 320,
				Series: []chart.Series{{Key: "ruleset:a", Label: pa.Label(), Values: cmp.SeriesA}, {Key: "ruleset:b", Label: pb.Label(), Values: cmp.SeriesB}}}
			c.addFigure(&figure{ID: "ruleset-vs", Title: title, Chart: lc})
			d.VsFigure = "ruleset-vs"
			d.Changes = append(d.Changes, fmt.Sprintf(q.T("rsVsDays"), len(cmp.Days), v.N))
			for _, side := range []struct {
				id   string
				set  *rulecmp.Set
				only []rulecmp.Rule
			}{{"ruleset-only-a", pa, cmp.OnlyA}, {"ruleset-only-b", pb, cmp.OnlyB}} {
				if len(side.only) == 0 {
					continue
				}
				c.addTable(q.ruleTable(side.id, fmt.Sprintf(q.T("rsOnly"), side.set.Label()), side.only, false))
				d.Tables = append(d.Tables, side.id)
			}
		}
	}
	if a != nil {
		rules, err := rulecmp.Rules(q.ctx, q.h.deps.Store, a.ID, sensors, v.Range.From, v.Range.To, nil)
		if err != nil {
			return err
		}
		c.addTable(q.ruleTable("ruleset-rules", fmt.Sprintf(q.T("rsByRule"), a.Label()), rules, true))
		d.Tables = append(d.Tables, "ruleset-rules")
	}
	return nil
}

// ruleTable lists rules with their packets (and sources), days seen.
func (q *request) ruleTable(id, caption string, rules []rulecmp.Rule, sources bool) *table {
	t := &table{ID: id, Caption: caption, Empty: q.T("rsNone"),
		Head:    []string{q.T("rsRule"), q.T("packets"), q.T("rsDays")},
		Numeric: []bool{false, true, true}, CSVHead: []string{"pattern", "rule", "packets", "days"}}
	if sources {
		t.Head = []string{q.T("rsRule"), q.T("packets"), q.T("sources"), q.T("rsDays")}
		t.Numeric = []bool{false, true, true, true}
		t.CSVHead = []string{"pattern", "rule", "packets", "sources", "days"}
	}
	for i, r := range rules {
		if i == topRows*5 {
			break
		}
		name := r.Pattern
		if q.h.deps.PatternName != nil {
			if n := q.h.deps.PatternName(r.Pattern); n != "" {
				name = n
			}
		}
		row := []cell{{Text: chart.Shorten(name, 80), Title: name}, {Text: chart.FormatCount(r.Packets), Num: true}}
		rec := []string{r.Pattern, name, fmtNum(r.Packets)}
		if sources {
			row = append(row, cell{Text: chart.FormatCount(r.Sources), Num: true})
			rec = append(rec, fmtNum(r.Sources))
		}
		row = append(row, cell{Text: strconv.Itoa(r.Days), Num: true})
		t.Rows = append(t.Rows, row)
		t.CSVRows = append(t.CSVRows, append(rec, strconv.Itoa(r.Days)))
	}
	return t
}

func fmtNum(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return strconv.FormatInt(int64(v), 10)
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}
