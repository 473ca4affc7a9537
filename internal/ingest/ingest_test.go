package ingest

import (
	"context"
	"github.com/honeyscope/honeyscope/internal/store/duckstore"
	"os"
	"path/filepath"
	"testing"

	"github.com/honeyscope/honeyscope/internal/store"
)

const shared = "../../../shared/data/pcaps"

func classCounts(t *testing.T, db string) map[string]uint64 {
	t.Helper()
	st, err := duckstore.Open(context.Background(), db, duckstore.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rows, err := st.Stats(context.Background(), store.StatsQuery{By: []string{"class"}})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]uint64{}
	for _, r := range rows {
		out[r.Keys[0].(string)] = r.Packets
	}
	return out
}

// TestRealCaptures ingests the shared real captures and checks the class
// counts their README states.
func TestRealCaptures(t *testing.T) {
	if _, err := os.Stat(shared); err != nil {
		t.Skip("shared captures not present")
	}
	cases := []struct {
		file  string
		exact map[string]uint64
		least map[string]uint64
	}{
		{"mirai/sv_mac-eve-packet_mirai-syn23.pcap", map[string]uint64{"mirai": 2}, nil},
		{"scanners/scanrec_zmap_syn80.pcap", map[string]uint64{"zmap": 10000, "mirai": 0}, nil},
		{"scanners/scanrec_masscan.pcap", map[string]uint64{"masscan": 600}, nil},
		{"scanners/esnet_masscan_tcp_0_1000.pcap", map[string]uint64{"masscan": 1001}, nil},
		{"scanners/ndpi_synscan_nmap.pcap", map[string]uint64{"mirai": 0}, nil},
		{"exploits/sv_bug-5437-02_jaws-dvr-shell-wget.pcap", nil, map[string]uint64{"exploit": 1}},
		{"exploits/sv_output-multi-eve_log4shell.pcap", nil, map[string]uint64{"exploit": 1}},
		{"exploits/corelight_shellshock_exploit.pcap", nil, map[string]uint64{"exploit": 1}},
	}
	for _, c := range cases {
		t.Run(filepath.Base(c.file), func(t *testing.T) {
			db := filepath.Join(t.TempDir(), "s.duckdb")
			res, err := Run(context.Background(), Config{DBPath: db}, []string{filepath.Join(shared, c.file)})
			if err != nil {
				t.Fatal(err)
			}
			if res[0].Err != nil || !res[0].Committed {
				t.Fatalf("ingest: %+v", res[0])
			}
			got := classCounts(t, db)
			t.Logf("%v", got)
			for k, v := range c.exact {
				if got[k] != v {
					t.Errorf("%s = %d, want %d (all %v)", k, got[k], v, got)
				}
			}
			for k, v := range c.least {
				if got[k] < v {
					t.Errorf("%s = %d, want >= %d (all %v)", k, got[k], v, got)
				}
			}
		})
	}
	// Every capture ingests without error, all at once, in parallel.
	db := filepath.Join(t.TempDir(), "all.duckdb")
	var files []string
	filepath.WalkDir(shared, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, p)
		}
		return nil
	})
	res, err := Run(context.Background(), Config{DBPath: db}, files)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if r.Err != nil || !r.Committed {
			t.Errorf("%s: committed=%v err=%v", r.Path, r.Committed, r.Err)
		}
	}
}
