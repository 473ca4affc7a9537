package sandboxrun

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/honeyscope/honeyscope/internal/sandbox"
	"github.com/honeyscope/honeyscope/internal/store"
)

func TestBackoff(t *testing.T) {
	for _, c := range []struct {
		n    int
		want time.Duration
	}{{1, 10 * time.Minute}, {2, 20 * time.Minute}, {3, 40 * time.Minute}, {8, 1280 * time.Minute}, {9, MaxRetryAfter}, {1000, MaxRetryAfter}} {
		if got := backoff(10*time.Minute, c.n); got != c.want {
			t.Errorf("failure %d: %v, want %v", c.n, got, c.want)
		}
	}
}

func TestRecordBound(t *testing.T) {
	m := map[string]Failure{}
	t0 := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	for i := range maxFailures + 1 {
		m[strconv.Itoa(i)] = Failure{Attempts: 1, Last: t0.Add(time.Duration(i) * time.Second)}
	}
	f := record(m, "new", t0.Add(time.Hour*1000), errors.New("boom"), 3, time.Minute, false)
	if f.Attempts != 1 || f.GaveUp || !f.Next.Equal(t0.Add(1000*time.Hour+time.Minute)) || f.Err != "boom" {
		t.Errorf("record %+v", f)
	}
	if len(m) != maxFailures {
		t.Fatalf("%d remembered, want %d", len(m), maxFailures)
	}
	if _, ok := m["0"]; ok {
		t.Error("the oldest failure was kept")
	}
	if _, ok := m["new"]; !ok {
		t.Error("the newest failure was dropped")
	}
}

// clock is a settable time for the component.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// drive runs a pass and then every queued job, returning how many ran.
func drive(t *testing.T, c *Component) int {
	t.Helper()
	n, err := c.pass(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for range n {
		c.runOne(<-c.jobs)
	}
	return n
}

// TestComponentRetries: a failed run is tried again only after its
// backoff, which doubles; a sample that fails Attempts times is given up,
// also after a restart (failures.json); one whose containment failed is
// given up at once and its files kept; a success forgets the failures.
func TestComponentRetries(t *testing.T) {
	ms := &memStore{items: []store.TriageItem{{SHA256: sha('a'), Arch: "arm"}, {SHA256: sha('b'), Arch: "arm"}, {SHA256: sha('c'), Arch: "arm"}}}
	samples := memSamples{sha('a'): []byte("a"), sha('b'): []byte("b"), sha('c'): []byte("c")}
	var mu sync.Mutex
	tries := map[string]int{}
	run := func(ctx context.Context, o sandbox.Options) (*sandbox.Result, error) {
		mu.Lock()
		defer mu.Unlock()
		s := string(o.Sample)
		tries[s]++
		switch {
		case s == "a" && tries[s] <= 2, s == "b":
			return nil, errors.New("emulator crashed")
		case s == "c":
			return &sandbox.Result{}, errors.New("a process outlived the run")
		}
		return &sandbox.Result{SHA256: sha('a'), Arch: "arm"}, nil
	}
	dir := t.TempDir()
	ck := &clock{t: time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)}
	newC := func() *Component {
		c, err := New(nil, Configuration{QemuDir: fakeQemu(t, "arm"), Dir: dir, RetryAfter: time.Hour, Attempts: 3},
			Dependencies{Triage: ms, Runs: ms, Samples: samples, Run: run, Check: func() error { return nil }})
		if err != nil {
			t.Fatal(err)
		}
		c.now = ck.now
		c.loadFailures()
		t.Cleanup(func() { c.Stop(context.Background()) })
		return c
	}
	c := newC()
	if n := drive(t, c); n != 3 {
		t.Fatalf("first pass ran %d", n)
	}
	st := c.Stats()
	if st.Retrying != 2 || st.GaveUp != 1 || st.Failed != 3 {
		t.Fatalf("after the first runs: %+v", st)
	}
	ck.add(59 * time.Minute)
	if n := drive(t, c); n != 0 {
		t.Fatalf("%d run before their backoff", n)
	}
	ck.add(time.Minute)
	if n := drive(t, c); n != 2 {
		t.Fatalf("%d retried after an hour, want a and b", n)
	}
	ck.add(time.Hour) // the second backoff is two hours
	if n := drive(t, c); n != 0 {
		t.Fatalf("%d retried an hour after their second failure", n)
	}
	ck.add(time.Hour)
	if n := drive(t, c); n != 2 {
		t.Fatalf("%d retried two hours after their second failure", n)
	}
	if len(ms.runs) != 1 || ms.runs[0].SHA256 != sha('a') {
		t.Fatalf("runs stored %+v", ms.runs)
	}
	st = c.Stats()
	if st.Retrying != 0 || st.GaveUp != 2 {
		t.Fatalf("after the third runs: %+v", st)
	}
	ck.add(1000 * time.Hour)
	if n := drive(t, c); n != 0 {
		t.Fatalf("%d given-up samples run again", n)
	}
	mu.Lock()
	if tries["a"] != 3 || tries["b"] != 3 || tries["c"] != 1 {
		t.Errorf("tries %v", tries)
	}
	mu.Unlock()
	// The containment failure's directory stays, marked.
	kept, _ := filepath.Glob(filepath.Join(dir, sha('c')[:16]+"-*", keptMarker))
	if len(kept) != 1 {
		t.Errorf("kept markers %v", kept)
	}
	// A restart remembers.
	c2 := newC()
	if n := drive(t, c2); n != 0 {
		t.Fatalf("%d given-up samples run after a restart", n)
	}
	if st := c2.Stats(); st.GaveUp != 2 || st.Retrying != 0 {
		t.Errorf("after a restart: %+v", st)
	}
	m, err := loadFailures(dir)
	if err != nil || len(m) != 2 || !m[sha('b')].GaveUp || m[sha('b')].Attempts != 3 || m[sha('b')].Err != "emulator crashed" {
		t.Errorf("failures.json: %v %+v", err, m)
	}
	// A record that cannot be read is set aside.
	os.WriteFile(filepath.Join(dir, failuresFile), []byte("{"), 0o600)
	c3 := newC()
	if st := c3.Stats(); st.GaveUp != 0 {
		t.Errorf("bad record read: %+v", st)
	}
	if _, err := os.Stat(filepath.Join(dir, failuresFile+".bad")); err != nil {
		t.Error(err)
	}
}
