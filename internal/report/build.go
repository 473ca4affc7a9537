package report

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/honeyscope/honeyscope/internal/analysis"
	"github.com/honeyscope/honeyscope/internal/chart"
	"github.com/honeyscope/honeyscope/internal/period"
	"github.com/honeyscope/honeyscope/internal/store"
)

// Options configure a report.
type Options struct {
	// From and To are the first and last day of the period (inclusive),
	// any instant of those days in the store's time zone. A missing end
	// (zero) is decided by period.Resolve: both zero, the last
	// period.DefaultDays days with data.
	From, To time.Time
	// Sensors limits the report to these sensors (nil: all).
	Sensors []string
	// Lang is "ja" or "en" (default).
	Lang string
	// Out is the directory written; it is created when missing.
	Out string
	// Unit is what charts and spikes count: packets (default) or distinct
	// sources.
	Unit analysis.Unit
	// TopN is the number of countries and ports stacked in the daily bar
	// charts before "other" (default 8).
	TopN int
	// Annotations are drawn on every daily chart, e.g. the days detection
	// rules changed.
	Annotations []chart.Annotation
	// RuleSet, when set, names a stored rule set (name, "#ID", or
	// "builtin"): the exploit section's table by rule counts the matches
	// under it. CompareRuleSet, with it, names a second set: the exploit
	// section then draws the two over the same days and lists the rules
	// only one of them fires on.
	RuleSet, CompareRuleSet string
	// PatternName names an exploit pattern key for readers (a rule's
	// "gid:sid:rev" becomes its sid and msg); nil: the key as stored.
	PatternName func(key string) string
	// AllFindings shows every finding, also those below the significance
	// threshold (see period.ViewOptions.AllFindings).
	AllFindings bool
	// PNGScale is the PNG resolution in pixels per CSS pixel (default 2).
	PNGScale float64
	// Now stamps the report (default time.Now).
	Now func() time.Time
	// Log receives the duration of each step at debug level (nil: none).
	Log *slog.Logger
}

// Result describes a written report.
type Result struct {
	From, To time.Time
	Dir      string
	// Files are the files written, relative to Dir.
	Files []string
	// Findings are the spikes and rises of the period, all of them,
	// ranked; Shown those at or above the significance threshold (the
	// same event once), Hidden how many were below it.
	Findings []analysis.Finding
	Shown    []analysis.Finding
	Hidden   int
	// RuleSets is what the report says of rule sets (also written to
	// rulesets.json); nil when it says nothing.
	RuleSets *RuleSets
	// Warnings are problems that did not stop the report, e.g. PNGs drawn
	// without a Japanese font.
	Warnings []string
}

// ErrNoData is returned when the store holds no data for the selection.
var ErrNoData = period.ErrNoData

// builder carries the state of one report: the period's view and the
// document being laid out.
type builder struct {
	ctx  context.Context
	st   store.Store
	src  *period.Source
	v    *period.View
	opt  Options
	lang string
	ja   bool
	d    doc

	from, to time.Time   // the period's first and last day (midnight)
	days     []time.Time // the period's days
	figs     []*figure
	pngs     []pngJob
	tabs     []*table
	warnings []string
	mark     time.Time
	tops     map[[2]string]period.TopTable // by class and dimension
	rules    ruleState                     // rule sets of the period (rulesets.go)
}

// Build writes the report of opt's period to opt.Out and returns what it
// wrote.
func Build(ctx context.Context, st store.Store, opt Options) (*Result, error) {
	if opt.Out == "" {
		return nil, errors.New("report: no output directory")
	}
	if opt.Lang == "" {
		opt.Lang = analysis.LangEnglish
	}
	if opt.Lang != analysis.LangEnglish && opt.Lang != analysis.LangJapanese {
		return nil, fmt.Errorf("report: language %q: want en or ja", opt.Lang)
	}
	if opt.Unit == "" {
		opt.Unit = analysis.UnitPackets
	}
	if opt.Unit != analysis.UnitPackets && opt.Unit != analysis.UnitSources {
		return nil, fmt.Errorf("report: unit %q: want packets or sources", opt.Unit)
	}
	if opt.TopN <= 0 {
		opt.TopN = 8
	}
	if opt.PNGScale <= 0 {
		opt.PNGScale = 2
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	src := period.New(st, st.Location(), opt.Sensors)
	b := &builder{ctx: ctx, st: st, src: src, opt: opt, lang: opt.Lang, ja: opt.Lang == analysis.LangJapanese, mark: time.Now()}
	if err := b.load(); err != nil {
		return nil, err
	}
	b.compose()
	b.step("compose")
	res, err := b.write()
	b.step("write")
	return res, err
}

// load reads the period's view.
func (b *builder) load() error {
	sensors, err := b.src.Sensors(b.ctx)
	if err != nil {
		return err
	}
	if len(sensors) == 0 {
		return fmt.Errorf("report: %w in the store (run honeyscope ingest first)", ErrNoData)
	}
	r, err := b.src.Resolve(b.ctx, period.SpecOf(b.opt.From, b.opt.To, b.src.Location()))
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	if b.v, err = b.src.Load(b.ctx, period.ViewOptions{Range: r, Unit: b.opt.Unit, Log: b.opt.Log, AllFindings: b.opt.AllFindings}); err != nil {
		return err
	}
	b.warnings = append(b.warnings, b.v.Warnings...)
	b.from, b.to, b.days = b.src.Time(r.From), b.src.Time(r.To), b.v.Days()
	if err := b.loadRuleSets(); err != nil {
		return err
	}
	b.step("load")
	return nil
}

// step logs the time since the previous step.
func (b *builder) step(name string) {
	now := time.Now()
	b.opt.Log.Debug("report step", "step", name, "took", now.Sub(b.mark).Round(time.Millisecond))
	b.mark = now
}

func (b *builder) addFig(name, alt string, c chart.Chart) {
	f := &figure{name: name, alt: alt, svg: c.SVG()}
	b.figs = append(b.figs, f)
	b.pngs = append(b.pngs, pngJob{name: name, c: c})
	b.d.fig(f)
}

func (b *builder) addTable(t *table) {
	b.tabs = append(b.tabs, t)
	b.d.table(t)
}

// compose lays out the document.
func (b *builder) compose() {
	b.d.lang = b.lang
	b.d.title = b.tr("title") + " " + b.period(b.from, b.to)
	names := make([]string, len(b.v.Sensors))
	for i, s := range b.v.Sensors {
		names[i] = s.Name
	}
	b.d.meta = [][2]string{
		{b.tr("periodLabel"), fmt.Sprintf("%s – %s (%s)", dateArg(b.from), dateArg(b.to), b.dayCount(b.v.N))},
		{b.tr("sensorsLabel"), strings.Join(names, ", ")},
		{b.tr("unitLabel"), b.unitName()},
		{b.tr("tzLabel"), b.src.Location().String()},
		{b.tr("generated"), b.opt.Now().In(b.src.Location()).Format("2006-01-02 15:04 MST")},
	}
	if anns := b.allAnnotations(); len(anns) > 0 {
		var a []string
		for _, an := range anns {
			a = append(a, dateArg(an.Day)+": "+an.Text)
		}
		b.d.meta = append(b.d.meta, [2]string{b.tr("annotations"), strings.Join(a, "; ")})
	}
	if b.lang == "ja" {
		// PNGs need a CJK font for Japanese text; say so where it shows.
		if n := chart.FontNotice(b.lang); n != "" {
			b.d.note(n)
		}
	}
	b.summary()
	b.step("summary")
	b.spikeSection()
	b.coverageSection()
	b.prepareTops()
	b.step("top-10 distinct sources")
	for _, c := range b.v.Classes {
		b.classSection(c)
		if c == "exploit" {
			b.patternSection()
			b.ruleSetSection()
		}
	}
	b.fixedPortSection()
	b.srcPortSection()
	b.step("class sections")
	if len(b.v.Sensors) >= 2 {
		b.compareSection()
		b.step("sensor comparison")
	}
	b.domesticSection()
	b.d.h2("method", b.tr("notes"))
	for _, k := range []string{"methodUnit", "methodBaseline", "methodPorts", "methodSpearman"} {
		b.d.para(b.tr(k))
	}
	b.methodGeo()
}

// dateArg writes a day as YYYY-MM-DD.
func dateArg(t time.Time) string { return t.Format(time.DateOnly) }
