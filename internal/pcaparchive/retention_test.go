package pcaparchive

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// touch makes a file of size bytes modified at mtime.
func touch(t *testing.T, path string, size int, mtime time.Time) {
	t.Helper()
	if err := os.WriteFile(path, make([]byte, size), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(path, mtime, mtime); err != nil {
		t.Fatal(err)
	}
}

// TestRetentionAge: complete files of the prefix older than MaxAge are
// deleted when the Writer starts and after each file it completes; files
// of other prefixes, .part files and other names stay.
func TestRetentionAge(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	clock := now
	old := now.Add(-31 * 24 * time.Hour)
	recent := now.Add(-29 * 24 * time.Hour)
	files := map[string]time.Time{
		"eth0-20260401T000000Z-0000.pcapng.gz":      old,    // deleted
		"eth0-20260402T000000Z-0000.pcapng.gz":      recent, // kept
		"eth0-20260403T000000Z-0000.pcapng.gz.part": old,    // a leftover: kept
		"eth1-20260401T000000Z-0000.pcapng.gz":      old,    // another prefix
		"eth0-x-20260401T000000Z-0000.pcapng.gz":    old,    // another prefix
		"eth0-20260401T000000Z.pcapng.gz":           old,    // not an archive name
		"eth0-20260401T000000Z-0000.pcapng":         old,    // not an archive name
		"notes.txt":                                 old,
	}
	for name, mt := range files {
		touch(t, filepath.Join(dir, name), 10, mt)
	}
	w := newWriter(t, Config{Dir: dir, Now: func() time.Time { return clock }})
	names := func() []string {
		ents, _ := os.ReadDir(dir)
		var out []string
		for _, e := range ents {
			out = append(out, e.Name())
		}
		return out
	}
	got := names()
	for name := range files {
		want := name != "eth0-20260401T000000Z-0000.pcapng.gz"
		if slices.Contains(got, name) != want {
			t.Errorf("%s: present %v, want %v", name, !want, want)
		}
	}
	if w.Stats().Deleted != 1 {
		t.Errorf("stats %+v", w.Stats())
	}
	// Two days later the recent one has aged out too: deleted when the
	// next file is completed.
	clock = now.Add(2 * 24 * time.Hour)
	write(t, w, packets(9, 10, clock, time.Second, 0))
	if slices.Contains(names(), "eth0-20260402T000000Z-0000.pcapng.gz") == false {
		t.Fatal("deleted before a file was completed")
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	got = names()
	if slices.Contains(got, "eth0-20260402T000000Z-0000.pcapng.gz") {
		t.Error("aged-out file kept after a rotation")
	}
	if !slices.Contains(got, "eth0-20260603T000000Z-0000.pcapng.gz") {
		t.Errorf("the new file is missing: %v", got)
	}
	if w.Stats().Deleted != 2 {
		t.Errorf("stats %+v", w.Stats())
	}
}

// TestRetentionTotal: after each completed file the oldest complete files
// are deleted until the rest fit in MaxTotalBytes; the newest stay.
func TestRetentionTotal(t *testing.T) {
	dir := t.TempDir()
	const fileLimit = 16 << 10
	const total = 5 * fileLimit
	// A file of another prefix, large, is not counted nor deleted.
	other := filepath.Join(dir, "eth1-20260101T000000Z-0000.pcapng.gz")
	touch(t, other, 10*total, time.Now())
	w := newWriter(t, Config{Dir: dir, MaxFileBytes: fileLimit, MaxTotalBytes: total, MaxAge: -1})
	ps := packets(10, 4000, t0, time.Millisecond, 200)
	var seen []string // every final name ever seen, in order
	for i, p := range ps {
		if err := w.WritePacket(p.ts, p.data, p.origLen); err != nil {
			t.Fatal(err)
		}
		if i%50 != 0 {
			continue
		}
		final, _ := dirFiles(t, dir)
		var sum int64
		var mine []string
		for _, name := range final {
			if !strings.HasPrefix(name, "eth0-") {
				continue
			}
			fi, err := os.Stat(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			sum += fi.Size()
			mine = append(mine, name)
			if !slices.Contains(seen, name) {
				seen = append(seen, name)
			}
		}
		if sum > total {
			t.Fatalf("packet %d: complete files take %d bytes, limit %d", i, sum, total)
		}
		// What is left is always the newest files.
		if len(mine) > 0 && !slices.Equal(mine, seen[len(seen)-len(mine):]) {
			t.Fatalf("packet %d: left %v of %v", i, mine, seen)
		}
	}
	w.Close()
	if w.Stats().Deleted == 0 || w.Stats().Files < 10 {
		t.Fatalf("stats %+v", w.Stats())
	}
	if _, err := os.Stat(other); err != nil {
		t.Errorf("file of another prefix: %v", err)
	}
	os.Remove(other)
	// The files left hold the last packets written, in order.
	all, _ := readAll(t, dir)
	if len(all) == 0 || len(all) >= len(ps) {
		t.Fatalf("%d packets left of %d", len(all), len(ps))
	}
	samePackets(t, all, ps[len(ps)-len(all):], 0)
}
