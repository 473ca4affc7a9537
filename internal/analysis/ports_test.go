package analysis

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

// portFixture builds six days of "access" port series with day 2 absent:
// 23/tcp every present day, 445/tcp on 4 of 5 present days, 8080/tcp on 2,
// two UDP ports, and `high` TCP ports ≥ 30000 with one packet each.
func portFixture(high int) []Series {
	p := absent(6, 2)
	s := []Series{
		{Class: "access", Key: "23/tcp", Values: []float64{100, 100, 999, 100, 100, 100}, Present: p},
		{Class: "access", Key: "445/tcp", Values: []float64{50, 0, 0, 50, 50, 50}, Present: p},
		{Class: "access", Key: "8080/tcp", Values: []float64{0, 0, 7, 30, 0, 30}, Present: p},
		{Class: "access", Key: "40000/udp", Values: []float64{0, 1, 0, 0, 0, 0}, Present: p},
		{Class: "access", Key: "40001/udp", Values: []float64{0, 0, 0, 0, 0, 1}, Present: p},
		{Class: "mirai", Key: "23/tcp", Values: []float64{10, 10, 10, 10, 10, 10}, Present: p},
	}
	for i := range high {
		v := make([]float64, 6)
		d := i % 6
		if d == 2 { // the absent day: put the packet on the next day
			d = 3
		}
		v[d] = 1
		s = append(s, Series{Class: "access", Key: fmt.Sprintf("%d/tcp", 30000+i), Values: v, Present: p})
	}
	return s
}

func TestPortActivity(t *testing.T) {
	start := time.Date(2022, 4, 1, 0, 0, 0, 0, time.UTC)
	type row struct {
		key           string
		total         float64
		active, pres  int
		steady        bool
		first         int // -1: never
		folded, ports int
	}
	tests := []struct {
		name   string
		high   int
		cfg    PortConfig
		rows   []row // access table
		folded int
	}{
		{
			name: "25 small high ports are folded",
			high: 25,
			cfg:  DefaultPortConfig(),
			// Access total 500+200+60+1+1+25 = 787; 0.5% is 3.9: every high
			// TCP port (1 packet) is a candidate, 8080 (60) is not. 25 > 20
			// TCP candidates fold; the 2 UDP candidates do not.
			rows: []row{
				{"23/tcp", 500, 5, 5, true, 0, 1, 1},
				{"445/tcp", 200, 4, 5, true, 0, 0, 1}, // 4/5 = 0.8: steady at the boundary
				{"8080/tcp", 60, 2, 5, false, 3, 0, 1},
				{"40000/udp", 1, 1, 5, false, 1, 0, 1},
				{"40001/udp", 1, 1, 5, false, 5, 0, 1},
				{"1024-65535/tcp", 25, 5, 5, true, 0, 2, 25},
			},
			folded: 25,
		},
		{
			name:   "20 high ports are listed",
			high:   20,
			cfg:    DefaultPortConfig(),
			folded: 0,
		},
		{
			name: "stricter steadiness, fold from 50000",
			high: 25,
			cfg:  PortConfig{SteadyShare: 0.9, FoldFrom: 50000, FoldMaxShare: 0.005, FoldMinPorts: 20},
			rows: []row{
				{"23/tcp", 500, 5, 5, true, 0, 1, 1},
				{"445/tcp", 200, 4, 5, false, 0, 0, 1},
				{"8080/tcp", 60, 2, 5, false, 3, 0, 1},
			},
			folded: 0,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tables, err := PortActivity(start, portFixture(tc.high), tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			if len(tables) != 2 || tables[0].Class != "access" || tables[1].Class != "mirai" {
				t.Fatalf("tables %+v", tables)
			}
			tab := tables[0]
			if tab.FoldedPorts != tc.folded {
				t.Errorf("folded %d ports, want %d", tab.FoldedPorts, tc.folded)
			}
			wantRows := 5 + tc.high - tc.folded
			if tc.folded > 0 {
				wantRows++
			}
			if len(tab.Rows) != wantRows {
				t.Errorf("%d rows, want %d", len(tab.Rows), wantRows)
			}
			if tab.Total != 787-25+float64(tc.high) {
				t.Errorf("total %v", tab.Total)
			}
			for i := 1; i < len(tab.Rows); i++ {
				a, b := tab.Rows[i-1], tab.Rows[i]
				if !b.Folded && (a.Folded || a.Total < b.Total) {
					t.Errorf("rows %d (%s %v) and %d (%s %v) out of order", i-1, a.Key, a.Total, i, b.Key, b.Total)
				}
			}
			for i, w := range tc.rows {
				r := tab.Rows[i]
				if w.folded == 2 {
					r = tab.Rows[len(tab.Rows)-1]
				}
				first := -1
				if !r.FirstDay.IsZero() {
					first = int(r.FirstDay.Sub(start) / (24 * time.Hour))
				}
				if r.Key != w.key || r.Total != w.total || r.DaysActive != w.active || r.PresentDays != w.pres ||
					r.Steady != w.steady || first != w.first || r.Folded != (w.folded == 2) || r.Ports != w.ports {
					t.Errorf("row %d: %+v, want %+v", i, r, w)
				}
				if r.ActiveShare != float64(w.active)/float64(w.pres) {
					t.Errorf("row %d share %v", i, r.ActiveShare)
				}
			}
			if f := tab.Rows[len(tab.Rows)-1]; tc.folded > 0 && (f.Proto != "tcp" || f.Port != tc.cfg.FoldFrom || f.PortTo != 65535) {
				t.Errorf("folded row %+v", f)
			}
		})
	}
}

func TestPortActivityEdges(t *testing.T) {
	start := time.Date(2022, 4, 1, 0, 0, 0, 0, time.UTC)
	tables, err := PortActivity(start, []Series{
		{Class: "backscatter", Key: "icmp", Values: []float64{0, 0}},
		{Class: "backscatter", Key: "80/tcp", Values: []float64{1, 0}, Present: []bool{false, false}},
	}, DefaultPortConfig())
	if err != nil {
		t.Fatal(err)
	}
	rows := tables[0].Rows // equal totals: ordered by key
	if len(rows) != 2 || rows[1].Key != "icmp" || rows[1].Port != -1 || rows[1].Steady || !rows[1].FirstDay.IsZero() ||
		rows[0].PresentDays != 0 || rows[0].Steady || rows[0].Total != 0 {
		t.Errorf("rows %+v", rows)
	}
	if _, err := PortActivity(start, []Series{{Key: "1/tcp", Values: []float64{1}, Present: []bool{}}}, DefaultPortConfig()); err == nil {
		t.Error("no error for a presence mask of the wrong length")
	}
	if _, err := PortActivity(start, nil, PortConfig{SteadyShare: 2}); err == nil {
		t.Error("no error for steady share 2")
	}
}

func TestParsePortKey(t *testing.T) {
	tests := []struct {
		key   string
		proto string
		port  int
		ok    bool
	}{
		{"23/tcp", "tcp", 23, true},
		{"53/UDP", "udp", 53, true},
		{"65535/tcp", "tcp", 65535, true},
		{"65536/tcp", "", 0, false},
		{"-1/tcp", "", 0, false},
		{"tcp", "", 0, false},
		{"x/tcp", "", 0, false},
	}
	for _, tc := range tests {
		proto, port, ok := ParsePortKey(tc.key)
		if proto != tc.proto || port != tc.port || ok != tc.ok {
			t.Errorf("ParsePortKey(%q) = %q %d %v", tc.key, proto, port, ok)
		}
	}
	if !slices.Equal([]string{DefaultName(DimPort, "23/tcp"), DefaultName(DimASN, "AS1")}, []string{"23/TCP", "AS1"}) {
		t.Error("DefaultName")
	}
}

// TestPortActivityPrefolded: a range series from the store is folded with
// the small high ports of its protocol into one range row, even when they
// are too few to be folded on their own; low ports and other protocols are
// left alone.
func TestPortActivityPrefolded(t *testing.T) {
	start := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	s := func(key string, v ...float64) Series {
		return Series{Class: "masscan", Dim: DimPort, Key: key, Values: v}
	}
	series := []Series{
		s("445/tcp", 5000, 5000, 5000),
		s("8080/tcp", 1, 0, 0),
		s("1024-65535/tcp", 0, 30, 4),
		s("3389/tcp", 900, 900, 900),
		s("53/udp", 2, 2, 2),
		s("5060/udp", 1, 0, 0),
	}
	tables, err := PortActivity(start, series, DefaultPortConfig())
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, r := range tables[0].Rows {
		keys = append(keys, fmt.Sprintf("%s:%v:%d:%d", r.Key, r.Total, r.Ports, r.DaysActive))
	}
	want := []string{"445/tcp:15000:1:3", "3389/tcp:2700:1:3", "53/udp:6:1:3", "5060/udp:1:1:1", "1024-65535/tcp:35:1:3"}
	if !slices.Equal(keys, want) {
		t.Errorf("rows %v\nwant %v", keys, want)
	}
	if tables[0].FoldedPorts != 1 {
		t.Errorf("folded ports %d, want 1", tables[0].FoldedPorts)
	}
}

func TestParsePortRange(t *testing.T) {
	tests := []struct {
		key    string
		proto  string
		lo, hi int
		ok     bool
	}{
		{"1024-65535/tcp", "tcp", 1024, 65535, true},
		{"1-2/UDP", "udp", 1, 2, true},
		{"23/tcp", "", 0, 0, false},
		{"2-1/tcp", "", 0, 0, false},
		{"1024-70000/tcp", "", 0, 0, false},
		{"other/tcp", "", 0, 0, false},
		{"1024-65535", "", 0, 0, false},
	}
	for _, tc := range tests {
		p, lo, hi, ok := ParsePortRange(tc.key)
		if p != tc.proto || lo != tc.lo || hi != tc.hi || ok != tc.ok {
			t.Errorf("ParsePortRange(%q) = %q %d %d %v", tc.key, p, lo, hi, ok)
		}
	}
}
