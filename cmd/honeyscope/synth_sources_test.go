package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/honeyscope/honeyscope/internal/synth"
)

// TestSynthSourcesIngest writes a capture with a swarm (--sources), ingests
// it and checks the store against the truth exactly: per day and class, per
// day, class and country, and per class and port, packets and distinct
// sources; and that the capture holds the sources asked for.
func TestSynthSourcesIngest(t *testing.T) {
	dir := t.TempDir()
	capPath := filepath.Join(dir, "darknet.pcap")
	db := filepath.Join(dir, "s.duckdb")
	if out, err := run(t, "synth", "--out", capPath, "--packets", "130000", "--days", "2", "--seed", "9",
		"--sources", "50000", "--ports-per-source", "2"); err != nil {
		t.Fatalf("synth: %v\n%s", err, out)
	}
	truth, err := synth.ReadTruth(capPath + ".truth.json")
	if err != nil {
		t.Fatal(err)
	}
	if truth.Sources != 50000 || truth.SwarmSources == 0 || truth.PortsPerSource != 2 {
		t.Fatalf("truth: %d sources, %d of the swarm, %d ports", truth.Sources, truth.SwarmSources, truth.PortsPerSource)
	}
	if out, err := run(t, "ingest", "-q", "--db", db, "--tz", "UTC", "--sensor-net", truth.SensorNet+","+truth.SensorNet6, capPath); err != nil {
		t.Fatalf("ingest: %v\n%s", err, out)
	}
	stats := func(by string) map[string][2]float64 {
		out, err := run(t, "stats", "--db", db, "--by", by, "--format", "json")
		if err != nil {
			t.Fatalf("stats --by %s: %v\n%s", by, err, out)
		}
		var rows []map[string]any
		if err := json.Unmarshal([]byte(out), &rows); err != nil {
			t.Fatalf("stats JSON: %v\n%s", err, out)
		}
		m := map[string][2]float64{}
		for _, r := range rows {
			var key []string
			for _, k := range strings.Split(by, ",") {
				key = append(key, fmt.Sprint(r[k]))
			}
			m[strings.Join(key, "/")] = [2]float64{r["packets"].(float64), r["sources"].(float64)}
		}
		return m
	}
	compare := func(by string, want map[string][2]float64) {
		t.Helper()
		got := stats(by)
		if len(want) < 4 || len(got) != len(want) {
			t.Errorf("--by %s: %d rows, truth %d", by, len(got), len(want))
		}
		bad := 0
		for k, w := range want {
			if got[k] != w && bad < 10 {
				bad++
				t.Errorf("--by %s %s: packets/sources %v, truth %v", by, k, got[k], w)
			}
		}
	}
	want := map[string][2]float64{}
	for _, r := range truth.ByDayClass {
		want[r.Day+"/"+r.Class] = [2]float64{float64(r.Packets), float64(r.Sources)}
	}
	compare("day,class", want)
	want = map[string][2]float64{}
	for _, r := range truth.ByDayClassCountry {
		want[r.Day+"/"+r.Class+"/"+r.Country] = [2]float64{float64(r.Packets), float64(r.Sources)}
	}
	compare("day,class,country", want)
	want = map[string][2]float64{}
	for _, r := range truth.ByClassPort {
		want[fmt.Sprint(r.Class, "/", r.Proto, "/", r.Port)] = [2]float64{float64(r.Packets), float64(r.Sources)}
	}
	compare("class,proto,port", want)
	// Every source sends: the whole capture's access sources are the ones asked for.
	all := stats("class")
	if all["access"][1] != 50000 {
		t.Errorf("access sources %v, want 50000", all["access"])
	}
}
