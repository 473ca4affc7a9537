package main

import (
	"encoding/json"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gopacket/gopacket/pcapgo"
	"github.com/klauspost/compress/gzip"

	"github.com/honeyscope/honeyscope/internal/pcaparchive"
)

// TestCaptureKill9: `serve --interface lo` counts connection attempts to
// 127.0.0.2 live, each interval committed; after a kill -9 the store
// opens directly with every interval committed before it, and serve
// starts again on it. With --archive-dir, a clean stop leaves one complete
// archive file, which ingest skips as already counted; a kill -9 leaves it
// intact and the file in progress only under .part. Needs root (AF_PACKET).
func TestCaptureKill9(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("AF_PACKET capture needs root")
	}
	binary(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "live.duckdb")
	arch := filepath.Join(dir, "archive")
	const attempts = 20
	syns := func() {
		for i := 0; i < attempts; i++ {
			// Nothing listens on 127.0.0.2:23 (a refused connect sends one SYN).
			if c, err := net.DialTimeout("tcp", "127.0.0.2:23", time.Second); err == nil {
				c.Close()
			}
		}
	}
	count := func() (uint64, bool) {
		out, _, code := hs(t, "stats", "--db", db, "--sensor", "lo-test", "--format", "json")
		var rows []struct{ Packets uint64 }
		if code != 0 || json.Unmarshal([]byte(out), &rows) != nil || len(rows) != 1 {
			return 0, false
		}
		return rows[0].Packets, true
	}
	waitCount := func(want uint64) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			if n, ok := count(); ok && n >= want {
				return
			}
			if time.Now().After(deadline) {
				n, _ := count()
				t.Fatalf("the store counted %d of %d SYNs through serve", n, want)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	args := []string{"--interface", "lo", "--sensor", "lo-test", "--sensor-net", "127.0.0.2/32", "--commit-interval", "1s", "--archive-dir", arch}

	// A clean stop completes the archive file.
	srv := startHoneypotServe(t, db, freePort(t), args...)
	syns()
	waitCount(attempts)
	if err := srv.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	srv.Wait()
	complete := archiveFiles(t, arch)
	if len(complete) != 1 {
		t.Fatalf("after SIGTERM the archive holds %v, want one complete file", complete)
	}
	first := readArchive(t, complete[0])
	if first < attempts {
		t.Fatalf("the archive file holds %d frames, want at least the %d SYNs", first, attempts)
	}
	// ingest knows it as already counted.
	_, errOut, code := hs(t, "ingest", "--db", db, complete[0])
	if code != 0 || !strings.Contains(errOut, "live archive") {
		t.Errorf("ingest of the archive: exit %d\n%s", code, errOut)
	}
	if n, _ := count(); n != attempts {
		t.Errorf("after ingesting the archive the store holds %d packets, want %d", n, attempts)
	}

	// kill -9 mid-capture: at most the interval in progress lost, the
	// complete archive file intact, the file in progress only under .part.
	srv = startHoneypotServe(t, db, freePort(t), args...)
	syns()
	waitCount(2 * attempts)
	if err := srv.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	srv.Wait()
	n, ok := count()
	if !ok || n != 2*attempts {
		t.Errorf("after kill -9 the store holds %d packets of lo-test (ok %v), want %d", n, ok, 2*attempts)
	}
	out, errOut, code := hs(t, "stats", "--db", db, "--sensor", "lo-test", "--by", "port", "--format", "json")
	if code != 0 {
		t.Fatal(errOut)
	}
	if !json.Valid([]byte(out)) || !strings.Contains(out, `"port": 23`) {
		t.Errorf("stats by port after kill -9:\n%s", out)
	}
	after := archiveFiles(t, arch)
	if len(after) != 1 || after[0] != complete[0] || readArchive(t, after[0]) != first {
		t.Errorf("after kill -9 the complete archive files are %v, want %v unchanged", after, complete)
	}
	if left, _ := pcaparchive.Leftovers(arch); len(left) != 1 {
		t.Errorf("after kill -9 the .part files are %v, want the one in progress", left)
	}
	startHoneypotServe(t, db, freePort(t))
}

// archiveFiles lists the complete archive files of dir.
func archiveFiles(t *testing.T, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*"+pcaparchive.Suffix))
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// readArchive reads a complete archive file to its end (the gzip checksum
// included) and returns its packets.
func readArchive(t *testing.T, path string) int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	r, err := pcapgo.NewNgReader(zr, pcapgo.DefaultNgReaderOptions)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	n := 0
	for {
		_, _, err := r.ReadPacketData()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s: packet %d: %v", path, n, err)
		}
		n++
	}
	if _, err := io.Copy(io.Discard, zr); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return n
}
