package report

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/honeyscope/honeyscope/internal/analysis"
	"github.com/honeyscope/honeyscope/internal/chart"
	"github.com/honeyscope/honeyscope/internal/classify"
	"github.com/honeyscope/honeyscope/internal/geo"
	"github.com/honeyscope/honeyscope/internal/store/duckstore"
)

// Options configure a report.
type Options struct {
	// From and To are the first and last day of the period (inclusive),
	// any instant of those days in the store's time zone. Both zero: the
	// last DefaultDays days with data.
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
	// PNGScale is the PNG resolution in pixels per CSS pixel (default 2).
	PNGScale float64
	// Now stamps the report (default time.Now).
	Now func() time.Time
	// Log receives the duration of each step at debug level (nil: none).
	Log *slog.Logger
}

// DefaultDays is the length of the default period.
const DefaultDays = 7

// Result describes a written report.
type Result struct {
	From, To time.Time
	Dir      string
	// Files are the files written, relative to Dir.
	Files []string
	// Findings are the spikes and rises of the period.
	Findings []analysis.Finding
	// Warnings are problems that did not stop the report, e.g. PNGs drawn
	// without a Japanese font.
	Warnings []string
}

// ErrNoData is returned when the store holds no data for the selection.
var ErrNoData = errors.New("no data")

// builder carries the state of one report.
type builder struct {
	ctx  context.Context
	l    *Loader
	opt  Options
	lang string
	ja   bool
	d    doc

	from, to   time.Time // the period
	qFrom      time.Time // first day read (lookback and previous period)
	n, off     int       // period days; offset of From in the read range
	days       []time.Time
	sensors    []SensorInfo
	gaps       []analysis.SensorGaps // over the read range
	present    []bool                // combined (PresentAll), over the read range
	sensorPres map[string][]bool     // per sensor, over the read range
	coverage   []float64             // periodCoverage, over the period
	country    []SensorSeries        // packets by sensor
	port       []SensorSeries        // packets by sensor, ports folded
	asn        []SensorSeries        // packets by sensor, ASes folded
	unitSeries map[string][]SensorSeries
	// unitBySensor holds the series in the report's unit by sensor, when
	// the report covers several sensors.
	unitBySensor map[string][]SensorSeries
	orgs         map[string]string
	findings     []analysis.Finding
	listed       []analysis.Finding // the findings told in prose, with drivers
	highPorts    map[string]map[string]int
	dailySrc     map[string][]float64 // distinct sources per class and day, from the previous period's first day
	curTotals    map[string]Total     // per class over the period
	prevTotals   map[string]Total     // per class over the previous period
	classes      []string             // classes with data in the period
	figs         []*figure
	pngs         []pngJob
	tabs         []*table
	warnings     []string
	mark         time.Time
	tops         map[ClassKey][]topRow
	topTotals    map[ClassKey]float64
	topSrc       map[ClassKey]float64
}

// Build writes the report of opt's period to opt.Out and returns what it
// wrote.
func Build(ctx context.Context, st *duckstore.Store, opt Options) (*Result, error) {
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
	b := &builder{ctx: ctx, l: NewLoader(st, opt.Sensors), opt: opt, lang: opt.Lang, ja: opt.Lang == analysis.LangJapanese, mark: time.Now()}
	if err := b.load(); err != nil {
		return nil, err
	}
	b.compose()
	b.step("compose")
	res, err := b.write()
	b.step("write")
	return res, err
}

// step logs the time since the previous step.
func (b *builder) step(name string) {
	now := time.Now()
	b.opt.Log.Debug("report step", "step", name, "took", now.Sub(b.mark).Round(time.Millisecond))
	b.mark = now
}

// load runs the queries.
func (b *builder) load() error {
	ctx, l := b.ctx, b.l
	var err error
	if b.sensors, err = l.Sensors(ctx); err != nil {
		return err
	}
	if len(b.sensors) == 0 {
		return fmt.Errorf("report: %w in the store (run honeyscope ingest first)", ErrNoData)
	}
	from, to := b.opt.From, b.opt.To
	if from.IsZero() || to.IsZero() {
		first, last, ok, err := l.DataRange(ctx)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("report: %w for the selected sensors", ErrNoData)
		}
		if to.IsZero() {
			to = last
		}
		if from.IsZero() {
			from = l.Day(to).AddDate(0, 0, -(DefaultDays - 1))
			if from.Before(first) {
				from = first
			}
		}
	}
	b.from, b.to = l.Day(from), l.Day(to)
	if b.to.Before(b.from) {
		return fmt.Errorf("report: period ends (%s) before it starts (%s)", dateArg(b.to), dateArg(b.from))
	}
	b.n = daysBetween(b.from, b.to) + 1
	if b.n > 3660 {
		return fmt.Errorf("report: period of %d days is too long (at most 3660)", b.n)
	}
	b.qFrom = b.from.AddDate(0, 0, -max(Lookback, b.n))
	b.off = daysBetween(b.qFrom, b.from)
	for i := range b.n {
		b.days = append(b.days, b.from.AddDate(0, 0, i))
	}
	if b.gaps, err = l.Coverage(ctx, b.qFrom, b.to); err != nil {
		return err
	}
	// A sensor takes part if it has data anywhere in the read range (the
	// period and the baseline before it), so a period that falls within
	// one sensor's outage is incomplete, not complete without it.
	b.present = PresentAll(b.gaps, b.off+b.n, 0, b.off+b.n)
	b.sensorPres = SensorPresent(b.gaps, b.off+b.n)
	b.coverage = b.periodCoverage()
	multi := len(b.sensors) > 1
	b.step("coverage")
	// Two small questions run beside the series queries, which leave part
	// of the machine idle.
	var side sync.WaitGroup
	var highErr, dailyErr error
	side.Add(1)
	go func() {
		defer side.Done()
		b.highPorts, highErr = l.HighPorts(ctx, b.from, b.to)
		b.curTotals, b.prevTotals, b.dailySrc, dailyErr = l.PeriodTotals(ctx, b.from.AddDate(0, 0, -b.n), b.from, b.to)
	}()
	defer side.Wait()

	q := SeriesQuery{From: b.qFrom, To: b.to, Unit: analysis.UnitPackets, BySensor: true}
	q.Dim = analysis.DimCountry
	if b.country, err = l.Series(ctx, q); err != nil {
		return err
	}
	b.step("series by country")
	q.Dim, q.Keep = analysis.DimPort, SeriesKeep
	if b.port, err = l.Series(ctx, q); err != nil {
		return err
	}
	b.step("series by port")
	// In packets the AS series by sensor feed per-sensor spike detection;
	// counting sources, only the top-10 tables use them, merged.
	q.Dim, q.BySensor = analysis.DimASN, b.opt.Unit == analysis.UnitPackets
	if b.asn, err = l.Series(ctx, q); err != nil {
		return err
	}
	b.step("series by AS")
	b.unitSeries = map[string][]SensorSeries{
		analysis.DimCountry: Merge(b.country),
		analysis.DimPort:    Merge(b.port),
		analysis.DimASN:     Merge(b.asn),
	}
	if multi {
		b.unitBySensor = map[string][]SensorSeries{
			analysis.DimCountry: b.country, analysis.DimPort: b.port, analysis.DimASN: b.asn}
	}
	if b.opt.Unit == analysis.UnitSources {
		for _, dim := range []string{analysis.DimCountry, analysis.DimPort, analysis.DimASN} {
			// Merged and per-sensor distinct counts are separate scans:
			// one scan with GROUPING SETS of both was slower than two.
			q := SeriesQuery{From: b.qFrom, To: b.to, Dim: dim, Unit: analysis.UnitSources}
			if dim != analysis.DimCountry {
				q.Keep = SeriesKeep
			}
			// The two scans run side by side: each leaves part of the
			// machine idle while it merges its distinct-count tables.
			var bySensor []SensorSeries
			var sensorErr error
			var wg sync.WaitGroup
			// Distinct sources by port and sensor would cost a third scan
			// of the hits as long as the other two together: port spikes
			// in distinct sources are sought in the combined series.
			if multi && dim != analysis.DimPort {
				qs := q
				qs.BySensor = true
				wg.Add(1)
				go func() {
					defer wg.Done()
					bySensor, sensorErr = l.Series(ctx, qs)
				}()
			}
			b.unitSeries[dim], err = l.Series(ctx, q)
			wg.Wait()
			if err = errors.Join(err, sensorErr); err != nil {
				return err
			}
			switch {
			case multi && dim == analysis.DimPort:
				b.unitBySensor[dim] = b.unitSeries[dim]
			case multi:
				b.unitBySensor[dim] = bySensor
			}
		}
	}
	// Classes with data in the period, in display order.
	seen := map[string]bool{}
	for _, s := range b.unitSeries[analysis.DimCountry] {
		if sum(s.Values[b.off:]) > 0 {
			seen[s.Class] = true
		}
	}
	for _, c := range classify.Names() {
		if seen[c] {
			b.classes = append(b.classes, c)
		}
	}
	b.step("series of distinct sources")
	if b.orgs, err = l.ASOrgs(ctx, b.qFrom, b.to); err != nil {
		return err
	}
	b.step("AS names")
	// Spikes: per sensor when there are several, so that one sensor's
	// spike is not diluted by the others and its missing days are skipped.
	var all []analysis.Series
	present := map[string][]bool{"": b.present}
	src := b.unitSeries
	if multi {
		present, src = maps.Clone(b.sensorPres), b.unitBySensor
		present[""] = b.present // series combining the sensors
	}
	for _, dim := range []string{analysis.DimCountry, analysis.DimPort, analysis.DimASN} {
		for _, s := range src[dim] {
			x := s.Series
			x.Sensor = s.Sensor
			all = append(all, x)
		}
	}
	if b.findings, err = DetectSpikes(ctx, l, all, b.qFrom, present, SpikeOptions{Unit: b.opt.Unit}, b.from, b.to); err != nil {
		return err
	}
	b.listed = Highlights(b.findings, HighlightCount)
	if err := AddDrivers(ctx, l, b.listed); err != nil {
		return err
	}
	type fid struct {
		sensor, class, dim, key string
		day                     int64
	}
	drv := map[fid][]analysis.Driver{}
	for _, f := range b.listed {
		drv[fid{f.Sensor, f.Class, f.Dim, f.Key, civil(f.Day)}] = f.Drivers
	}
	for i, f := range b.findings {
		if d, ok := drv[fid{f.Sensor, f.Class, f.Dim, f.Key, civil(f.Day)}]; ok {
			b.findings[i].Drivers = d
		}
	}
	b.step("spikes and drivers")
	side.Wait()
	if dailyErr != nil {
		b.warnings = append(b.warnings, dailyErr.Error())
	}
	return highErr
}

func sum(v []float64) float64 {
	t := 0.0
	for _, x := range v {
		if !math.IsNaN(x) {
			t += x
		}
	}
	return t
}

// periodGaps are the chart gap flags of the period: days without data.
func (b *builder) periodGaps() []bool {
	g := make([]bool, b.n)
	for i := range g {
		g[i] = !b.present[b.off+i]
	}
	return g
}

// periodCoverage is the captured fraction of each day of the period, so
// charts can mark partial days: the smallest over the sensors with data in
// the days read (a combined day is as complete as its least covered
// sensor), 1 for complete days, 0 for days without data (drawn as gaps).
func (b *builder) periodCoverage() []float64 {
	active := activeSensors(b.gaps, 0, b.off+b.n)
	c := make([]float64, b.n)
	for i := range c {
		if !b.present[b.off+i] {
			continue
		}
		c[i] = 1
		for _, g := range active {
			if b.off+i >= len(g.Days) {
				continue
			}
			if d := g.Days[b.off+i]; d.State == analysis.Partial && d.Length > 0 {
				c[i] = min(c[i], float64(d.Covered)/float64(d.Length))
			}
		}
	}
	return c
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
	names := make([]string, len(b.sensors))
	for i, s := range b.sensors {
		names[i] = s.Name
	}
	b.d.meta = [][2]string{
		{b.tr("periodLabel"), fmt.Sprintf("%s – %s (%d)", dateArg(b.from), dateArg(b.to), b.n)},
		{b.tr("sensorsLabel"), strings.Join(names, ", ")},
		{b.tr("unitLabel"), b.unitName()},
		{b.tr("tzLabel"), b.l.Location().String()},
		{b.tr("generated"), b.opt.Now().In(b.l.Location()).Format("2006-01-02 15:04 MST")},
	}
	if len(b.opt.Annotations) > 0 {
		var a []string
		for _, an := range b.opt.Annotations {
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
	for _, c := range b.classes {
		b.classSection(c)
	}
	b.step("class sections")
	if len(b.sensors) >= 2 {
		b.compareSection()
		b.step("sensor comparison")
	}
	b.domesticSection()
	b.d.h2("method", b.tr("notes"))
	for _, k := range []string{"methodUnit", "methodBaseline", "methodPorts", "methodSpearman"} {
		b.d.para(b.tr(k))
	}
}

// summary: headline numbers against the previous period.
//
// Totals are over every day of each period, but the changes compare the
// average per day with data (analysis.PerDayChange): packets and distinct
// sources per day, over the days on which every sensor with data in that
// period captured (PresentAll), so that missing days in either period do
// not read as a fall or a rise. The text states how many days that was.
func (b *builder) summary() {
	b.d.h2("summary", b.tr("summary"))
	prevFrom := b.from.AddDate(0, 0, -b.n)
	prevTo := b.from.AddDate(0, 0, -1)
	cur, prev := b.curTotals, b.prevTotals
	// Day i of dailySrc is day b.off-b.n+i of the read range.
	dailySrc := b.dailySrc
	prevLo := b.off - b.n
	curPresent := b.present
	prevPresent := PresentAll(b.gaps, b.off, 0, b.off+b.n)
	dailyPackets := map[string][]float64{}
	for _, s := range b.country {
		v := dailyPackets[s.Class]
		if v == nil {
			v = make([]float64, len(s.Values))
			dailyPackets[s.Class] = v
		}
		for i, x := range s.Values {
			v[i] += x
		}
	}
	// perDay sums a class's daily values over the covered days of
	// [lo, hi) of the read range.
	perDay := func(class string, lo, hi int, present []bool, packets bool) (float64, int) {
		var t float64
		days := 0
		for i := max(lo, 0); i < hi; i++ {
			if i >= len(present) || !present[i] {
				continue
			}
			days++
			if packets {
				if v := dailyPackets[class]; i < len(v) {
					t += v[i]
				}
			} else if v := dailySrc[class]; i-prevLo >= 0 && i-prevLo < len(v) {
				t += v[i-prevLo]
			}
		}
		return t, days
	}
	changes := func(class string) (p, s analysis.Change) {
		cp, cd := perDay(class, b.off, b.off+b.n, curPresent, true)
		pp, pd := perDay(class, prevLo, b.off, prevPresent, true)
		cs, _ := perDay(class, b.off, b.off+b.n, curPresent, false)
		ps, _ := perDay(class, prevLo, b.off, prevPresent, false)
		return analysis.PerDayChange(cp, cd, pp, pd), analysis.PerDayChange(cs, cd, ps, pd)
	}
	access := classify.Access.String()
	pc, sc := changes(access)
	prevData := pc.PreviousDays > 0
	change := func(c analysis.Change) string {
		if !prevData {
			return "–"
		}
		return c.Format(b.lang)
	}
	var cover string
	if prevData && (pc.CurrentDays < b.n || pc.PreviousDays < b.n) {
		if b.ja {
			cover = fmt.Sprintf("比較は全センサーのデータがある日の1日あたり平均で行いました（今期間%d日中%d日、前期間%d日中%d日）。", b.n, pc.CurrentDays, b.n, pc.PreviousDays)
		} else {
			cover = fmt.Sprintf(" Changes compare the average per day with data from every sensor: %d of %d days in this period, %d of %d in the previous one.", pc.CurrentDays, b.n, pc.PreviousDays, b.n)
		}
	}
	switch {
	case !prevData && b.ja:
		b.d.para(fmt.Sprintf("%sの期間に%sパケットを観測しました（ユニークIP数%s）。%s",
			b.period(b.from, b.to), chart.FormatCount(cur[access].Packets), chart.FormatCount(cur[access].Sources), b.tr("prevNoData")))
	case !prevData:
		b.d.para(fmt.Sprintf("From %s the sensors received %s packets from %s distinct sources. %s",
			b.period(b.from, b.to), chart.FormatCount(cur[access].Packets), chart.FormatCount(cur[access].Sources), b.tr("prevNoData")))
	case b.ja:
		b.d.para(fmt.Sprintf("%sの期間に%sパケットを観測しました（ユニークIP数%s）。前期間（%s）比は1日あたりパケット数%s、ユニークIP数%sです。%s",
			b.period(b.from, b.to), chart.FormatCount(cur[access].Packets), chart.FormatCount(cur[access].Sources),
			b.period(prevFrom, prevTo), pc.Format(b.lang), sc.Format(b.lang), cover))
	default:
		b.d.para(fmt.Sprintf("From %s the sensors received %s packets from %s distinct sources: %s packets and %s sources per day compared with the previous period (%s).%s",
			b.period(b.from, b.to), chart.FormatCount(cur[access].Packets), chart.FormatCount(cur[access].Sources),
			pc.Format(b.lang), sc.Format(b.lang), b.period(prevFrom, prevTo), cover))
	}
	t := &table{name: "summary", numeric: []bool{false, true, true, true, true, true},
		head: []string{b.tr("class"), b.tr("packets"), b.tr("changeDay"), b.tr("sources"), b.tr("changeDay"), b.tr("previousPackets")},
		csvHead: []string{"class", "packets", "packets_previous", "packets_change_percent", "sources", "sources_previous", "sources_change_percent",
			"days_with_data", "previous_days_with_data"}}
	for _, c := range classify.Names() {
		cu, pr := cur[c], prev[c]
		if cu.Packets == 0 && pr.Packets == 0 {
			continue
		}
		p, s := changes(c)
		prevPackets := chart.FormatCount(pr.Packets)
		if !prevData {
			prevPackets = b.tr("noData")
		}
		t.rows = append(t.rows, []string{b.className(c), chart.FormatCount(cu.Packets), change(p),
			chart.FormatCount(cu.Sources), change(s), prevPackets})
		t.csvRows = append(t.csvRows, []string{c, num(cu.Packets), num(pr.Packets), num(p.Percent),
			num(cu.Sources), num(pr.Sources), num(s.Percent), strconv.Itoa(p.CurrentDays), strconv.Itoa(p.PreviousDays)})
	}
	b.addTable(t)
	if lead := b.leadFindings(); len(lead) > 0 {
		var items []string
		for _, f := range lead {
			items = append(items, analysis.Sentence(f, b.lang, namer))
		}
		b.d.list(items)
	}
}

// num writes a raw number for CSV: integers without decimals, NaN empty.
func num(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return ""
	}
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'f', 4, 64)
}

func (b *builder) spikeSection() {
	b.d.h2("spikes", b.tr("spikes"))
	if len(b.findings) == 0 {
		b.d.para(b.tr("noSpikes"))
		return
	}
	var items []string
	for _, f := range b.listed {
		items = append(items, analysis.Sentence(f, b.lang, namer))
	}
	b.d.list(items)
	if len(items) < len(b.findings) {
		if b.ja {
			b.d.note(fmt.Sprintf("全%d件のうち主な%d件を挙げています。全件は spikes.csv にあります。", len(b.findings), len(items)))
		} else {
			b.d.note(fmt.Sprintf("The %d main findings of %d; all of them are in spikes.csv.", len(items), len(b.findings)))
		}
	}
	b.d.note(b.tr("spikeOnChart"))
	multi := len(b.sensors) > 1
	t := &table{name: "spikes", numeric: []bool{false, false, false, true, true, true},
		head: []string{b.tr("day"), b.tr("class"), b.tr("key"), b.tr("value"), b.tr("baseline"), b.tr("ratio")},
		csvHead: []string{"kind", "sensor", "also_at", "class", "dim", "key", "day", "last_day", "ongoing", "unit", "value", "baseline",
			"ratio", "test_ratio", "z", "baseline_days", "window_days", "sources", "drivers", "sentence_en", "sentence_ja"}}
	if multi {
		t.head = slices.Insert(t.head, 1, b.tr("sensor"))
		t.numeric = slices.Insert(t.numeric, 1, false)
	}
	for _, f := range b.listed {
		day := dateArg(f.Day)
		if f.Kind == analysis.KindRise {
			day += " – " + dateArg(f.LastDay)
			if f.Ongoing {
				day = dateArg(f.Day) + " –"
			}
		}
		row := []string{day, b.className(f.Class), b.keyName(f.Dim, f.Key),
			chart.FormatCount(math.Round(f.Value)), chart.FormatCount(math.Round(f.Baseline)), ratioCell(f)}
		if multi {
			row = slices.Insert(row, 1, strings.Join(append([]string{f.Sensor}, f.AlsoAt...), ", "))
		}
		t.rows = append(t.rows, row)
	}
	for _, f := range b.findings {
		var drvRaw []string
		for _, d := range f.Drivers {
			drvRaw = append(drvRaw, fmt.Sprintf("%s=%s:%s/%s", d.Dim, d.Key, num(math.Round(d.Value)), num(math.Round(d.Baseline))))
		}
		srcs := ""
		if f.Sources > 0 {
			srcs = num(f.Sources)
		}
		t.csvRows = append(t.csvRows, []string{f.Kind, f.Sensor, strings.Join(f.AlsoAt, " "), f.Class, f.Dim, f.Key, dateArg(f.Day), dateArg(f.LastDay),
			strconv.FormatBool(f.Ongoing), string(f.Unit), num(f.Value), num(f.Baseline), num(f.BaselineRatio()), num(f.Ratio), num(f.Z),
			strconv.Itoa(f.BaselineDays), strconv.Itoa(f.Window), srcs, strings.Join(drvRaw, " "),
			analysis.Sentence(f, analysis.LangEnglish, namer), analysis.Sentence(f, analysis.LangJapanese, namer)})
	}
	b.addTable(t)
}

// ratioCell is the value over the baseline for the findings table: "×4.8",
// or "new" when the baseline is 0.
func ratioCell(f analysis.Finding) string {
	r := f.BaselineRatio()
	if math.IsInf(r, 1) {
		return "0 →"
	}
	if math.IsNaN(r) {
		return "–"
	}
	return "×" + ratioText(r)
}

// leadFindings are the three findings of the summary: Mirai, exploit and
// access findings first, as the observation posts lead with them.
func (b *builder) leadFindings() []analysis.Finding {
	var lead, rest []analysis.Finding
	for _, f := range b.listed {
		switch f.Class {
		case "mirai", "exploit", "access":
			lead = append(lead, f)
		default:
			rest = append(rest, f)
		}
	}
	lead = append(lead, rest...)
	return lead[:min(3, len(lead))]
}

func ratioText(r float64) string {
	if r >= 10 {
		return strconv.FormatFloat(math.Round(r), 'f', 0, 64)
	}
	return strconv.FormatFloat(math.Round(r*10)/10, 'f', -1, 64)
}

// coverageSection states the days without data plainly.
func (b *builder) coverageSection() {
	b.d.h2("coverage", b.tr("coverage"))
	t := &table{name: "coverage", numeric: []bool{false, false, false, true},
		head:    []string{b.tr("sensor"), b.tr("day"), b.tr("state"), b.tr("missingHours")},
		csvHead: []string{"sensor", "day", "state", "covered_hours", "missing_hours"}}
	any := false
	for _, g := range b.gaps {
		var none, part []string
		for _, d := range g.Days[b.off:] {
			if d.State == analysis.Full {
				continue
			}
			any = true
			state := b.tr("noData")
			if d.State == analysis.Partial {
				state = b.tr("partial")
				part = append(part, b.dayShort(d.Day))
			} else {
				none = append(none, b.dayShort(d.Day))
			}
			t.rows = append(t.rows, []string{g.Sensor, dateArg(d.Day), state, strconv.Itoa(len(d.MissingHours))})
			var mh []string
			for _, h := range d.MissingHours {
				mh = append(mh, strconv.Itoa(h))
			}
			t.csvRows = append(t.csvRows, []string{g.Sensor, dateArg(d.Day), d.State.String(),
				strconv.FormatFloat(d.Covered.Hours(), 'f', 2, 64), strings.Join(mh, " ")})
		}
		if len(none) == 0 && len(part) == 0 {
			continue
		}
		sep := ", "
		if b.ja {
			sep = "、"
		}
		var s string
		switch {
		case b.ja && len(none) > 0 && len(part) > 0:
			s = fmt.Sprintf("センサー%s：%sはデータがありません（ゼロではなく欠測です）。%sは一部の時間帯のみのデータです。", g.Sensor, strings.Join(none, sep), strings.Join(part, sep))
		case b.ja && len(none) > 0:
			s = fmt.Sprintf("センサー%s：%sはデータがありません（ゼロではなく欠測です）。", g.Sensor, strings.Join(none, sep))
		case b.ja:
			s = fmt.Sprintf("センサー%s：%sは一部の時間帯のみのデータです。", g.Sensor, strings.Join(part, sep))
		case len(none) > 0 && len(part) > 0:
			s = fmt.Sprintf("Sensor %s: no data on %s (missing, not zero); only part of the day was captured on %s.", g.Sensor, strings.Join(none, sep), strings.Join(part, sep))
		case len(none) > 0:
			s = fmt.Sprintf("Sensor %s: no data on %s (missing, not zero).", g.Sensor, strings.Join(none, sep))
		default:
			s = fmt.Sprintf("Sensor %s: only part of the day was captured on %s.", g.Sensor, strings.Join(part, sep))
		}
		b.d.para(s)
	}
	if !any {
		b.d.para(b.tr("allCovered"))
		return
	}
	b.d.note(b.tr("hatchNote"))
	b.addTable(t)
}

// periodValues is the period's slice of a read-range series.
func (b *builder) periodValues(v []float64) []float64 { return v[b.off : b.off+b.n] }

// stack turns series of one class into a stacked bar chart's series: the
// TopN keys by period total, then the rest summed as "other".
func (b *builder) stack(series []SensorSeries, class, dim string) []chart.Series {
	type kv struct {
		key string
		v   []float64
		t   float64
	}
	var ks []kv
	for _, s := range series {
		if s.Class != class {
			continue
		}
		v := b.periodValues(s.Values)
		ks = append(ks, kv{s.Key, v, sum(v)})
	}
	slices.SortFunc(ks, func(a, c kv) int {
		// "other" rows never take a top place.
		if IsOther(a.key) != IsOther(c.key) {
			if IsOther(a.key) {
				return 1
			}
			return -1
		}
		return cmp.Or(cmp.Compare(c.t, a.t), cmp.Compare(a.key, c.key))
	})
	var out []chart.Series
	other := make([]float64, b.n)
	hasOther := false
	for i, k := range ks {
		if i < b.opt.TopN && !IsOther(k.key) && k.t > 0 {
			out = append(out, chart.Series{Key: k.key, Label: b.keyName(dim, k.key), Values: k.v})
			continue
		}
		for d, x := range k.v {
			other[d] += x
			hasOther = hasOther || x > 0
		}
	}
	if hasOther {
		out = append(out, chart.Series{Key: "other", Label: b.tr("other"), Values: other})
	}
	return out
}

// marks are the findings of one class and dimension as chart marks.
func (b *builder) marks(class, dim string) []chart.Mark {
	var out []chart.Mark
	for _, f := range b.listed {
		if f.Class != class || f.Dim != dim {
			continue
		}
		text := b.keyName(dim, f.Key) + " " + ratioCell(f)
		if f.Kind == analysis.KindRise {
			text = b.keyName(dim, f.Key) + " ↗"
		}
		day := f.Day
		if day.Before(b.from) {
			day = b.from
		}
		out = append(out, chart.Mark{Day: day, Key: f.Key, Text: text})
	}
	return out
}

// partialNote states the days of the period that were captured only in
// part, next to the daily charts: "… 17 May (p: 2.9 h)". Empty when none.
func (b *builder) partialNote() string {
	var items []string
	multi := len(b.sensors) > 1
	for i := range b.n {
		var parts []string
		for _, g := range b.gaps {
			d := g.Days[b.off+i]
			if d.State != analysis.Partial {
				continue
			}
			h := strconv.FormatFloat(d.Covered.Hours(), 'f', 1, 64) + " h"
			if multi {
				h = g.Sensor + ": " + h
			}
			parts = append(parts, h)
		}
		if len(parts) > 0 {
			items = append(items, b.dayShort(b.days[i])+" ("+strings.Join(parts, ", ")+")")
		}
	}
	if len(items) == 0 {
		return ""
	}
	sep := ", "
	if b.ja {
		sep = "、"
	}
	return b.tr("partialNote") + " " + strings.Join(items, sep)
}

func (b *builder) classSection(class string) {
	name := b.className(class)
	b.d.h2("class-"+class, name)
	if note := b.partialNote(); note != "" {
		b.d.note(note)
	}
	gaps := b.periodGaps()
	unitSeries := b.unitSeries
	for _, dim := range []string{analysis.DimCountry, analysis.DimPort} {
		head, id := b.tr("byCountry"), class+"-country"
		if dim == analysis.DimPort {
			head, id = b.tr("byPort"), class+"-port"
		}
		b.d.h3(id, head)
		title := name + " · " + head
		c := &chart.StackedBars{Title: title, Subtitle: b.period(b.from, b.to) + " · " + b.unitName(),
			YLabel: b.perDay(), Unit: b.unitName(), Days: b.days, Series: b.stack(unitSeries[dim], class, dim),
			Gaps: gaps, Coverage: b.coverage, Marks: b.marks(class, dim), Annotations: b.opt.Annotations, Lang: b.lang, Width: 840, Height: 420}
		b.addFig(id, title, c)
	}
	b.portDots(class)
	b.topTables(class)
}

// portDots draws the port × day dot plot of a class.
func (b *builder) portDots(class string) {
	var ss []analysis.Series
	for _, s := range b.unitSeries[analysis.DimPort] {
		if s.Class == class {
			x := s.Series
			x.Values = b.periodValues(s.Values)
			x.Present = b.present[b.off : b.off+b.n]
			ss = append(ss, x)
		}
	}
	tables, err := analysis.PortActivity(b.from, ss, analysis.DefaultPortConfig())
	if err != nil || len(tables) == 0 {
		return
	}
	byKey := map[string][]float64{}
	for _, s := range ss {
		byKey[s.Key] = s.Values
	}
	// Ports listed on their own rows; every other high port of a protocol
	// is in its folded row.
	own := map[string]bool{}
	ownHigh := map[string]int{}
	for _, r := range tables[0].Rows {
		if !r.Folded && !IsOther(r.Key) {
			own[r.Key] = true
			if r.Port >= FoldFrom {
				ownHigh[r.Proto]++
			}
		}
	}
	rowLabel := func(r analysis.PortRow) (label, proto string, ports int) {
		proto = r.Proto
		switch {
		case r.Folded:
			ports = max(b.highPorts[class][proto]-ownHigh[proto], r.Ports)
			label = fmt.Sprintf("%d–%d/%s: %s %s", r.Port, r.PortTo, strings.ToUpper(proto), chart.FormatCount(float64(ports)), b.tr("portsWord"))
			if b.ja {
				label = fmt.Sprintf("%d–%d/%s：%sポート", r.Port, r.PortTo, strings.ToUpper(proto), chart.FormatCount(float64(ports)))
			}
		case IsOther(r.Key):
			proto = strings.TrimPrefix(r.Key, OtherKey+"/")
			label = b.tr("otherPorts") + " (" + strings.ToUpper(proto) + ")"
		default:
			label, ports = b.keyName(analysis.DimPort, r.Key), 1
		}
		return label, proto, ports
	}
	// foldedValues sums the daily series of the ports a folded row stands
	// for: the high ports (and the store's range series) of its protocol
	// that have no row of their own.
	foldedValues := func(proto string) []float64 {
		v := make([]float64, b.n)
		for _, s := range ss {
			p, port, ok := analysis.ParsePortKey(s.Key)
			if !ok {
				var lo int
				p, lo, _, ok = analysis.ParsePortRange(s.Key)
				port = lo
			}
			if !ok || p != proto || port < FoldFrom || own[s.Key] {
				continue
			}
			for d, x := range s.Values {
				if d < len(v) {
					v[d] += x
				}
			}
		}
		return v
	}
	const maxRows, maxTableRows = 24, 15
	var rows []chart.DotRow
	var other []analysis.PortRow
	for _, r := range tables[0].Rows {
		if IsOther(r.Key) || r.Folded {
			other = append(other, r)
			continue
		}
		if len(rows) < maxRows {
			rows = append(rows, chart.DotRow{Label: b.keyName(analysis.DimPort, r.Key), Values: byKey[r.Key], Steady: r.Steady})
		}
	}
	for _, r := range other {
		label, proto, _ := rowLabel(r)
		vals := byKey[r.Key]
		if r.Folded {
			vals = foldedValues(proto)
		}
		if vals == nil {
			continue
		}
		rows = append(rows, chart.DotRow{Label: label, Values: vals, Folded: true})
	}
	if len(rows) == 0 {
		return
	}
	id := class + "-portdays"
	title := b.className(class) + " · " + b.tr("portDays")
	b.d.h3(id, b.tr("portDays"))
	c := &chart.DotPlot{Title: title, Subtitle: b.period(b.from, b.to) + " · " + b.unitName(), Unit: b.unitName(),
		Days: b.days, Rows: rows, Gaps: b.periodGaps(), Coverage: b.coverage, Lang: b.lang, Width: 840}
	b.addFig(id, title, c)
	// Daily distinct sources do not add up to the period's distinct sources
	// (a source seen on two days counts twice): the column says so.
	totalHead, totalCSV := b.unitName(), "total"
	if b.opt.Unit == analysis.UnitSources {
		totalHead, totalCSV = b.tr("sourceDays"), "source_days"
	}
	t := &table{name: class + "-ports", numeric: []bool{false, true, true, false, false},
		head:    []string{b.tr("port"), totalHead, b.tr("daysActive"), b.tr("state"), b.tr("firstDay")},
		csvHead: []string{"port", "port_to", "proto", "ports", totalCSV, "days_active", "present_days", "active_share", "steady", "first_day"}}
	shown := 0
	for _, r := range tables[0].Rows {
		first := ""
		if !r.FirstDay.IsZero() {
			first = dateArg(r.FirstDay)
		}
		state := b.tr("sporadic")
		if r.Steady {
			state = b.tr("steady")
		}
		label, proto, ports := rowLabel(r)
		// The table lists the top ports and always the summary rows.
		if summary := r.Folded || IsOther(r.Key); summary || shown < maxTableRows {
			if !summary {
				shown++
			}
			t.rows = append(t.rows, []string{label, chart.FormatCount(r.Total), fmt.Sprintf("%d / %d", r.DaysActive, r.PresentDays), state, first})
		}
		portNum, portTo, nPorts := "", "", ""
		switch {
		case IsOther(r.Key) && !r.Folded:
			portNum = OtherKey
		case r.Port >= 0:
			portNum, portTo, nPorts = strconv.Itoa(r.Port), strconv.Itoa(r.PortTo), strconv.Itoa(ports)
		}
		t.csvRows = append(t.csvRows, []string{portNum, portTo, proto, nPorts, num(r.Total), strconv.Itoa(r.DaysActive), strconv.Itoa(r.PresentDays),
			num(r.ActiveShare), strconv.FormatBool(r.Steady), first})
	}
	t.caption = title
	b.addTable(t)
}

// topRow is one key of a top-10 table.
type topRow struct {
	key string
	p   float64
}

// prepareTops ranks every class's countries, ports and ASes by packets
// over the period and reads the distinct sources of the top 10 of each in
// one query.
func (b *builder) prepareTops() {
	b.tops = map[ClassKey][]topRow{}
	b.topTotals = map[ClassKey]float64{}
	var want []ClassKey
	for _, dim := range []string{analysis.DimCountry, analysis.DimPort, analysis.DimASN} {
		src := Merge(b.asn) // one row per AS, whatever the sensors
		switch dim {
		case analysis.DimCountry:
			src = Merge(b.country)
		case analysis.DimPort:
			src = Merge(b.port)
		}
		byClass := map[string][]topRow{}
		for _, s := range src {
			p := sum(b.periodValues(s.Values))
			b.topTotals[ClassKey{Class: s.Class, Dim: dim}] += p
			if p > 0 && !IsOther(s.Key) {
				byClass[s.Class] = append(byClass[s.Class], topRow{s.Key, p})
			}
		}
		for class, rs := range byClass {
			slices.SortFunc(rs, func(a, c topRow) int { return cmp.Or(cmp.Compare(c.p, a.p), cmp.Compare(a.key, c.key)) })
			rs = rs[:min(10, len(rs))]
			b.tops[ClassKey{Class: class, Dim: dim}] = rs
			for _, r := range rs {
				want = append(want, ClassKey{Class: class, Dim: dim, Key: r.key})
			}
		}
	}
	var err error
	if b.topSrc, err = b.l.KeySources(b.ctx, b.from, b.to, want); err != nil {
		b.warnings = append(b.warnings, err.Error())
	}
}

// topTables writes the class's top-10 countries, ports and ASes by packets.
func (b *builder) topTables(class string) {
	b.d.h3(class+"-top", b.tr("topTables"))
	srcs := b.topSrc
	tops := map[string][]topRow{}
	totals := map[string]float64{}
	for _, dim := range []string{analysis.DimCountry, analysis.DimPort, analysis.DimASN} {
		tops[dim] = b.tops[ClassKey{Class: class, Dim: dim}]
		totals[dim] = b.topTotals[ClassKey{Class: class, Dim: dim}]
	}
	for _, dim := range []string{analysis.DimCountry, analysis.DimPort, analysis.DimASN} {
		head := b.tr(dim)
		t := &table{name: class + "-top-" + dim, caption: b.className(class) + " · " + head,
			numeric: []bool{true, false, false, true, true, true},
			head:    []string{b.tr("rank"), head, "", b.tr("packets"), b.tr("share"), b.tr("sources")},
			csvHead: []string{"rank", dim, "name", "packets", "share", "sources"}}
		switch dim {
		case analysis.DimCountry:
			t.head[2] = ""
		case analysis.DimASN:
			t.head[2] = b.tr("org")
		default:
			t.head = slices.Delete(t.head, 2, 3)
			t.numeric = slices.Delete(t.numeric, 2, 3)
		}
		for i, r := range tops[dim] {
			name := ""
			switch dim {
			case analysis.DimCountry:
				name = geo.CountryName(r.key, b.lang)
			case analysis.DimASN:
				name = b.orgs[r.key]
				if r.key == "AS0" {
					name = b.tr("unknownAS")
				}
			}
			share := 0.0
			if totals[dim] > 0 {
				share = r.p / totals[dim]
			}
			s := srcs[ClassKey{Class: class, Dim: dim, Key: r.key}]
			cells := []string{strconv.Itoa(i + 1), analysis.DefaultName(dim, r.key)}
			if dim != analysis.DimPort {
				cells = append(cells, truncate(name, 48))
			}
			cells = append(cells, chart.FormatCount(r.p), strconv.FormatFloat(share*100, 'f', 1, 64)+"%", chart.FormatCount(s))
			t.rows = append(t.rows, cells)
			t.csvRows = append(t.csvRows, []string{strconv.Itoa(i + 1), r.key, name, num(r.p), num(share), num(s)})
		}
		if len(t.rows) > 0 {
			b.addTable(t)
		}
	}
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// compareSection compares the first sensor with each other one (at most
// three pairs).
func (b *builder) compareSection() {
	b.d.h2("compare", b.tr("compare"))
	present := map[string][]bool{}
	for _, g := range b.gaps {
		p := make([]bool, b.n)
		for i := range p {
			p[i] = g.Days[b.off+i].State != analysis.NoData
		}
		present[g.Sensor] = p
	}
	cut := func(in []SensorSeries) []SensorSeries {
		out := make([]SensorSeries, len(in))
		for i, s := range in {
			out[i] = s
			out[i].Values = b.periodValues(s.Values)
		}
		return out
	}
	// Shares and charts follow the report's unit; the per-address volume
	// stays in packets. Daily distinct sources summed over days are
	// source-days.
	countries, ports := cut(b.country), cut(b.port)
	unitLabel, perDayLabel := b.tr("unitPackets"), b.tr("perDayPackets")
	countrySeries := b.country
	if b.opt.Unit == analysis.UnitSources && b.unitBySensor != nil {
		countrySeries = b.unitBySensor[analysis.DimCountry]
		countries = cut(countrySeries) // ports seen at one sensor only: from packets
		unitLabel, perDayLabel = b.tr("unitSources"), b.tr("perDaySources")
	}
	a := b.sensors[0]
	for pi, o := range b.sensors[1:min(len(b.sensors), 4)] {
		da := CompareInput(a, countries, ports, b.n, present[a.Name])
		db := CompareInput(o, countries, ports, b.n, present[o.Name])
		if b.opt.Unit == analysis.UnitSources {
			// The volume per monitored address stays in packets.
			packets := cut(b.country)
			da.Daily = CompareInput(a, packets, nil, b.n, present[a.Name]).Daily
			db.Daily = CompareInput(o, packets, nil, b.n, present[o.Name]).Daily
		}
		cmpRes, err := analysis.Compare(da, db, analysis.DefaultCompareConfig())
		if err != nil {
			b.warnings = append(b.warnings, err.Error())
			continue
		}
		pair := a.Name + " / " + o.Name
		slug := fmt.Sprintf("compare%d", pi+1)
		b.d.h3(slug, pair)
		t := &table{name: slug + "-sensors", numeric: []bool{false, true, true, true, true},
			head:    []string{b.tr("sensor"), b.tr("addresses"), b.tr("presentDays"), b.tr("packets"), b.tr("perAddr")},
			csvHead: []string{"sensor", "addresses", "present_days", "packets", "packets_per_day_per_address"}}
		for _, s := range []analysis.SensorSummary{cmpRes.A, cmpRes.B} {
			addr := "?"
			if s.Addresses > 0 {
				addr = chart.FormatCount(float64(s.Addresses))
			}
			t.rows = append(t.rows, []string{s.Name, addr, strconv.Itoa(s.PresentDays), chart.FormatCount(s.Packets), fmtFloat(s.PerDayPerAddress)})
			t.csvRows = append(t.csvRows, []string{s.Name, strconv.Itoa(s.Addresses), strconv.Itoa(s.PresentDays), num(s.Packets), num(s.PerDayPerAddress)})
		}
		b.addTable(t)
		if cmpRes.A.Addresses > 0 && cmpRes.B.Addresses > 0 {
			lc := &chart.LineChart{Title: b.tr("perAddrTitle"), Subtitle: pair, YLabel: b.tr("perAddr"), Unit: b.tr("unitPackets"),
				Days: b.days, Series: []chart.Series{
					{Key: "sensor-a-" + a.Name, Label: a.Name, Values: cmpRes.A.DailyPerAddress, Color: "#4e79a7"},
					{Key: "sensor-b-" + o.Name, Label: o.Name, Values: cmpRes.B.DailyPerAddress, Color: "#f28e2b"}},
				Annotations: b.opt.Annotations, Lang: b.lang, Width: 840, Height: 320}
			b.addFig(slug+"-per-address", b.tr("perAddrTitle")+" · "+pair, lc)
		}
		st := &table{name: slug + "-similarity", numeric: []bool{false, true, true, true, true},
			head:    []string{b.tr("class"), b.tr("spearman"), b.tr("dailyCorr"), a.Name, o.Name},
			csvHead: []string{"class", "spearman", "countries", "daily_correlation", "daily_countries", "total_a", "total_b", "only_a", "only_b", "ports_only_a", "ports_only_b"}}
		for _, cc := range cmpRes.Classes {
			st.rows = append(st.rows, []string{b.className(cc.Class), fmtCorr(cc.Spearman), fmtCorr(cc.DailyCorrelation),
				chart.FormatCount(cc.TotalA), chart.FormatCount(cc.TotalB)})
			st.csvRows = append(st.csvRows, []string{cc.Class, num(cc.Spearman), strconv.Itoa(cc.Countries), num(cc.DailyCorrelation),
				strconv.Itoa(cc.DailyCountries), num(cc.TotalA), num(cc.TotalB), strings.Join(cc.OnlyA, " "), strings.Join(cc.OnlyB, " "),
				strings.Join(cc.PortsOnlyA, " "), strings.Join(cc.PortsOnlyB, " ")})
		}
		b.addTable(st)
		b.d.note(b.tr("similarityNote"))
		for _, cc := range cmpRes.Classes {
			if cc.TotalA == 0 || cc.TotalB == 0 {
				continue
			}
			title := fmt.Sprintf("%s · %s · ρ = %s", b.className(cc.Class), b.tr("byCountry"), fmtCorr(cc.Spearman))
			var panels []chart.StackedBars
			for _, s := range []SensorInfo{a, o} {
				var mine []SensorSeries
				for _, x := range countrySeries {
					if x.Sensor == s.Name {
						mine = append(mine, x)
					}
				}
				panels = append(panels, chart.StackedBars{Title: s.Name, Days: b.days, Series: b.stack(mine, cc.Class, analysis.DimCountry),
					Gaps: invert(present[s.Name]), Annotations: b.opt.Annotations, Unit: unitLabel})
			}
			sm := &chart.SmallMultiples{Title: title, Subtitle: pair + " · " + perDayLabel, Panels: panels, Columns: 2, SharedY: true, Lang: b.lang, Width: 840}
			b.addFig(slug+"-"+cc.Class, title, sm)
			sh := &table{name: slug + "-" + cc.Class + "-shares", caption: b.className(cc.Class) + " · " + b.tr("sharesTitle"),
				numeric: []bool{false, false, true, true},
				head:    []string{b.tr("country"), "", a.Name, o.Name},
				csvHead: []string{"country", "count_a", "count_b", "share_a", "share_b"}}
			for _, r := range cc.Shares {
				sh.rows = append(sh.rows, []string{r.Country, geo.CountryName(r.Country, b.lang), pct(r.ShareA), pct(r.ShareB)})
				sh.csvRows = append(sh.csvRows, []string{r.Country, num(r.CountA), num(r.CountB), num(r.ShareA), num(r.ShareB)})
			}
			b.addTable(sh)
			if len(cc.OnlyA) > 0 || len(cc.OnlyB) > 0 {
				b.d.note(fmt.Sprintf("%s %s: %s · %s: %s", b.tr("onlyIn"), a.Name, listOrDash(cc.OnlyA, 12), o.Name, listOrDash(cc.OnlyB, 12)))
			}
			if len(cc.PortsOnlyA) > 0 || len(cc.PortsOnlyB) > 0 {
				portList := func(keys []string) []string {
					var out []string
					for _, k := range keys {
						if !IsOther(k) {
							out = append(out, analysis.DefaultName(analysis.DimPort, k))
						}
					}
					return out
				}
				b.d.note(fmt.Sprintf("%s %s: %s · %s: %s", b.tr("portsOnlyIn"), a.Name, listOrDash(portList(cc.PortsOnlyA), 12),
					o.Name, listOrDash(portList(cc.PortsOnlyB), 12)))
			}
		}
	}
}

func invert(p []bool) []bool {
	out := make([]bool, len(p))
	for i, v := range p {
		out[i] = !v
	}
	return out
}

func listOrDash(s []string, n int) string {
	if len(s) == 0 {
		return "–"
	}
	if len(s) > n {
		return strings.Join(s[:n], ", ") + fmt.Sprintf(" (+%d)", len(s)-n)
	}
	return strings.Join(s, ", ")
}

func pct(v float64) string { return strconv.FormatFloat(v*100, 'f', 1, 64) + "%" }

func fmtCorr(v float64) string {
	if math.IsNaN(v) {
		return "–"
	}
	return strconv.FormatFloat(v, 'f', 2, 64)
}

func fmtFloat(v float64) string {
	switch {
	case math.IsNaN(v):
		return "–"
	case v >= 100:
		return chart.FormatCount(math.Round(v))
	}
	return strconv.FormatFloat(v, 'f', 2, 64)
}

// domesticSection charts the distinct sources placed in Japan per day by
// AS.
func (b *builder) domesticSection() {
	b.d.h2("domestic", b.tr("domestic"))
	ss, err := b.l.Series(b.ctx, SeriesQuery{From: b.from, To: b.to, Dim: analysis.DimASN, Unit: analysis.UnitSources,
		Classes: []string{classify.Access.String()}, Country: "JP", Keep: b.opt.TopN})
	if err != nil {
		b.warnings = append(b.warnings, err.Error())
		return
	}
	if len(ss) == 0 {
		b.d.para(b.tr("noDomestic"))
		return
	}
	// Series covers exactly the period here.
	saved := b.off
	b.off = 0
	series := b.stack(ss, classify.Access.String(), analysis.DimASN)
	b.off = saved
	for i := range series {
		if o := b.orgs[series[i].Key]; o != "" {
			series[i].Label = series[i].Key + " " + truncate(o, 28)
		}
	}
	title := b.tr("domestic")
	c := &chart.StackedBars{Title: title, Subtitle: b.tr("domesticSub"), YLabel: b.tr("perDaySources"), Unit: b.tr("unitSources"),
		Days: b.days, Series: series, Gaps: b.periodGaps(), Coverage: b.coverage, Annotations: b.opt.Annotations, Lang: b.lang, Width: 840, Height: 400}
	b.addFig("domestic-asn", title, c)
	t := &table{name: "domestic-asn", numeric: []bool{false, false, true, true},
		head:    []string{b.tr("asn"), b.tr("org"), b.tr("sources") + " (max/day)", b.tr("sources") + " (Σ days)"},
		csvHead: append([]string{"asn", "org"}, dayHeads(b.days)...)}
	slices.SortFunc(ss, func(x, y SensorSeries) int {
		return cmp.Or(cmp.Compare(sum(y.Values), sum(x.Values)), cmp.Compare(x.Key, y.Key))
	})
	for _, s := range ss {
		name := b.orgs[s.Key]
		if IsOther(s.Key) {
			name = "" // the AS column says "other ASes" already
		}
		t.rows = append(t.rows, []string{b.keyName(analysis.DimASN, s.Key), truncate(name, 40), chart.FormatCount(slices.Max(s.Values)), chart.FormatCount(sum(s.Values))})
		rec := []string{s.Key, name}
		for i, v := range s.Values {
			if !b.present[b.off+i] {
				rec = append(rec, "")
			} else {
				rec = append(rec, num(v))
			}
		}
		t.csvRows = append(t.csvRows, rec)
	}
	b.addTable(t)
}

func dayHeads(days []time.Time) []string {
	out := make([]string, len(days))
	for i, d := range days {
		out[i] = dateArg(d)
	}
	return out
}

type pngJob struct {
	name string
	c    chart.Chart
}

// write creates the folder: charts (SVG and PNG), CSVs, index.html,
// report.md.
func (b *builder) write() (*Result, error) {
	dir := b.opt.Out
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	res := &Result{From: b.from, To: b.to, Dir: dir, Findings: b.findings}
	for _, f := range b.figs {
		if err := writeFile(filepath.Join(dir, f.name+".svg"), f.svg); err != nil {
			return nil, fmt.Errorf("report: %w", err)
		}
		res.Files = append(res.Files, f.name+".svg")
	}
	// PNGs are the slow part: rasterise on two goroutines.
	errs := make([]error, len(b.pngs))
	var wg sync.WaitGroup
	jobs := make(chan int)
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				j := b.pngs[i]
				data, err := j.c.PNG(b.opt.PNGScale)
				if data == nil {
					errs[i] = err
					continue
				}
				if werr := writeFile(filepath.Join(dir, j.name+".png"), data); werr != nil {
					errs[i] = werr
					continue
				}
				errs[i] = err
			}
		}()
	}
	for i := range b.pngs {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	fontWarned := false
	for i, err := range errs {
		switch {
		case err == nil:
			res.Files = append(res.Files, b.pngs[i].name+".png")
		case errors.Is(err, chart.ErrNoCJKFont) || errors.Is(err, chart.ErrMissingGlyphs):
			res.Files = append(res.Files, b.pngs[i].name+".png")
			if !fontWarned {
				b.warnings = append(b.warnings, "PNG charts: "+err.Error())
				fontWarned = true
			}
		default:
			return nil, fmt.Errorf("report: chart %s: %w", b.pngs[i].name, err)
		}
	}
	for _, t := range b.tabs {
		if err := writeCSV(dir, t); err != nil {
			return nil, fmt.Errorf("report: %w", err)
		}
		res.Files = append(res.Files, t.name+".csv")
	}
	if err := b.d.writeHTML(dir); err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	if err := b.d.writeMarkdown(dir); err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	res.Files = append(res.Files, "index.html", "report.md")
	res.Warnings = b.warnings
	return res, nil
}
