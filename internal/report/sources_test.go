package report

import (
	"context"
	"encoding/csv"
	"html"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/honeyscope/honeyscope/internal/store"
)

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	recs, err := csv.NewReader(strings.NewReader(readFile(t, path))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

// TestPatternsPortsAndGeoMethod checks the exploit-pattern table against
// stats --by pattern, the fixed-source-port table against the source-day
// facts, and that the method section names the GeoIP databases and their
// attribution.
func TestPatternsPortsAndGeoMethod(t *testing.T) {
	st := fixture(t)
	res := buildReport(t, st, Options{Lang: "en"})
	from, to := dateArg(res.From), dateArg(res.To)
	rows, err := st.Stats(context.Background(), store.StatsQuery{By: []string{"pattern"}, From: from, To: to})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) == 0 {
		t.Fatal("the fixture has no exploit matches")
	}
	recs := readCSV(t, filepath.Join(res.Dir, "exploit-patterns.csv"))
	if len(recs) != len(rows)+1 || strings.Join(recs[0], ",") != "rank,pattern,port,proto,packets,share,sources,days" {
		t.Fatalf("exploit-patterns.csv: %d rows for %d patterns, head %v", len(recs)-1, len(rows), recs[0])
	}
	for i, r := range rows {
		rec := recs[i+1]
		if rec[1] != r.Keys[0] || rec[4] != strconv.FormatUint(r.Packets, 10) || rec[6] != strconv.FormatUint(r.Sources, 10) {
			t.Errorf("pattern row %d: %v, stats %v %d/%d", i, rec, r.Keys, r.Packets, r.Sources)
		}
	}
	if svg := readFile(t, filepath.Join(res.Dir, "exploit-patterns.svg")); !strings.Contains(svg, html.EscapeString(rows[0].Keys[0].(string))) {
		t.Errorf("exploit-patterns.svg does not name the top pattern %v", rows[0].Keys[0])
	}
	ports := readCSV(t, filepath.Join(res.Dir, "fixed-src-port.csv"))
	if len(ports) < 2 {
		t.Fatalf("fixed-src-port.csv: %v", ports)
	}
	var n float64
	db := st.DB()
	if err := db.QueryRow(`SELECT count(DISTINCT src) FROM source_days WHERE single_src_port AND src_port = CAST(? AS INTEGER)
		AND day BETWEEN CAST(? AS DATE) AND CAST(? AS DATE)`, ports[1][1], from, to).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if ports[1][2] != strconv.FormatFloat(n, 'f', -1, 64) {
		t.Errorf("top fixed source port %s: %s sources, source_days %v", ports[1][1], ports[1][2], n)
	}
	page := readFile(t, filepath.Join(res.Dir, "report.md"))
	for _, want := range []string{"Scanners with one fixed source port", "By exploit pattern",
		"builtin country (test-country.mmdb)", "builtin asn (test-asn.tgz)", "DB-IP", "CC BY 4.0"} {
		if !strings.Contains(page, want) {
			t.Errorf("report lacks %q", want)
		}
	}
}

// TestUnitsStated: the period's day count and the coverage column carry
// their units in both languages.
func TestUnitsStated(t *testing.T) {
	st := fixture(t)
	for _, tc := range []struct {
		lang string
		want []string
	}{
		{"en", []string{"(7 days)", "Hours without data (h)"}},
		{"ja", []string{"(7日)", "欠測時間（時間）"}},
	} {
		// The first week: sensor "small" started on day 3.
		res := buildReport(t, st, Options{Lang: tc.lang, From: day(0), To: day(6)})
		md := readFile(t, filepath.Join(res.Dir, "report.md"))
		for _, w := range tc.want {
			if !strings.Contains(md, w) {
				t.Errorf("%s report lacks %q", tc.lang, w)
			}
		}
		if tc.lang == "en" {
			for _, w := range res.Warnings {
				if strings.Contains(w, "glyph") || strings.Contains(w, "CJK") {
					t.Errorf("English report warns about fonts: %s", w)
				}
			}
		}
	}
}

// TestPatternNames: Options.PatternName names patterns in the table and
// the chart; the CSV keeps the stored key.
func TestPatternNames(t *testing.T) {
	st := fixture(t)
	res := buildReport(t, st, Options{Lang: "en", PatternName: func(k string) string { return "Named " + k }})
	recs := readCSV(t, filepath.Join(res.Dir, "exploit-patterns.csv"))
	if len(recs) < 2 || strings.HasPrefix(recs[1][1], "Named ") {
		t.Fatalf("the CSV does not keep the key: %v", recs)
	}
	key := recs[1][1]
	if page := readFile(t, filepath.Join(res.Dir, "index.html")); !strings.Contains(page, html.EscapeString("Named "+key)) {
		t.Errorf("index.html does not name pattern %s", key)
	}
	if svg := readFile(t, filepath.Join(res.Dir, "exploit-patterns.svg")); !strings.Contains(svg, html.EscapeString("Named "+key)) {
		t.Errorf("the chart does not name pattern %s", key)
	}
}
