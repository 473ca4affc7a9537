package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/honeyscope/honeyscope/internal/store/clickstore"
	"github.com/honeyscope/honeyscope/internal/store/storetest/contract"
)

// These tests run the honeyscope binary against a ClickHouse store
// (--store clickhouse://..., on the server $HONEYSCOPE_CLICKHOUSE names;
// they skip without one) and against a DuckDB file (--db) fed the same
// inputs: every answer must be the same, byte for byte.

// twoStores is the same inputs ingested through the binary into a DuckDB
// file and a fresh ClickHouse database.
type twoStores struct {
	dir  string
	duck []string // --db FILE
	ch   []string // --store URL
}

// ingestBoth synthesizes two sensors' captures (with a spike, and Cowrie
// sessions with sessions) and ingests them through the binary into both
// stores.
func ingestBoth(t *testing.T, sessions bool) twoStores {
	t.Helper()
	url := contract.ClickHouseURL(t)
	st, err := clickstore.Open(context.Background(), url, clickstore.Options{})
	if err != nil {
		if strings.Contains(err.Error(), "connect") || strings.Contains(err.Error(), "dial") {
			t.Skipf("ClickHouse server of $%s unreachable: %v", contract.EnvClickHouse, err)
		}
		t.Fatal(err)
	}
	t.Cleanup(func() {
		st.Drop(context.Background())
		st.Close()
	})
	dir := t.TempDir()
	s := twoStores{dir: dir, duck: []string{"--db", filepath.Join(dir, "ref.duckdb")}, ch: []string{"--store", url}}
	for i, sensor := range []string{"tokyo", "osaka"} {
		capPath := filepath.Join(dir, sensor+".pcap")
		seed := []string{"5", "6"}[i]
		args := []string{"synth", "--out", capPath, "--packets", "30000", "--days", "21", "--seed", seed, "--spike", "CN:17:8"}
		files := []string{capPath}
		if sessions {
			args = append(args, "--sessions", "20")
			files = append(files, strings.TrimSuffix(capPath, ".pcap")+".cowrie.json")
		}
		if out, errOut, code := hs(t, args...); code != 0 {
			t.Fatalf("synth: %s%s", out, errOut)
		}
		if _, err := os.Stat(files[len(files)-1]); err != nil {
			t.Fatal(err)
		}
		for _, target := range [][]string{s.duck, s.ch} {
			args := append(append([]string{"ingest", "-q", "--tz", "UTC", "--sensor", sensor}, target...), files...)
			if out, errOut, code := hs(t, args...); code != 0 {
				t.Fatalf("ingest %v: %s%s", target, out, errOut)
			}
		}
	}
	return s
}

// both runs one command against each store and fails unless both succeed
// with the same output.
func (s twoStores) both(t *testing.T, args ...string) string {
	t.Helper()
	a, errA, codeA := hs(t, append(append([]string{}, args...), s.duck...)...)
	b, errB, codeB := hs(t, append(append([]string{}, args...), s.ch...)...)
	if codeA != 0 || codeB != 0 {
		t.Fatalf("%v: exit %d / %d:\n%s\n%s", args, codeA, codeB, errA, errB)
	}
	if a != b {
		t.Errorf("%v differs between DuckDB and ClickHouse:\n duck %s\n  ch  %s", args, a, b)
	}
	return a
}

// TestClickHouseBinaryStats: stats --format json through --store equals
// the same through --db exactly, for every dimension and the filters.
func TestClickHouseBinaryStats(t *testing.T) {
	s := ingestBoth(t, false)
	for _, by := range []string{"", "day", "day,class", "sensor,country", "country,proto", "port", "asn", "class,sensor,day", "src"} {
		args := []string{"stats", "--format", "json"}
		if by != "" {
			args = append(args, "--by", by)
		}
		out := s.both(t, args...)
		if !strings.Contains(out, `"packets"`) {
			t.Errorf("stats --by %q: no rows: %s", by, out)
		}
		s.both(t, append(args, "--class", "mirai", "--sensor", "osaka", "--top", "5")...)
		s.both(t, append(args, "--country", "CN,US", "--from", "2026-05-12", "--to", "2026-05-19", "--order", "sources")...)
	}
}

// TestClickHouseBinaryReport: with honeypot sessions in both stores, the
// spikes (every unit and dimension), the report's files, stats by pattern
// and source port, sessions and samples are the same through --store as
// through --db.
func TestClickHouseBinaryReport(t *testing.T) {
	s := ingestBoth(t, true)
	for _, args := range [][]string{
		{"spikes", "--format", "json"},
		{"spikes", "--format", "json", "--all", "--limit", "0"},
		{"spikes", "--format", "json", "--all", "--unit", "sources"},
		{"spikes", "--format", "json", "--all", "--dim", "port", "--sensor", "tokyo"},
		{"spikes", "--format", "json", "--all", "--dim", "asn", "--class", "mirai"},
	} {
		out := s.both(t, args...)
		if !strings.Contains(out, `"kind"`) {
			t.Errorf("%v: no findings: %s", args, out)
		}
	}
	// The source-port study of a country's sources and of one source.
	s.both(t, "srcports", "--country", "CN")
	s.both(t, "srcports", "--country", "US", "--from", "2026-05-10", "--to", "2026-05-16")
	for _, by := range []string{"pattern", "src_port", "day,pattern", "class,src_port"} {
		s.both(t, "stats", "--format", "json", "--by", by)
	}
	if out := s.both(t, "sessions", "--format", "json", "--limit", "10000"); !strings.Contains(out, "root") {
		t.Errorf("sessions: none with user root: %.300s", out)
	}
	s.both(t, "sessions", "--format", "json", "--intrusions", "--sensor", "osaka", "--from", "2026-05-10")
	if out := s.both(t, "samples", "list", "--format", "json"); len(out) < 100 {
		t.Errorf("samples: %s", out)
	}
	for _, extra := range [][]string{nil, {"--unit", "sources", "--sensor", "tokyo,osaka"}, {"--from", "2026-05-08", "--to", "2026-05-21", "--lang", "ja"}} {
		dirs := []string{filepath.Join(s.dir, "r-duck"), filepath.Join(s.dir, "r-ch")}
		for i, target := range [][]string{s.duck, s.ch} {
			os.RemoveAll(dirs[i])
			args := append(append([]string{"report", "--out", dirs[i]}, extra...), target...)
			if out, errOut, code := hs(t, args...); code != 0 || errOut != "" {
				t.Fatalf("%v: exit %d: %s%s", args, code, out, errOut)
			}
		}
		files, err := os.ReadDir(dirs[0])
		if err != nil {
			t.Fatal(err)
		}
		other, err := os.ReadDir(dirs[1])
		if err != nil {
			t.Fatal(err)
		}
		if len(files) != len(other) || len(files) < 10 {
			t.Errorf("report %v: %d files through --db, %d through --store", extra, len(files), len(other))
		}
		for _, f := range files {
			a, err := os.ReadFile(filepath.Join(dirs[0], f.Name()))
			if err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(filepath.Join(dirs[1], f.Name()))
			if err != nil {
				t.Errorf("report %v: %v", extra, err)
				continue
			}
			// The stamp of when each was made may fall in two minutes.
			a, b = unstamp(a), unstamp(b)
			if !bytes.Equal(a, b) {
				t.Errorf("report %v: %s differs between DuckDB and ClickHouse%s", extra, f.Name(), firstLineDiff(a, b))
			}
		}
	}
}

// TestClickHouseBinaryReassign: geo reassign with an ASN database that
// puts half the IPv4 space in another AS, over some days, says the same
// through --store and --db, and the stats and spikes after it are the
// same.
func TestClickHouseBinaryReassign(t *testing.T) {
	s := ingestBoth(t, false)
	csv := filepath.Join(s.dir, "asn.csv")
	if err := os.WriteFile(csv, []byte("0.0.0.0,127.255.255.255,64512,Moved Net\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	mmdb := filepath.Join(s.dir, "asn.mmdb")
	if out, errOut, code := hs(t, "geo", "build-asn", csv, mmdb); code != 0 {
		t.Fatalf("geo build-asn: %s%s", out, errOut)
	}
	out := s.both(t, "geo", "reassign", "--asn", mmdb, "--from", "2026-05-08", "--to", "2026-05-14")
	if !strings.Contains(out, "re-geolocated") || strings.Contains(out, " 0 changed") {
		t.Fatalf("geo reassign changed nothing: %s", out)
	}
	for _, by := range []string{"day,country", "sensor,country,class", "asn", "day,asn"} {
		s.both(t, "stats", "--format", "json", "--by", by)
	}
	s.both(t, "spikes", "--format", "json", "--all", "--dim", "asn", "--unit", "sources")
}

// firstLineDiff shows the first line where a and b differ.
func firstLineDiff(a, b []byte) string {
	la, lb := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
	for i := range min(len(la), len(lb)) {
		if la[i] != lb[i] {
			return fmt.Sprintf(" at line %d:\n duck %.400s\n  ch  %.400s", i+1, la[i], lb[i])
		}
	}
	return fmt.Sprintf(": %d lines against %d", len(la), len(lb))
}

// stampRE is the report's "Generated" / "作成" time (minutes, in the
// store's zone).
var stampRE = regexp.MustCompile(`((?:Generated|作成)\S*\s*(?:<dd>)?)\d{4}-\d\d-\d\d \d\d:\d\d [A-Z]+`)

// unstamp blanks a report file's generation time.
func unstamp(b []byte) []byte { return stampRE.ReplaceAll(b, []byte("${1}TIME")) }
