package pcaparchive

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket/layers"
)

var t0 = time.Date(2026, 5, 1, 12, 0, 0, 123456789, time.UTC)

func newWriter(t testing.TB, cfg Config) *Writer {
	t.Helper()
	if cfg.Dir == "" {
		cfg.Dir = t.TempDir()
	}
	if cfg.Prefix == "" {
		cfg.Prefix = "eth0"
	}
	if cfg.Sensor == "" {
		cfg.Sensor = "tokyo-1"
	}
	if cfg.LinkType == 0 {
		cfg.LinkType = layers.LinkTypeEthernet
	}
	w, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// TestRoundTrip: what is written reads back with pcapgo, timestamps,
// lengths and bytes, with the marker in the section header.
func TestRoundTrip(t *testing.T) {
	dir := t.TempDir()
	w := newWriter(t, Config{Dir: dir, Version: "v1.2.3", Snaplen: 100})
	ps := packets(1, 500, t0, 1357*time.Microsecond, 0)
	// Some longer than the snap length, some with an original length
	// larger than what was captured, one shorter than its data says.
	for i := 0; i < len(ps); i += 7 {
		ps[i] = pkt{ts: ps[i].ts, data: append(ps[i].data, make([]byte, 100+i)...), origLen: 0}
	}
	for i := 3; i < len(ps); i += 11 {
		ps[i].origLen = len(ps[i].data) + 1000
	}
	write(t, w, ps)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	final, part := dirFiles(t, dir)
	if len(final) != 1 || len(part) != 0 {
		t.Fatalf("files %v, part files %v", final, part)
	}
	want := "eth0-20260501T120000Z-0000.pcapng.gz"
	if final[0] != want {
		t.Errorf("file %s, want %s", final[0], want)
	}
	got, info, link := readFile(t, filepath.Join(dir, final[0]))
	samePackets(t, got, ps, 100)
	if link != layers.LinkTypeEthernet {
		t.Errorf("link type %v", link)
	}
	if info.Application != "honeyscope v1.2.3" || info.Comment != "honeyscope-live-archive sensor=tokyo-1 interface=eth0" {
		t.Errorf("section info %+v", info)
	}
	if s := w.Stats(); s.Packets != uint64(len(ps)) || s.Files != 1 || s.Failed != 0 {
		t.Errorf("stats %+v", s)
	}
	if err := w.WritePacket(t0, ps[0].data, 0); err != ErrClosed {
		t.Errorf("write after Close: %v", err)
	}
}

// TestRotateBySize: files are completed once their compressed size reaches
// the limit; together they hold every packet, in order.
func TestRotateBySize(t *testing.T) {
	dir := t.TempDir()
	const limit = 32 << 10
	w := newWriter(t, Config{Dir: dir, MaxFileBytes: limit, MaxTotalBytes: -1})
	ps := packets(2, 3000, t0, time.Millisecond, 200) // random payloads: barely compressible
	write(t, w, ps)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	final, part := dirFiles(t, dir)
	if len(part) != 0 || len(final) < 5 {
		t.Fatalf("%d files, part files %v", len(final), part)
	}
	for i, name := range final[:len(final)-1] {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Size() < limit {
			t.Errorf("file %d (%s) completed at %d bytes, below the limit", i, name, fi.Size())
		}
	}
	all, perFile := readAll(t, dir)
	samePackets(t, all, ps, 0)
	// Each name carries the time of its first packet.
	for i, name := range final {
		first := perFile[i][0].ts.UTC().Format(timeLayout)
		if !strings.Contains(name, "-"+first+"-") {
			t.Errorf("file %s: first packet at %s", name, first)
		}
	}
	if s := w.Stats(); s.Files != uint64(len(final)) {
		t.Errorf("stats %+v for %d files", s, len(final))
	}
}

// TestRotateByTime: a packet MaxFileAge or more after a file's first one
// begins a new file, so does the first packet of a day in Location; Tick
// completes an idle file whose time is up.
func TestRotateByTime(t *testing.T) {
	t.Run("age", func(t *testing.T) {
		dir := t.TempDir()
		w := newWriter(t, Config{Dir: dir, MaxFileAge: time.Hour})
		start := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
		ps := packets(3, 21, start, 10*time.Minute, 0) // 10:00 .. 13:20
		write(t, w, ps)
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		final, _ := dirFiles(t, dir)
		want := []string{
			"eth0-20260501T100000Z-0000.pcapng.gz",
			"eth0-20260501T110000Z-0000.pcapng.gz",
			"eth0-20260501T120000Z-0000.pcapng.gz",
			"eth0-20260501T130000Z-0000.pcapng.gz",
		}
		if strings.Join(final, " ") != strings.Join(want, " ") {
			t.Fatalf("files %v, want %v", final, want)
		}
		all, perFile := readAll(t, dir)
		samePackets(t, all, ps, 0)
		for i, n := range []int{6, 6, 6, 3} {
			if len(perFile[i]) != n {
				t.Errorf("file %d: %d packets, want %d", i, len(perFile[i]), n)
			}
		}
	})
	t.Run("day", func(t *testing.T) {
		dir := t.TempDir()
		jst := time.FixedZone("JST", 9*3600)
		w := newWriter(t, Config{Dir: dir, MaxFileAge: -1, Location: jst})
		// 14:50 UTC to 15:09 UTC: midnight in Tokyo is 15:00 UTC.
		start := time.Date(2026, 5, 1, 14, 50, 0, 0, time.UTC)
		ps := packets(4, 20, start, time.Minute, 0)
		write(t, w, ps)
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		final, _ := dirFiles(t, dir)
		want := []string{"eth0-20260501T145000Z-0000.pcapng.gz", "eth0-20260501T150000Z-0000.pcapng.gz"}
		if strings.Join(final, " ") != strings.Join(want, " ") {
			t.Fatalf("files %v, want %v", final, want)
		}
		all, perFile := readAll(t, dir)
		samePackets(t, all, ps, 0)
		if len(perFile[0]) != 10 {
			t.Errorf("%d packets before midnight, want 10", len(perFile[0]))
		}
	})
	t.Run("tick", func(t *testing.T) {
		dir := t.TempDir()
		w := newWriter(t, Config{Dir: dir, MaxFileAge: time.Hour})
		write(t, w, packets(5, 3, t0, time.Second, 0))
		if err := w.Tick(t0.Add(59 * time.Minute)); err != nil {
			t.Fatal(err)
		}
		if final, part := dirFiles(t, dir); len(final) != 0 || len(part) != 1 {
			t.Fatalf("before the hour: files %v, part %v", final, part)
		}
		if err := w.Tick(t0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		final, part := dirFiles(t, dir)
		if len(final) != 1 || len(part) != 0 || w.Current() != "" {
			t.Fatalf("after the hour: files %v, part %v, current %q", final, part, w.Current())
		}
		// Idle: no file is created until a packet comes.
		if err := w.Tick(t0.Add(5 * time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if final2, _ := dirFiles(t, dir); len(final2) != 1 {
			t.Errorf("files %v after an idle Close", final2)
		}
	})
}

// TestSameSecond: files begun in the same second, by one Writer or by two
// sharing a prefix, get distinct names in creation order.
func TestSameSecond(t *testing.T) {
	dir := t.TempDir()
	a := newWriter(t, Config{Dir: dir, MaxFileBytes: 1, MaxTotalBytes: -1})
	b := newWriter(t, Config{Dir: dir, MaxFileBytes: 1, MaxTotalBytes: -1})
	ps := packets(6, 6, t0, time.Microsecond, 0)
	for i, p := range ps {
		w := a
		if i%2 == 1 {
			w = b
		}
		if err := w.WritePacket(p.ts, p.data, p.origLen); err != nil {
			t.Fatal(err)
		}
	}
	a.Close()
	b.Close()
	final, part := dirFiles(t, dir)
	if len(final) != 6 || len(part) != 0 {
		t.Fatalf("files %v, part %v", final, part)
	}
	all, _ := readAll(t, dir)
	samePackets(t, all, ps, 0)
}

// TestCrashLeavesPart: a Writer that is never closed leaves only a .part
// file; nothing is under a final name, and the .part file is marked.
func TestCrashLeavesPart(t *testing.T) {
	dir := t.TempDir()
	w := newWriter(t, Config{Dir: dir})
	write(t, w, packets(7, 100, t0, time.Millisecond, 0))
	final, part := dirFiles(t, dir)
	if len(final) != 0 || len(part) != 1 {
		t.Fatalf("files %v, part %v", final, part)
	}
	left, err := Leftovers(dir)
	if err != nil || len(left) != 1 || left[0] != filepath.Join(dir, part[0]) || w.Current() != left[0] {
		t.Fatalf("Leftovers %v, %v; current %q", left, err, w.Current())
	}
	f, err := os.Open(left[0])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	info, ok, err := Marker(f)
	if err != nil || !ok || info.Sensor != "tokyo-1" || info.Interface != "eth0" {
		t.Errorf("Marker of the .part file: %+v %v %v", info, ok, err)
	}
	// A new Writer leaves it alone.
	w2 := newWriter(t, Config{Dir: dir, MaxAge: time.Nanosecond, MaxTotalBytes: 1 << 20, MaxFileBytes: 1 << 20,
		Now: func() time.Time { return time.Now().Add(1000 * time.Hour) }})
	w2.Close()
	if _, part2 := dirFiles(t, dir); len(part2) != 1 {
		t.Errorf("part files %v after a second Writer", part2)
	}
}

// TestSanitize: prefixes keep only safe bytes.
func TestSanitize(t *testing.T) {
	for in, want := range map[string]string{
		"eth0":                  "eth0",
		"nflog:5":               "nflog_5",
		"../../etc":             ".._.._etc",
		"":                      "capture",
		"..":                    "capture",
		"a-b c/d\x00":           "a_b_c_d_",
		strings.Repeat("x", 99): strings.Repeat("x", 64),
		"br0.100":               "br0.100",
	} {
		if got := Sanitize(in); got != want {
			t.Errorf("Sanitize(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestNew refuses configurations that cannot work.
func TestNew(t *testing.T) {
	for name, cfg := range map[string]Config{
		"no dir":          {Sensor: "s"},
		"no sensor":       {Dir: t.TempDir()},
		"total below one": {Dir: t.TempDir(), Sensor: "s", MaxFileBytes: 100, MaxTotalBytes: 99},
		"bad level":       {Dir: t.TempDir(), Sensor: "s", Level: 42},
	} {
		if _, err := New(cfg); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestWriteError: a file that cannot be written is abandoned, packets are
// refused for a while, then a new file is tried.
func TestWriteError(t *testing.T) {
	dir := t.TempDir()
	w := newWriter(t, Config{Dir: dir})
	ps := packets(8, 3, t0, time.Second, 0)
	write(t, w, ps[:1])
	w.f.Close() // the file fails under the Writer
	err := w.Close()
	if err == nil {
		t.Fatal("Close of a broken file succeeded")
	}
	final, part := dirFiles(t, dir)
	if len(final) != 0 || len(part) != 1 {
		t.Fatalf("files %v, part %v", final, part)
	}

	w = newWriter(t, Config{Dir: dir})
	write(t, w, ps[:1])
	w.f.Close()
	// Writes go to the compressor's buffer at first; fill it until the
	// error shows.
	big := packets(8, 1, t0, 0, 60000)[0].data // incompressible
	var werr error
	for i := 0; i < 100 && werr == nil; i++ {
		werr = w.WritePacket(t0.Add(time.Duration(i)*time.Millisecond), big, len(big))
	}
	if werr == nil {
		t.Fatal("no write error")
	}
	if !strings.Contains(werr.Error(), partSuffix) {
		t.Errorf("error %q does not name the file", werr)
	}
	if err := w.WritePacket(t0.Add(time.Second), ps[1].data, 0); err != ErrSuspended {
		t.Errorf("write during the suspension: %v", err)
	}
	if err := w.WritePacket(t0.Add(time.Minute), ps[2].data, 0); err != nil {
		t.Errorf("write after the suspension: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	final, _ = dirFiles(t, dir)
	if len(final) != 1 {
		t.Fatalf("files %v", final)
	}
	got, _, _ := readFile(t, filepath.Join(dir, final[0]))
	samePackets(t, got, []pkt{{ts: t0.Add(time.Minute), data: ps[2].data}}, 0)
	if s := w.Stats(); s.Abandoned != 1 || s.Failed < 2 {
		t.Errorf("stats %+v", s)
	}
}
