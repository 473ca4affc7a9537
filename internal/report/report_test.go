package report

import (
	"context"
	"encoding/csv"
	"flag"
	"fmt"
	"html"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/honeyscope/honeyscope/internal/analysis"
	"github.com/honeyscope/honeyscope/internal/chart"
	"github.com/honeyscope/honeyscope/internal/ingest"
	"github.com/honeyscope/honeyscope/internal/period/periodtest"
	"github.com/honeyscope/honeyscope/internal/store/duckstore"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// fixtureStore is the fixture (periodtest.FixtureCaptures) these tests share.
var fixtureStore = &periodtest.Fixture{Dir: "report-fixture", Base: ingest.Config{CountryDB: "builtin country (test-country.mmdb)", ASNDB: "builtin asn (test-asn.tgz)"}}

func TestMain(m *testing.M) {
	code := m.Run()
	fixtureStore.Remove()
	os.Exit(code)
}

func fixture(t *testing.T) *duckstore.Store {
	t.Helper()
	return fixtureStore.Open(t)
}

func day(i int) time.Time { return periodtest.Start.AddDate(0, 0, i) }

// buildReport renders the week ending on the fixture's last day.
func buildReport(t *testing.T, st *duckstore.Store, opt Options) *Result {
	t.Helper()
	if opt.Out == "" {
		opt.Out = t.TempDir()
	}
	if opt.From.IsZero() {
		opt.From, opt.To = day(periodtest.Days-7), day(periodtest.Days-1)
	}
	opt.Now = func() time.Time { return time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC) }
	res, err := Build(context.Background(), st, opt)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestReportFindsNamesAndDrawsSpike(t *testing.T) {
	st := fixture(t)
	cases := []struct {
		lang, unit    string
		country, date string
		ann           string
		classHeading  string
		all           bool
	}{
		{"en", "packets", "Italy", "14 May", "rules v2", "Mirai-like packets", false},
		{"ja", "packets", "イタリア", "5月14日", "ルール更新", "Mirai特徴パケット", false},
		// In distinct sources the spike (101 sources from a median of 0, 31%
		// of the class's sources that day) scores 2.23, below the default
		// threshold of 2.5 calibrated on packets: the report is asked for
		// every finding.
		{"en", "sources", "Italy", "14 May", "rules v2", "Mirai-like packets", true},
	}
	for _, c := range cases {
		t.Run(c.lang+"-"+c.unit, func(t *testing.T) {
			res := buildReport(t, st, Options{Lang: c.lang, Unit: analysis.Unit(c.unit), AllFindings: c.all,
				From: day(periodtest.Days - 10), To: day(periodtest.Days - 1),
				Annotations: []chart.Annotation{{Day: day(periodtest.Days - 5), Text: c.ann}}})
			// The planted Mirai spike is also an access spike (access counts
			// every packet); the report tells it once, as the Mirai one.
			var spike *analysis.Finding
			for _, class := range []string{"mirai", "access"} {
				for i, f := range res.Findings {
					if spike == nil && f.Dim == analysis.DimCountry && f.Key == "IT" && f.Kind == analysis.KindSpike &&
						f.Class == class && civil(f.Day) == civil(day(periodtest.SpikeDay)) {
						spike = &res.Findings[i]
					}
				}
			}
			if spike == nil {
				t.Fatalf("no IT spike on %s among %d findings", dateArg(day(periodtest.SpikeDay)), len(res.Findings))
			}
			t.Logf("IT spike: significance %.2f, share %.3f", spike.Significance, spike.Share)
			if spike.Ratio < 3 {
				t.Errorf("IT spike ratio %.1f, planted ×12", spike.Ratio)
			}
			sentence := analysis.Sentence(*spike, c.lang, namer)
			for _, want := range []string{c.country, c.date} {
				if !strings.Contains(sentence, want) {
					t.Errorf("sentence %q does not name %q", sentence, want)
				}
			}
			page := readFile(t, filepath.Join(res.Dir, "index.html"))
			if !strings.Contains(page, html.EscapeString(sentence)) {
				t.Errorf("index.html does not hold the sentence %q", sentence)
			}
			md := readFile(t, filepath.Join(res.Dir, "report.md"))
			if !strings.Contains(md, mdEsc(sentence)) {
				t.Errorf("report.md does not hold the sentence %q", sentence)
			}
			for _, want := range []string{c.classHeading, "small"} {
				if !strings.Contains(page, want) {
					t.Errorf("index.html lacks %q", want)
				}
			}
			// The spike is drawn: a mark on its day in its class's country chart.
			svg := readFile(t, filepath.Join(res.Dir, spike.Class+"-country.svg"))
			markTitle := regexp.MustCompile(`class="mark"[^>]*>\s*<title>` + regexp.QuoteMeta(dateArg(day(periodtest.SpikeDay))+" · "+html.EscapeString(c.country)))
			if !markTitle.MatchString(svg) && !strings.Contains(svg, "<title>"+dateArg(day(periodtest.SpikeDay))+" · "+c.country+" ×") {
				t.Errorf("%s-country.svg has no mark for %s on %s", spike.Class, c.country, dateArg(day(periodtest.SpikeDay)))
			}
			// The annotation is on the charts, and the days without data are
			// hatched (the "small" sensor's panels in the comparison).
			if !strings.Contains(svg, c.ann) {
				t.Errorf("annotation %q not drawn", c.ann)
			}
			if _, err := os.Stat(filepath.Join(res.Dir, spike.Class+"-country.png")); err != nil {
				t.Errorf("PNG missing: %v", err)
			}
		})
	}
}

var attrRef = regexp.MustCompile(`(?i)\s(?:src|href)\s*=\s*"([^"]*)"`)

// TestSelfContained: index.html refers to nothing on the network, every
// local file it or report.md refers to exists, and every CSV parses.
func TestSelfContained(t *testing.T) {
	st := fixture(t)
	res := buildReport(t, st, Options{Lang: "ja"})
	page := readFile(t, filepath.Join(res.Dir, "index.html"))
	refs := attrRef.FindAllStringSubmatch(page, -1)
	if len(refs) == 0 {
		t.Fatal("no references at all")
	}
	ids := map[string]bool{}
	for _, m := range regexp.MustCompile(`\sid="([^"]+)"`).FindAllStringSubmatch(page, -1) {
		ids[m[1]] = true
	}
	for _, m := range refs {
		ref := m[1]
		switch {
		case strings.Contains(ref, "://") || strings.HasPrefix(ref, "//"):
			t.Errorf("external reference %q", ref)
		case strings.HasPrefix(ref, "#"):
			if !ids[ref[1:]] {
				t.Errorf("anchor %q has no target", ref)
			}
		default:
			if _, err := os.Stat(filepath.Join(res.Dir, ref)); err != nil {
				t.Errorf("reference %q: %v", ref, err)
			}
		}
	}
	if regexp.MustCompile(`(?i)url\(\s*['"]?https?:`).MatchString(page) || strings.Contains(page, "@import") {
		t.Error("CSS loads something from the network")
	}
	md := readFile(t, filepath.Join(res.Dir, "report.md"))
	for _, m := range regexp.MustCompile(`\]\(([^)#][^)]*)\)`).FindAllStringSubmatch(md, -1) {
		if _, err := os.Stat(filepath.Join(res.Dir, m[1])); err != nil {
			t.Errorf("report.md link %q: %v", m[1], err)
		}
	}
	for _, f := range res.Files {
		if _, err := os.Stat(filepath.Join(res.Dir, f)); err != nil {
			t.Errorf("listed file %s: %v", f, err)
		}
	}
	csvs, _ := filepath.Glob(filepath.Join(res.Dir, "*.csv"))
	if len(csvs) < 10 {
		t.Errorf("only %d CSV files", len(csvs))
	}
	for _, p := range csvs {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		recs, err := csv.NewReader(f).ReadAll() // fails on ragged rows
		f.Close()
		if err != nil {
			t.Errorf("%s: %v", filepath.Base(p), err)
			continue
		}
		if len(recs) == 0 || len(recs[0]) < 2 {
			t.Errorf("%s: no header", filepath.Base(p))
		}
	}
}

// TestCoverageStatedPlainly: a period that includes the days the "small"
// sensor did not capture says so, and draws them as gaps in its panel.
func TestCoverageStatedPlainly(t *testing.T) {
	st := fixture(t)
	res := buildReport(t, st, Options{Lang: "en", From: day(0), To: day(periodtest.Days - 1)})
	page := readFile(t, filepath.Join(res.Dir, "index.html"))
	want := "Sensor small: no data on 1 May, 2 May, 3 May"
	if !strings.Contains(page, want) {
		t.Errorf("index.html lacks %q", want)
	}
	cov := readFile(t, filepath.Join(res.Dir, "coverage.csv"))
	for i := range 3 {
		if !strings.Contains(cov, "small,"+dateArg(day(i))+",no data") {
			t.Errorf("coverage.csv lacks small %s", dateArg(day(i)))
		}
	}
	svg := readFile(t, filepath.Join(res.Dir, "compare1-mirai.svg"))
	if !strings.Contains(svg, `class="gap"`) || !strings.Contains(svg, "2026-05-01 – 2026-05-03 · no data") {
		t.Error("comparison chart does not draw the small sensor's missing days as a gap")
	}
	if strings.Contains(page, "Previous period") && !strings.Contains(page, "has no data") {
		t.Error("a period without a previous period must say there is nothing to compare")
	}
}

// TestGoldenStructure keeps the element structure of the report's charts
// stable: element names and classes in document order, without numbers.
func TestGoldenStructure(t *testing.T) {
	st := fixture(t)
	res := buildReport(t, st, Options{Lang: "en"})
	for _, name := range []string{"mirai-country", "mirai-port", "mirai-portdays", "compare1-mirai", "domestic-asn"} {
		svg := readFile(t, filepath.Join(res.Dir, name+".svg"))
		got := structure(svg)
		golden := filepath.Join("testdata", name+".structure")
		if *update {
			if err := os.MkdirAll("testdata", 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatalf("%v (run go test -update)", err)
		}
		if got != string(want) {
			t.Errorf("%s: structure changed (run go test -update if intended)\n got: %.400s\nwant: %.400s", name, got, want)
		}
	}
}

var elemRe = regexp.MustCompile(`<([a-z]+)((?:\s[^>]*?)?)(/?)>`)

var classRe = regexp.MustCompile(`class="([^"]*)"`)

// structure summarises an SVG as one line per run of equal elements:
// "rect.seg ×42".
func structure(svg string) string {
	var lines []string
	last, n := "", 0
	flush := func() {
		if n > 0 {
			lines = append(lines, fmt.Sprintf("%s ×%d", last, n))
		}
	}
	for _, m := range elemRe.FindAllStringSubmatch(svg, -1) {
		k := m[1]
		if c := classRe.FindStringSubmatch(m[2]); c != nil {
			k += "." + c[1]
		}
		if k == last {
			n++
			continue
		}
		flush()
		last, n = k, 1
	}
	flush()
	return strings.Join(lines, "\n") + "\n"
}

func TestOptionsErrors(t *testing.T) {
	st := fixture(t)
	cases := []Options{
		{Out: ""},
		{Out: t.TempDir(), Lang: "fr"},
		{Out: t.TempDir(), Unit: "bytes"},
		{Out: t.TempDir(), From: day(5), To: day(2)},
		{Out: t.TempDir(), Sensors: []string{"nope"}},
	}
	for i, o := range cases {
		if _, err := Build(context.Background(), st, o); err == nil {
			t.Errorf("case %d: %+v accepted", i, o)
		}
	}
}

// TestDefaultPeriod: without From/To the report covers the last week with
// data.
func TestDefaultPeriod(t *testing.T) {
	st := fixture(t)
	res, err := Build(context.Background(), st, Options{Out: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if civil(res.To) != civil(day(periodtest.Days-1)) || civil(res.From) != civil(day(periodtest.Days-7)) {
		t.Errorf("default period %s – %s", dateArg(res.From), dateArg(res.To))
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// civil is the day number (days since 1970-01-01) of t's date in its own
// location.
func civil(t time.Time) int64 {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400
}
