package ingest

import (
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket/layers"

	"github.com/honeyscope/honeyscope/internal/capture"
	"github.com/honeyscope/honeyscope/internal/pcaparchive"
	"github.com/honeyscope/honeyscope/internal/synth"
)

// archiveOf copies the packets of a capture into a live archive of sensor
// "tokyo" in dir, as the live capture writes it; closed false leaves it a
// .part file. It returns the file's path and the packets copied.
func archiveOf(t *testing.T, src, dir string, closed bool) (string, int) {
	t.Helper()
	rd, err := capture.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	w, err := pcaparchive.New(pcaparchive.Config{Dir: dir, Prefix: "eth0", Sensor: "tokyo", LinkType: layers.LinkTypeEthernet, MaxFileAge: -1})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for {
		data, ts, _, origLen, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := w.WritePacket(time.Unix(0, ts), data, origLen); err != nil {
			t.Fatal(err)
		}
		n++
	}
	if !closed {
		return w.Current(), n
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	names, err := filepath.Glob(filepath.Join(dir, "eth0-*"+pcaparchive.Suffix))
	if err != nil || len(names) != 1 {
		t.Fatalf("archive files %v %v", names, err)
	}
	return names[0], n
}

// TestLiveArchiveSkipped: a live archive is skipped as already counted,
// even with Force, complete or left as a .part file; an ordinary pcapng is
// counted. RecountArchives counts it under another sensor only.
func TestLiveArchiveSkipped(t *testing.T) {
	dir := t.TempDir()
	ng := filepath.Join(dir, "plain-2026-05-01.pcapng")
	truth, _ := synthBytes(t, ng, synth.Config{Packets: 3000, Days: 1, Seed: 5, Format: "pcapng"})
	arch, n := archiveOf(t, ng, filepath.Join(dir, "archive"), true)
	part, _ := archiveOf(t, ng, filepath.Join(dir, "crashed"), false)
	if n != truth.Packets {
		t.Fatalf("%d packets archived of %d", n, truth.Packets)
	}
	db := filepath.Join(dir, "s.duckdb")
	run := func(cfg Config, files ...string) []FileResult {
		t.Helper()
		cfg.DBPath = db
		res, err := Run(context.Background(), cfg, files)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}

	res := run(Config{}, arch, part, ng)
	for _, r := range res[:2] {
		if !r.Skipped || r.Committed || r.Err != nil || r.Duplicate != "" || r.Archive == nil || r.Sensor != "tokyo" ||
			r.Archive.Sensor != "tokyo" || r.Archive.Interface != "eth0" || !strings.HasPrefix(r.Archive.Application, "honeyscope") {
			t.Errorf("%s: %+v, want skipped as a live archive", r.Path, r)
		}
	}
	if r := res[2]; !r.Committed || r.Skipped || r.Archive != nil || r.Packets == 0 {
		t.Errorf("ordinary pcapng: %+v", r)
	}
	want := res[2].Packets
	if p, ingests := storeTotals(t, db); p != int64(want) || ingests != 1 {
		t.Fatalf("store holds %d packets in %d ingests, want %d in 1", p, ingests, want)
	}
	if reason := res[0].Archive.SkipReason(); !strings.Contains(reason, `sensor "tokyo" interface "eth0"`) || !strings.Contains(reason, "counted by live capture") {
		t.Errorf("reason %q", reason)
	}

	if r := run(Config{Force: true}, arch)[0]; !r.Skipped || r.Committed || r.Archive == nil {
		t.Errorf("with Force: %+v", r)
	}
	if r := run(Config{RecountArchives: true}, arch)[0]; r.Err == nil || r.Committed || r.Archive == nil {
		t.Errorf("recount without a sensor: %+v", r)
	}
	if r := run(Config{RecountArchives: true, Sensor: "tokyo"}, arch)[0]; r.Err == nil || r.Committed {
		t.Errorf("recount as the same sensor: %+v", r)
	}
	if p, _ := storeTotals(t, db); p != int64(want) {
		t.Fatalf("store holds %d packets after refusals, want %d", p, want)
	}
	r := run(Config{RecountArchives: true, Sensor: "tokyo-replay"}, arch)[0]
	if !r.Committed || r.Err != nil || r.Packets != want || r.Sensor != "tokyo-replay" || r.Archive == nil {
		t.Fatalf("recount as another sensor: %+v, want %d packets committed", r, want)
	}
	if p, ingests := storeTotals(t, db); p != 2*int64(want) || ingests != 2 {
		t.Errorf("store holds %d packets in %d ingests, want %d in 2", p, ingests, 2*want)
	}
}
