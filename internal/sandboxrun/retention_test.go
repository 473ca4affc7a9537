package sandboxrun

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/honeyscope/honeyscope/internal/sandbox"
	"github.com/honeyscope/honeyscope/internal/store"
)

// mkRun makes a run directory started at t holding size bytes.
func mkRun(t *testing.T, dir string, prefix byte, at time.Time, size int) string {
	t.Helper()
	name := strings.Repeat(string(prefix), 16) + "-" + at.UTC().Format("20060102T150405")
	if err := os.MkdirAll(filepath.Join(dir, name, "sub"), 0o700); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, name, "capture.pcap"), make([]byte, size/2), 0o600)
	os.WriteFile(filepath.Join(dir, name, "sub", "x"), make([]byte, size-size/2), 0o600)
	return name
}

func left(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}

// TestPrune: the oldest run directories go first until the count, the age
// and the total size are within bounds; directories in use, marked to
// keep, or not named like runs stay.
func TestPrune(t *testing.T) {
	now := time.Date(2026, 5, 10, 12, 0, 0, 0, time.UTC)
	setup := func() (string, []string) {
		dir := t.TempDir()
		var names []string
		for i, p := range []byte("0123456789") {
			names = append(names, mkRun(t, dir, p, now.Add(-time.Duration(10-i)*24*time.Hour), 1000))
		}
		os.MkdirAll(filepath.Join(dir, "notes"), 0o700)            // not a run
		os.WriteFile(filepath.Join(dir, failuresFile), nil, 0o600) // not a run
		os.MkdirAll(filepath.Join(dir, "abcdef0123456789-2026"), 0o700)
		return dir, names
	}
	others := []string{"abcdef0123456789-2026", failuresFile, "notes"}
	want := func(names ...string) []string {
		w := append(slices.Clone(others), names...)
		slices.Sort(w)
		return w
	}
	big := Retention{Runs: 100, Age: 100 * 24 * time.Hour, Size: 1 << 30}

	dir, names := setup()
	p, err := prune(dir, Retention{Runs: 4, Age: big.Age, Size: big.Size}, now, nil)
	if err != nil || p.Dirs != 6 || p.Bytes != 6000 {
		t.Errorf("by count: %+v %v", p, err)
	}
	if got := left(t, dir); !slices.Equal(got, want(names[6:]...)) {
		t.Errorf("by count left %v", got)
	}

	dir, names = setup()
	p, _ = prune(dir, Retention{Runs: big.Runs, Age: 3*24*time.Hour + time.Minute, Size: big.Size}, now, nil)
	if got := left(t, dir); p.Dirs != 7 || !slices.Equal(got, want(names[7:]...)) {
		t.Errorf("by age: %+v left %v", p, got)
	}

	dir, names = setup()
	p, _ = prune(dir, Retention{Runs: big.Runs, Age: big.Age, Size: 2500}, now, nil)
	if got := left(t, dir); p.Dirs != 8 || !slices.Equal(got, want(names[8:]...)) {
		t.Errorf("by size: %+v left %v", p, got)
	}

	// A directory in use and one marked to keep stay, and do not count.
	dir, names = setup()
	os.WriteFile(filepath.Join(dir, names[1], keptMarker), []byte("containment"), 0o600)
	p, _ = prune(dir, Retention{Runs: 2, Age: big.Age, Size: big.Size}, now, map[string]bool{names[0]: true})
	if got := left(t, dir); p.Dirs != 6 || !slices.Equal(got, want(names[0], names[1], names[8], names[9])) {
		t.Errorf("busy and kept: %+v left %v", p, got)
	}

	dir, names = setup()
	if p, _ := prune(dir, big, now, nil); p.Dirs != 0 || len(left(t, dir)) != len(names)+len(others) {
		t.Errorf("within bounds pruned %+v", p)
	}
	if _, err := prune(filepath.Join(dir, "missing"), big, now, nil); err == nil {
		t.Error("a missing directory pruned without an error")
	}
}

// TestComponentPrunes: the component keeps at most Keep.Runs run
// directories as runs go on, and prunes at start.
func TestComponentPrunes(t *testing.T) {
	ms := &memStore{}
	samples := memSamples{}
	for _, ch := range "abcdef" {
		ms.items = append(ms.items, store.TriageItem{SHA256: sha(byte(ch)), Arch: "arm"})
		samples[sha(byte(ch))] = []byte{byte(ch)}
	}
	run := func(ctx context.Context, o sandbox.Options) (*sandbox.Result, error) {
		os.WriteFile(filepath.Join(o.Dir, "capture.pcap"), []byte("pcap"), 0o600)
		return &sandbox.Result{SHA256: sha(o.Sample[0]), Arch: "arm"}, nil
	}
	dir := t.TempDir()
	ck := &clock{t: time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)}
	old := mkRun(t, dir, 'f', ck.t.Add(-60*24*time.Hour), 10)
	c, err := New(nil, Configuration{QemuDir: fakeQemu(t, "arm"), Dir: dir, Keep: Retention{Runs: 2}},
		Dependencies{Triage: ms, Runs: ms, Samples: samples, Run: run, Check: func() error { return nil }})
	if err != nil {
		t.Fatal(err)
	}
	c.now = ck.now
	c.prune()
	if _, err := os.Stat(filepath.Join(dir, old)); !os.IsNotExist(err) {
		t.Errorf("a run directory older than the default 30 days kept: %v", err)
	}
	n, err := c.pass(context.Background())
	if err != nil || n != 6 {
		t.Fatalf("queued %d: %v", n, err)
	}
	for range n {
		ck.add(time.Second)
		c.runOne(<-c.jobs)
		if got := left(t, dir); len(got) > 2 {
			t.Fatalf("%d run directories kept: %v", len(got), got)
		}
	}
	got := left(t, dir)
	if len(got) != 2 || !strings.HasPrefix(got[0], sha('e')[:16]) || !strings.HasPrefix(got[1], sha('f')[:16]) {
		t.Errorf("left %v, want the last two runs", got)
	}
	if st := c.Stats(); st.PrunedDirs != 5 || st.Runs != 6 {
		t.Errorf("stats %+v", st)
	}
}
