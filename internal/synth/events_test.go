package synth

import (
	"os"
	"path/filepath"
	"testing"
)

func TestPlantedEvents(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "e.pcap")
	cfg := Config{Packets: 60000, Days: 12, Seed: 4, Pool: newPool(),
		Rises: []Rise{{Country: "IT", Day: 3, Days: 3, Factor: 5}}, Scanners: []Scanner{{Country: "IT", Day: 7, Packets: 2000}},
		Outages: []Outage{{Day: 9, Days: 2}}}
	tr, err := WriteFile(path, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(tr.Files) != 2 || tr.Files[1] != "e-part2.pcap" {
		t.Fatalf("files %v", tr.Files)
	}
	for _, f := range tr.Files {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() <= 24 {
			t.Errorf("%s: %v", f, err)
		}
	}
	if len(tr.Rises) != 1 || tr.Rises[0] != (RiseTruth{"IT", "2026-05-04", "2026-05-06", 5}) ||
		len(tr.Outages) != 1 || tr.Outages[0] != (OutageTruth{"2026-05-10", "2026-05-11"}) ||
		len(tr.Scanners) != 1 || tr.Scanners[0].Addr == "" || tr.Scanners[0].Class != "zmap" {
		t.Fatalf("events %+v %+v %+v", tr.Rises, tr.Scanners, tr.Outages)
	}
	it := map[string]map[string]uint64{} // class → day → packets
	var total uint64
	for _, r := range tr.ByDayClass {
		if r.Day == "2026-05-10" || r.Day == "2026-05-11" {
			t.Errorf("packets on an outage day: %+v", r)
		}
		if r.Class == "access" { // access counts every packet
			total += r.Packets
		}
	}
	if total != uint64(cfg.Packets) {
		t.Errorf("%d packets in truth, want %d", total, cfg.Packets)
	}
	for _, r := range tr.ByDayClassCountry {
		if r.Country == "IT" {
			if it[r.Class] == nil {
				it[r.Class] = map[string]uint64{}
			}
			it[r.Class][r.Day] += r.Packets
		}
	}
	// The rise: each of its days well above the days before it.
	before := it["mirai"]["2026-05-02"] + it["mirai"]["2026-05-03"]
	for _, d := range []string{"2026-05-04", "2026-05-05", "2026-05-06"} {
		if it["mirai"][d] < before {
			t.Errorf("IT mirai on rise day %s: %d, the two days before: %d", d, it["mirai"][d], before)
		}
	}
	// The scanner: hundreds of ZMap packets a day from Italy from day 7 on.
	for _, d := range []string{"2026-05-08", "2026-05-09", "2026-05-12"} {
		if it["zmap"][d] < 500 || it["zmap"][d] < 5*it["zmap"]["2026-05-06"] {
			t.Errorf("IT zmap on %s: %d (day 6: %d)", d, it["zmap"][d], it["zmap"]["2026-05-06"])
		}
	}
}

func TestParseEvents(t *testing.T) {
	if r, err := ParseRise("br:10:7:4"); err != nil || r != (Rise{Country: "BR", Day: 10, Days: 7, Factor: 4}) {
		t.Errorf("rise %+v %v", r, err)
	}
	if s, err := ParseScanner("NL:2026-05-03:3000"); err != nil || s.Country != "NL" || s.Date.IsZero() || s.Packets != 3000 {
		t.Errorf("scanner %+v %v", s, err)
	}
	if o, err := ParseOutage("9:2"); err != nil || o != (Outage{Day: 9, Days: 2}) {
		t.Errorf("outage %+v %v", o, err)
	}
	for _, bad := range []string{"BR:1:2", "BRA:1:2:3", "BR:x:2:3", "BR:1:1.5:3", "BR:1:2:0"} {
		if _, err := ParseRise(bad); err == nil {
			t.Errorf("rise %q accepted", bad)
		}
	}
	for _, bad := range []string{"NL:1", "NL:1:-5", "NL:1:NaN"} {
		if _, err := ParseScanner(bad); err == nil {
			t.Errorf("scanner %q accepted", bad)
		}
	}
	for _, bad := range []string{"1", "1:0", "-1:2"} {
		if _, err := ParseOutage(bad); err == nil {
			t.Errorf("outage %q accepted", bad)
		}
	}
	pool := newPool()
	for _, c := range []Config{
		{Packets: 10, Days: 3, Pool: pool, Rises: []Rise{{Country: "IT", Day: 3, Factor: 2}}},
		{Packets: 10, Days: 3, Pool: pool, Scanners: []Scanner{{Country: "XX", Day: 1, Packets: 5}}},
		{Packets: 10, Days: 3, Pool: pool, Outages: []Outage{{Day: 0, Days: 3}}},
	} {
		if _, err := Write(discard{}, c); err == nil {
			t.Errorf("config %+v accepted", c)
		}
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
