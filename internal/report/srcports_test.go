package report

import (
	"context"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/honeyscope/honeyscope/internal/ingest"
	"github.com/honeyscope/honeyscope/internal/store/duckstore"
	"github.com/honeyscope/honeyscope/internal/synth"
)

// TestSrcPortSection builds the report of a capture with one scanner bound
// to two source ports (40000 to 23, 40001 to 2323, shares moving together)
// and checks the section's table row by row, in English and Japanese; a
// capture without confined sources gets no section.
func TestSrcPortSection(t *testing.T) {
	dir := t.TempDir()
	start := time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
	s := synth.FixedPortScan{Src: netip.MustParseAddr("203.0.113.77"), Sensor: netip.MustParsePrefix("192.0.2.0/24"), Start: start, Noise: 4}
	for _, n := range []int{20, 60, 35, 80, 50} {
		s.Days = append(s.Days, []synth.FixedPortFlow{{SrcPort: 40000, DstPort: 23, Packets: n}, {SrcPort: 40001, DstPort: 2323, Packets: 100 - n}})
	}
	db := func(name string, s synth.FixedPortScan) *duckstore.Store {
		pcap := filepath.Join(dir, name+".pcap")
		f, err := os.Create(pcap)
		if err != nil {
			t.Fatal(err)
		}
		if err := synth.WriteFixedPortScan(f, s); err != nil {
			t.Fatal(err)
		}
		f.Close()
		path := filepath.Join(dir, name+".duckdb")
		res, err := ingest.Run(context.Background(), ingest.Config{DBPath: path, Sensor: "honey"}, []string{pcap})
		if err != nil || res[0].Err != nil {
			t.Fatal(err, res[0].Err)
		}
		st, err := duckstore.Open(context.Background(), path, duckstore.Options{ReadOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}
	st := db("scan", s)
	for _, lang := range []string{"en", "ja"} {
		out := filepath.Join(dir, "report-"+lang)
		res, err := Build(context.Background(), st, Options{Lang: lang, Out: out, From: start, To: start.AddDate(0, 0, 4)})
		if err != nil {
			t.Fatal(err)
		}
		recs := readCSV(t, filepath.Join(res.Dir, "srcport-study.csv"))
		want := [][]string{
			{"rank", "src", "country", "asn", "packets", "days", "src_ports", "top_src_port", "top_dst_port", "share_corr"},
			// 40001 sent 80+40+65+20+50 = 255 of the 500 packets, 40000 245.
			{"1", "203.0.113.77", "??", "0", "500", "5", "2", "40001/tcp", "2323/tcp", "1.0000"},
		}
		if len(recs) != len(want) || strings.Join(recs[0], ",") != strings.Join(want[0], ",") || strings.Join(recs[1], ",") != strings.Join(want[1], ",") {
			t.Fatalf("%s: srcport-study.csv %v, want %v", lang, recs, want)
		}
		page := readFile(t, filepath.Join(res.Dir, "index.html"))
		heading := map[string]string{"en": "Source-port study", "ja": "送信元ポートの分析"}[lang]
		if !strings.Contains(page, heading) || !strings.Contains(page, "srcport-study.svg") {
			t.Errorf("%s: the page has no source-port section with its chart", lang)
		}
		if svg := readFile(t, filepath.Join(res.Dir, "srcport-study.svg")); !strings.Contains(svg, "40001/tcp") || !strings.Contains(svg, "2323/tcp") {
			t.Errorf("%s: the chart does not name the two ports", lang)
		}
	}
	// Noise only: every source sent one packet.
	quiet := db("quiet", synth.FixedPortScan{Src: netip.MustParseAddr("203.0.113.1"), Sensor: s.Sensor, Start: start,
		Days: [][]synth.FixedPortFlow{nil, nil}, Noise: 5})
	res, err := Build(context.Background(), quiet, Options{Lang: "en", Out: filepath.Join(dir, "quiet"), From: start, To: start.AddDate(0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(res.Dir, "srcport-study.csv")); err == nil {
		t.Error("a period without confined sources got the section")
	}
	if page := readFile(t, filepath.Join(res.Dir, "index.html")); strings.Contains(page, "Source-port study") {
		t.Error("a period without confined sources names the section")
	}
}
