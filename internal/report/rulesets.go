package report

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/honeyscope/honeyscope/internal/backfill"
	"github.com/honeyscope/honeyscope/internal/chart"
	civilday "github.com/honeyscope/honeyscope/internal/civil"
	"github.com/honeyscope/honeyscope/internal/rulecmp"
)

func init() {
	for k, v := range map[string][2]string{
		"ruleSets":        {"Rule sets", "ルールセット"},
		"ruleSetFrom":     {"rule set %s from %s", "ルールセット %s（%sから）"},
		"ruleSetsLabel":   {"Rule-set changes", "ルールセットの変更"},
		"ruleSetChanged":  {"%s: the rule set changed from %s to %s%s.", "%s：ルールセットが%sから%sに変わりました%s。"},
		"ruleSetSensors":  {" (sensors %s)", "（センサー：%s）"},
		"shiftRose":       {"rose", "増加"},
		"shiftFell":       {"fell", "減少"},
		"shiftSentence":   {"Exploit packets %s %s (daily mean %s → %s); with fixed rules the traffic %s %s; the rule change accounts for %s of the change.", "エクスプロイトのパケットは%[2]s%[1]sしました（1日平均%[3]s→%[4]s）。ルールを固定するとトラフィックは%[6]s%[5]sで、変化のうち%[7]sはルールの変更によるものです。"},
		"shiftFromZero":   {"Exploit packets went from 0 to %s a day; the rule change accounts for %s of the change.", "エクスプロイトのパケットは1日平均0から%sになりました。変化のうち%sはルールの変更によるものです。"},
		"shiftNone":       {"Exploit packets did not change across the rule-set change.", "ルールセットの変更の前後でエクスプロイトのパケット数は変わりませんでした。"},
		"shiftDays":       {"Daily means over the days with counts under both rule sets: %d of %s – %s before, %d of %s – %s after.", "両方のルールセットで集計のある日の1日平均です：変更前は%[2]s〜%[3]sのうち%[1]d日、変更後は%[5]s〜%[6]sのうち%[4]d日。"},
		"shiftMissing":    {"Counts under both rule sets are missing for %d days with data before the change and %d after; these commands would give them:", "変更前の%d日と変更後の%d日（データのある日）について、両方のルールセットでの集計がありません。次のコマンドで集計できます："},
		"shiftUnknown":    {"Without counts under both rule sets on both sides of the change, how much of it the rules explain is not known; these commands would give them:", "変更の前後で両方のルールセットでの集計がないため、変化のうちルールによる分はわかりません。次のコマンドで集計できます："},
		"shiftUnlisted":   {"The store as read does not list which rule sets have counts on which days (it keeps no evidence, or is read through a running serve), so how much of the change the rules explain is not stated.", "読み込んだストアからは、どの日にどのルールセットの集計があるかがわからないため（証拠を保存していないか、実行中のserve経由で読んでいるため）、変化のうちルールによる分は示せません。"},
		"ruleVs":          {"Exploit under rule set %s vs %s", "ルールセット %s と %s のエクスプロイト"},
		"ruleVsSub":       {"exploit packets per day under each rule set, the same traffic", "同じトラフィックを各ルールセットで分類した1日あたりのエクスプロイトのパケット数"},
		"ruleVsDays":      {"Days with counts under both rule sets: %d of %d.", "両方のルールセットで集計のある日：%[2]d日中%[1]d日。"},
		"ruleVsNoDays":    {"No day of the period has counts under both rule sets; `honeyscope rules backfill --ruleset NAME` gives them.", "期間中、両方のルールセットで集計のある日はありません。`honeyscope rules backfill --ruleset NAME` で集計できます。"},
		"onlyUnder":       {"Rules only %s fires on", "%s だけが検知したルール"},
		"onlyNone":        {"Over these days both rule sets fire on the same rules.", "これらの日では、両方のルールセットが同じルールで検知しています。"},
		"byRuleUnder":     {"By rule under %s", "ルール別（%s）"},
		"rule":            {"Rule", "ルール"},
		"noRuleMatches":   {"No payload matched a rule of this set in this period.", "この期間、このルールセットのルールに一致したペイロードはありませんでした。"},
		"methodRuleShift": {"The share the rules explain splits the change of the daily mean of exploit packets across a rule-set change into a change of traffic under fixed rules and a change of rules on fixed traffic, each the mean of its two measures (under the old and the new rules; on the traffic before and after), so that the two add up to the change; the share is |rules| / (|rules| + |traffic|).", "ルールによる割合は、ルールセット変更の前後のエクスプロイトのパケット数（1日平均）の変化を、ルールを固定したときのトラフィックの変化と、トラフィックを固定したときのルールの変化に分けたものです。それぞれ2通りの測り方（旧ルール・新ルール、変更前・変更後のトラフィック）の平均で、両者の和は変化に等しくなります。割合は |ルール| / (|ルール| + |トラフィック|) です。"},
	} {
		msgs[k] = v
	}
}

// RuleSets is what the report says of rule sets, as written to
// rulesets.json.
type RuleSets struct {
	Changes []RuleSetChange `json:"changes"`
	Shifts  []RuleShift     `json:"shifts,omitempty"`
	Compare *RuleSetCompare `json:"compare,omitempty"`
	// ByRule is the table by rule under Options.RuleSet.
	ByRule *RuleTable `json:"by_rule,omitempty"`
}

// RuleSetRef names a rule set.
type RuleSetRef struct {
	ID      int32  `json:"id"`
	Name    string `json:"name"`
	Version string `json:"version,omitempty"`
}

// RuleSetChange is a change of the rule set that classified the exploits
// of some sensors, as marked on the exploit charts.
type RuleSetChange struct {
	Day     civilday.Day `json:"day"`
	Sensors []string     `json:"sensors"`
	Before  RuleSetRef   `json:"before"`
	After   RuleSetRef   `json:"after"`
	Text    string       `json:"text"` // the chart annotation
}

// RuleShift is how much of the change across a rule-set change the rules
// explain (analysis.SplitRuleShift of the daily means).
type RuleShift struct {
	Day                                      civilday.Day `json:"day"`
	BeforeFrom, BeforeTo, AfterFrom, AfterTo civilday.Day
	DaysBefore, DaysAfter                    int // days with counts under both
	OK                                       bool
	OldFirst, OldSecond, NewFirst, NewSecond float64
	Change, Traffic, Rules                   float64
	RulesShare                               *float64 // nil when not defined
	Backfills                                []string `json:",omitempty"`
}

// RuleSetCompare is the exploit counts under two rule sets over the same
// days.
type RuleSetCompare struct {
	A, B RuleSetRef
	Days []civilday.Day // days with counts under both
	// SeriesA and SeriesB are the daily packets over the period's days
	// (null where a set has no counts).
	SeriesA, SeriesB []*float64
	OnlyA, OnlyB     []RuleRow
}

// RuleTable is a table of exploit matches by rule under a rule set.
type RuleTable struct {
	RuleSet RuleSetRef
	Rows    []RuleRow
}

// RuleRow is one rule's matches.
type RuleRow struct {
	Pattern string  `json:"pattern"`
	Name    string  `json:"name"` // "sid N: msg"
	Packets float64 `json:"packets"`
	Sources float64 `json:"sources,omitempty"`
	Days    int     `json:"days"`
}

// ruleState is the builder's rule-set history of the period.
type ruleState struct {
	hist   *rulecmp.History
	marks  []chart.Annotation
	out    RuleSets
	a, b   *rulecmp.Set // Options.RuleSet and CompareRuleSet, resolved
	loaded bool
}

func ref(s rulecmp.Set) RuleSetRef { return RuleSetRef{ID: s.ID, Name: s.Arg, Version: s.Version} }

// loadRuleSets reads the period's rule-set history and resolves the rule
// sets the options name.
func (b *builder) loadRuleSets() error {
	if b.opt.CompareRuleSet != "" && b.opt.RuleSet == "" {
		return fmt.Errorf("report: a rule set to compare with (%s) needs a rule set to compare", b.opt.CompareRuleSet)
	}
	names := make([]string, len(b.v.Sensors))
	for i, s := range b.v.Sensors {
		names[i] = s.Name
	}
	h, err := rulecmp.Load(b.ctx, b.st, names, b.v.Range.From, b.v.Range.To)
	if err != nil {
		return fmt.Errorf("report: rule sets: %w", err)
	}
	b.rules.hist, b.rules.loaded = h, true
	for _, o := range []struct {
		name string
		dst  **rulecmp.Set
	}{{b.opt.RuleSet, &b.rules.a}, {b.opt.CompareRuleSet, &b.rules.b}} {
		if o.name == "" {
			continue
		}
		rs, err := backfill.Resolve(b.ctx, b.st, o.name)
		if err != nil {
			return fmt.Errorf("report: rule set %q: %w", o.name, err)
		}
		s := h.SetOf(rs.ID)
		*o.dst = &s
	}
	if b.rules.a != nil && b.rules.b != nil && b.rules.a.ID == b.rules.b.ID {
		return fmt.Errorf("report: rule set %s compared with itself", b.rules.a.Label())
	}
	for _, c := range h.Changes {
		text := fmt.Sprintf(b.tr("ruleSetFrom"), c.After.Label(), c.Day)
		if !c.AllSensors {
			text = strings.Join(c.Sensors, ", ") + ": " + text
		}
		b.rules.marks = append(b.rules.marks, chart.Annotation{Day: b.src.Time(c.Day), Text: text})
		b.rules.out.Changes = append(b.rules.out.Changes, RuleSetChange{Day: c.Day, Sensors: c.Sensors,
			Before: ref(c.Before), After: ref(c.After), Text: text})
	}
	return nil
}

// annotations are the annotations of a class's daily charts: the given
// ones, and on the exploit charts the rule-set changes.
func (b *builder) annotations(class string) []chart.Annotation {
	if class != "exploit" || len(b.rules.marks) == 0 {
		return b.opt.Annotations
	}
	return append(append([]chart.Annotation(nil), b.opt.Annotations...), b.rules.marks...)
}

// allAnnotations lists every annotation of the report.
func (b *builder) allAnnotations() []chart.Annotation { return b.annotations("exploit") }

// ruleSetSection ends the exploit section: the rule-set changes and how
// much of the change across each the rules explain, the two rule sets the
// options compare, and the table by rule under the rule set asked for.
func (b *builder) ruleSetSection() {
	h := b.rules.hist
	if h == nil || len(h.Changes) == 0 && b.rules.a == nil {
		return
	}
	b.d.h3("exploit-rulesets", b.tr("ruleSets"))
	split := false
	if len(h.Changes) > 0 {
		split = b.ruleShifts()
	}
	switch {
	case b.rules.a != nil && b.rules.b != nil:
		b.ruleCompare(*b.rules.a, *b.rules.b)
	case b.rules.a == nil && split:
		// Without a pair asked for: the two sides of the last change,
		// when the counts split it.
		last := h.Changes[len(h.Changes)-1]
		b.ruleCompare(last.After, last.Before)
	}
	if b.rules.a != nil {
		b.ruleTable(*b.rules.a)
	}
}

// ruleShifts states each change and what the rules explain of it; it
// reports whether the last change could be split.
func (b *builder) ruleShifts() bool {
	shifts, err := b.rules.hist.Shifts(b.ctx, b.st)
	if err != nil {
		b.warnings = append(b.warnings, err.Error())
		return false
	}
	for _, s := range shifts {
		c := s.Change
		sensors := ""
		if !c.AllSensors || len(b.v.Sensors) > 1 {
			sensors = fmt.Sprintf(b.tr("ruleSetSensors"), strings.Join(c.Sensors, ", "))
		}
		b.d.para(fmt.Sprintf(b.tr("ruleSetChanged"), dateArg(b.src.Time(c.Day)), c.Before.Label(), c.After.Label(), sensors))
		rs := RuleShift{Day: c.Day, BeforeFrom: s.BeforeFrom, BeforeTo: s.BeforeTo, AfterFrom: s.AfterFrom, AfterTo: s.AfterTo,
			DaysBefore: s.BothBefore, DaysAfter: s.BothAfter, OK: s.OK, Backfills: s.Backfills}
		if s.OK {
			sp := s.Split
			rs.OldFirst, rs.OldSecond, rs.NewFirst, rs.NewSecond = sp.OldFirst, sp.OldSecond, sp.NewFirst, sp.NewSecond
			rs.Change, rs.Traffic, rs.Rules = sp.Change, sp.Traffic, sp.Rules
			if !math.IsNaN(sp.RulesShare) {
				v := sp.RulesShare
				rs.RulesShare = &v
			}
			b.d.para(b.shiftSentence(s))
			b.d.para(fmt.Sprintf(b.tr("shiftDays"), s.BothBefore, dateArg(b.src.Time(s.BeforeFrom)), dateArg(b.src.Time(s.BeforeTo)),
				s.BothAfter, dateArg(b.src.Time(s.AfterFrom)), dateArg(b.src.Time(s.AfterTo))))
			if len(s.Backfills) > 0 {
				b.d.para(fmt.Sprintf(b.tr("shiftMissing"), s.MissingBefore, s.MissingAfter))
				b.d.list(s.Backfills)
			}
		} else if b.rules.hist.Unlisted {
			b.d.para(b.tr("shiftUnlisted"))
		} else {
			b.d.para(b.tr("shiftUnknown"))
			b.d.list(s.Backfills)
		}
		b.rules.out.Shifts = append(b.rules.out.Shifts, rs)
	}
	b.d.note(b.tr("methodRuleShift"))
	return len(shifts) > 0 && shifts[len(shifts)-1].OK
}

// shiftSentence says what the rules explain of a change.
func (b *builder) shiftSentence(s rulecmp.Shift) string {
	sp := s.Split
	share := "–"
	if !math.IsNaN(sp.RulesShare) {
		share = chart.FormatPercent(sp.RulesShare)
	}
	switch {
	case sp.Change == 0 && sp.Rules == 0 && sp.Traffic == 0:
		return b.tr("shiftNone")
	case sp.Before <= 0:
		return fmt.Sprintf(b.tr("shiftFromZero"), chart.FormatCount(sp.After), share)
	}
	dir := func(v float64) string {
		if v < 0 {
			return b.tr("shiftFell")
		}
		return b.tr("shiftRose")
	}
	abs := func(v float64) string { return chart.FormatPercent(math.Abs(v)) }
	return fmt.Sprintf(b.tr("shiftSentence"), dir(sp.Change), abs(s.ChangePct()), chart.FormatCount(sp.Before), chart.FormatCount(sp.After),
		dir(sp.Traffic), abs(s.TrafficPct()), share)
}

func (b *builder) ruleCompare(a, o rulecmp.Set) {
	cmp, err := b.rules.hist.Compare(b.ctx, b.st, a.ID, o.ID, nil)
	if err != nil {
		b.warnings = append(b.warnings, err.Error())
		return
	}
	out := &RuleSetCompare{A: ref(a), B: ref(o), Days: cmp.Days, SeriesA: nullable(cmp.SeriesA), SeriesB: nullable(cmp.SeriesB)}
	b.rules.out.Compare = out
	title := fmt.Sprintf(b.tr("ruleVs"), a.Label(), o.Label())
	c := &chart.LineChart{Title: title, Subtitle: b.period(b.from, b.to) + " · " + b.tr("ruleVsSub"),
		YLabel: b.tr("perDayPackets"), Unit: b.tr("unitPackets"), Days: b.days,
		Series: []chart.Series{{Key: "ruleset:a", Label: a.Label(), Values: cmp.SeriesA}, {Key: "ruleset:b", Label: o.Label(), Values: cmp.SeriesB}},
		Gaps:   b.v.Gap(), Coverage: b.v.Coverage, Annotations: b.annotations("exploit"), Lang: b.lang, Width: 840, Height: 360}
	b.addFig("exploit-ruleset-vs", title, c)
	if len(cmp.Days) == 0 {
		b.d.para(b.tr("ruleVsNoDays"))
		return
	}
	b.d.para(fmt.Sprintf(b.tr("ruleVsDays"), len(cmp.Days), len(b.days)))
	if len(cmp.OnlyA) == 0 && len(cmp.OnlyB) == 0 {
		b.d.para(b.tr("onlyNone"))
		return
	}
	for _, side := range []struct {
		set  rulecmp.Set
		rows []rulecmp.Rule
		name string
		dst  *[]RuleRow
	}{{a, cmp.OnlyA, "exploit-only-a", &out.OnlyA}, {o, cmp.OnlyB, "exploit-only-b", &out.OnlyB}} {
		if len(side.rows) == 0 {
			continue
		}
		rows := b.ruleRows(side.rows)
		*side.dst = rows
		caption := fmt.Sprintf(b.tr("onlyUnder"), side.set.Label())
		tab := &table{name: side.name, caption: caption, numeric: []bool{true, false, true, true},
			head:    []string{b.tr("rank"), b.tr("rule"), b.tr("packets"), b.tr("daysSeen")},
			csvHead: []string{"rank", "pattern", "rule", "packets", "days"}}
		for i, r := range rows {
			tab.rows = append(tab.rows, []string{strconv.Itoa(i + 1), r.Name, chart.FormatCount(r.Packets), b.dayCount(r.Days)})
			tab.csvRows = append(tab.csvRows, []string{strconv.Itoa(i + 1), r.Pattern, r.Name, num(r.Packets), strconv.Itoa(r.Days)})
		}
		b.addTable(tab)
	}
}

// ruleTable tabulates the exploit matches of the period by rule under s.
func (b *builder) ruleTable(s rulecmp.Set) {
	names := make([]string, len(b.v.Sensors))
	for i, x := range b.v.Sensors {
		names[i] = x.Name
	}
	rules, err := rulecmp.Rules(b.ctx, b.st, s.ID, names, b.v.Range.From, b.v.Range.To, nil)
	if err != nil {
		b.warnings = append(b.warnings, err.Error())
		return
	}
	caption := fmt.Sprintf(b.tr("byRuleUnder"), s.Label())
	rows := b.ruleRows(rules)
	b.rules.out.ByRule = &RuleTable{RuleSet: ref(s), Rows: rows}
	if len(rows) == 0 {
		b.d.para(caption + ": " + b.tr("noRuleMatches"))
		return
	}
	tab := &table{name: "exploit-by-rule", caption: caption, numeric: []bool{true, false, true, true, true},
		head:    []string{b.tr("rank"), b.tr("rule"), b.tr("packets"), b.tr("sources"), b.tr("daysSeen")},
		csvHead: []string{"rank", "pattern", "rule", "packets", "sources", "days"}}
	for i, r := range rows {
		tab.rows = append(tab.rows, []string{strconv.Itoa(i + 1), r.Name, chart.FormatCount(r.Packets), chart.FormatCount(r.Sources), b.dayCount(r.Days)})
		tab.csvRows = append(tab.csvRows, []string{strconv.Itoa(i + 1), r.Pattern, r.Name, num(r.Packets), num(r.Sources), strconv.Itoa(r.Days)})
	}
	b.addTable(tab)
}

func (b *builder) ruleRows(rules []rulecmp.Rule) []RuleRow {
	out := make([]RuleRow, len(rules))
	for i, r := range rules {
		out[i] = RuleRow{Pattern: r.Pattern, Name: b.patternName(r.Pattern), Packets: r.Packets, Sources: r.Sources, Days: r.Days}
	}
	return out
}

func nullable(vs []float64) []*float64 {
	out := make([]*float64, len(vs))
	for i, v := range vs {
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			out[i] = &v
		}
	}
	return out
}

// writeRuleSets writes rulesets.json when the report says anything of rule
// sets, and sets res.RuleSets.
func (b *builder) writeRuleSets(dir string, res *Result) error {
	o := b.rules.out
	if len(o.Changes) == 0 && o.Compare == nil && o.ByRule == nil {
		return nil
	}
	res.RuleSets = &o
	data, err := json.MarshalIndent(o, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "rulesets.json"), append(data, '\n'), 0o644); err != nil {
		return err
	}
	res.Files = append(res.Files, "rulesets.json")
	return nil
}
