package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/honeyscope/honeyscope/internal/synth"
)

// run executes the CLI with args and returns stdout and the error.
func run(t *testing.T, args ...string) (string, error) {
	t.Helper()
	root := newRoot()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(args)
	err := root.Execute()
	return out.String(), err
}

func TestSynthIngestStatsJSON(t *testing.T) {
	dir := t.TempDir()
	capPath := filepath.Join(dir, "radiation.pcap")
	db := filepath.Join(dir, "s.duckdb")
	if _, err := run(t, "synth", "--out", capPath, "--packets", "50000", "--days", "3", "--seed", "3"); err != nil {
		t.Fatal(err)
	}
	truth, err := synth.ReadTruth(capPath + ".truth.json")
	if err != nil {
		t.Fatal(err)
	}
	if out, err := run(t, "ingest", "-q", "--db", db, "--tz", "UTC", "--sensor-net", "192.0.2.0/24,2001:db8:4e:100::/64", capPath); err != nil {
		t.Fatalf("ingest: %v\n%s", err, out)
	}
	out, err := run(t, "stats", "--db", db, "--by", "day,class", "--format", "json")
	if err != nil {
		t.Fatal(err)
	}
	var rows []map[string]any
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatalf("stats JSON: %v\n%s", err, out)
	}
	// --by day,... lists the days in order by default, busiest first within a day.
	for i := 1; i < len(rows); i++ {
		a, b := rows[i-1], rows[i]
		if a["day"].(string) > b["day"].(string) ||
			(a["day"] == b["day"] && a["packets"].(float64) < b["packets"].(float64)) {
			t.Fatalf("rows %d, %d out of day order: %v, %v", i-1, i, a, b)
		}
	}
	got := map[string][2]float64{}
	for _, r := range rows {
		if len(r) != 4 {
			t.Fatalf("row keys %v, want day, class, packets, sources", r)
		}
		got[r["day"].(string)+"/"+r["class"].(string)] = [2]float64{r["packets"].(float64), r["sources"].(float64)}
	}
	if len(got) != len(truth.ByDayClass) {
		t.Errorf("%d rows, truth %d", len(got), len(truth.ByDayClass))
	}
	for _, w := range truth.ByDayClass {
		if g := got[w.Day+"/"+w.Class]; g != [2]float64{float64(w.Packets), float64(w.Sources)} {
			t.Errorf("%s %s: %v, truth %d/%d", w.Day, w.Class, g, w.Packets, w.Sources)
		}
	}
	// CSV has a header and the same number of rows.
	out, err = run(t, "stats", "--db", db, "--by", "day,class", "--format", "csv")
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil || len(recs) != len(rows)+1 || strings.Join(recs[0], ",") != "day,class,packets,sources" {
		t.Errorf("csv: %v %v", err, recs[:1])
	}
	// Same file again: skipped, not an error.
	if _, err := run(t, "ingest", "-q", "--db", db, capPath); err != nil {
		t.Errorf("re-ingest: %v", err)
	}
	if _, err := run(t, "stats", "--db", db, "--by", "nonsense"); err == nil || !strings.Contains(err.Error(), "nonsense") {
		t.Errorf("bad --by: %v", err)
	}
	// --by pattern adds up to the exploit class; --by src_port to every packet.
	for _, tc := range []struct {
		by    string
		class string
	}{{"pattern", "exploit"}, {"src_port", "access"}} {
		out, err = run(t, "stats", "--db", db, "--by", tc.by, "--format", "json")
		if err != nil {
			t.Fatalf("--by %s: %v", tc.by, err)
		}
		var rs []map[string]any
		if err := json.Unmarshal([]byte(out), &rs); err != nil || len(rs) == 0 {
			t.Fatalf("--by %s: %v %s", tc.by, err, out)
		}
		sum := 0.0
		for _, r := range rs {
			sum += r["packets"].(float64)
		}
		want := 0.0
		for _, w := range truth.ByDayClass {
			if w.Class == tc.class {
				want += float64(w.Packets)
			}
		}
		if sum != want {
			t.Errorf("--by %s: %v packets, truth %v of %s", tc.by, sum, want, tc.class)
		}
	}
}

func TestIngestDamagedCapture(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.pcap")
	if _, err := run(t, "synth", "--out", good, "--packets", "2000", "--days", "1"); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(good)
	bad := filepath.Join(dir, "bad.pcap")
	os.WriteFile(bad, data[:len(data)/2+7], 0o644)
	db := filepath.Join(dir, "s.duckdb")
	_, err := run(t, "ingest", "-q", "--db", db, good, bad)
	var ee exitError
	if !errors.As(err, &ee) || ee.code != 1 {
		t.Fatalf("err = %v, want exit status 1", err)
	}
	// The good file is there; the bad one kept its packets before the damage.
	out, err := run(t, "stats", "--db", db, "--format", "json")
	if err != nil {
		t.Fatal(err)
	}
	var rows []map[string]float64
	json.Unmarshal([]byte(out), &rows)
	if len(rows) != 1 || rows[0]["packets"] <= 2000 || rows[0]["packets"] >= 3000 {
		t.Errorf("stats after damaged ingest: %s", out)
	}
}

func TestGeoLookupShared(t *testing.T) {
	mmdb := "../../../shared/data/geoip/geo-whois-asn-country.mmdb"
	if _, err := os.Stat(mmdb); err != nil {
		t.Skip("shared GeoIP data not present")
	}
	for _, db := range []string{"", mmdb} {
		args := []string{"geo", "lookup", "--format", "json", "8.8.8.8", "133.11.0.1", "192.168.1.1", "198.51.100.7"}
		if db != "" {
			args = append(args, "--geoip", db)
		}
		out, err := run(t, args...)
		if err != nil {
			t.Fatal(err)
		}
		var rows []struct{ IP, Country, Special string }
		if err := json.Unmarshal([]byte(out), &rows); err != nil {
			t.Fatal(err)
		}
		want := []string{"US/", "JP/", "ZZ/private", "ZZ/documentation"}
		for i, r := range rows {
			if r.Country+"/"+r.Special != want[i] {
				t.Errorf("db %q: %s = %s/%s, want %s", db, r.IP, r.Country, r.Special, want[i])
			}
		}
	}
}

func TestMalformedConfig(t *testing.T) {
	p := filepath.Join(t.TempDir(), "c.json")
	os.WriteFile(p, []byte("{\n  \"db\": \"x.duckdb\",\n  \"geoip\": 7\n}\n"), 0o644)
	_, err := run(t, "--config", p, "geo", "lookup", "1.1.1.1")
	if err == nil || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), "line 3") {
		t.Errorf("err = %v, want file name and line 3", err)
	}
	if _, err := run(t, "--config", filepath.Join(t.TempDir(), "missing.json"), "version"); err == nil {
		t.Error("missing explicit config accepted")
	}
}

func TestReportAndSpikesCLI(t *testing.T) {
	dir := t.TempDir()
	capPath := filepath.Join(dir, "r.pcap")
	db := filepath.Join(dir, "s.duckdb")
	if _, err := run(t, "synth", "--out", capPath, "--packets", "120000", "--days", "16", "--spike", "CN:14:6"); err != nil {
		t.Fatal(err)
	}
	if out, err := run(t, "ingest", "-q", "--db", db, capPath); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	out, err := run(t, "spikes", "--db", db, "--class", "mirai", "--dim", "country", "--format", "json")
	if err != nil {
		t.Fatal(err)
	}
	var findings []struct {
		Class, Dim, Key, Day string
		Sensor               *string
		Value, Baseline      float64
		Ratio                *float64
		TestRatio            *float64 `json:"test_ratio"`
	}
	if err := json.Unmarshal([]byte(out), &findings); err != nil {
		t.Fatalf("spikes JSON: %v\n%s", err, out)
	}
	found := false
	for _, f := range findings {
		if f.Class != "mirai" || f.Dim != "country" {
			t.Errorf("filter ignored: %+v", f)
		}
		if f.Sensor == nil || f.TestRatio == nil {
			t.Errorf("finding without sensor or test_ratio: %+v", f)
		}
		// ratio is what sentences state: value over the median.
		if f.Baseline > 0 && (f.Ratio == nil || math.Abs(*f.Ratio-f.Value/f.Baseline) > 1e-6) {
			t.Errorf("ratio %v, want value/baseline %v", f.Ratio, f.Value/f.Baseline)
		}
		if f.Key == "CN" && strings.HasPrefix(f.Day, "2026-05-15") {
			found = true
		}
	}
	if !found {
		t.Errorf("planted CN spike on 2026-05-15 not listed: %s", out)
	}
	// --lang ja: the table's header, kinds, dimensions and drivers too.
	out, err = run(t, "spikes", "--db", db, "--class", "mirai", "--lang", "ja")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"日付", "急増", "主な要因: "} {
		if !strings.Contains(out, want) {
			t.Errorf("spikes --lang ja lacks %q:\n%s", want, out)
		}
	}
	for _, english := range []string{"drivers:", "baseline", "(all)", " base ", "source ", "prefix "} {
		if strings.Contains(out, english) {
			t.Errorf("spikes --lang ja has %q:\n%s", english, out)
		}
	}
	rep := filepath.Join(dir, "rep")
	if out, err := run(t, "report", "--db", db, "--lang", "ja", "--annotate", "2026-05-10:ルール v2", "--out", rep); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, f := range []string{"index.html", "report.md"} {
		b, err := os.ReadFile(filepath.Join(rep, f))
		if err != nil || !bytes.Contains(b, []byte("ルール v2")) {
			t.Errorf("%s: %v, annotation present: %v", f, err, bytes.Contains(b, []byte("ルール v2")))
		}
	}
	if _, err := run(t, "report", "--db", db, "--from", "2026-05-10", "--to", "2026-05-01", "--out", rep); err == nil {
		t.Error("reversed period accepted")
	}
}
