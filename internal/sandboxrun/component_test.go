package sandboxrun

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/honeyscope/honeyscope/internal/daemon"
	"github.com/honeyscope/honeyscope/internal/sandbox"
	"github.com/honeyscope/honeyscope/internal/store"
)

// memStore keeps triage items and runs in memory.
type memStore struct {
	store.TriageStore
	mu    sync.Mutex
	items []store.TriageItem
	runs  []store.SandboxRun
	added chan store.SandboxRun
}

func (m *memStore) TriageItems(context.Context) ([]store.TriageItem, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.items), nil
}

func (m *memStore) AddSandboxRun(ctx context.Context, r store.SandboxRun) (store.SandboxRun, error) {
	m.mu.Lock()
	r.ID = int64(len(m.runs) + 1)
	m.runs = append(m.runs, r)
	m.mu.Unlock()
	if m.added != nil {
		m.added <- r
	}
	return r, nil
}

func (m *memStore) SandboxRuns(ctx context.Context, q store.SandboxRunQuery) ([]store.SandboxRun, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []store.SandboxRun
	for _, r := range m.runs {
		if strings.HasPrefix(r.SHA256, q.SHA256) {
			out = append(out, r)
		}
	}
	return out, nil
}

func (m *memStore) SandboxRun(ctx context.Context, id int64) (store.SandboxRun, error) {
	return store.SandboxRun{}, store.ErrNoRun
}

// memSamples holds sample contents by digest.
type memSamples map[string][]byte

func (s memSamples) Read(sha string, max int64) ([]byte, error) {
	b, ok := s[sha]
	if !ok {
		return nil, os.ErrNotExist
	}
	return b, nil
}

func sha(c byte) string { return strings.Repeat(string(c), 64) }

// fakeQemu makes a directory of (empty) emulators for arches.
func fakeQemu(t *testing.T, arches ...string) string {
	dir := t.TempDir()
	for _, a := range arches {
		x, err := sandbox.ArchByName(a)
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, x.Qemu), nil, 0o700)
	}
	return dir
}

// TestComponentQueuesOnce: the samples of an architecture with an emulator
// and no stored run are run once each, newest first, their captures
// ingested; others are left alone; a second pass queues nothing again.
func TestComponentQueuesOnce(t *testing.T) {
	now := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	ms := &memStore{added: make(chan store.SandboxRun, 10), items: []store.TriageItem{
		{SHA256: sha('a'), Arch: "arm", First: now},
		{SHA256: sha('b'), Arch: "mipsel", First: now.Add(time.Hour)},
		{SHA256: sha('c'), Arch: "sparc64-unknown", First: now},
		{SHA256: sha('d'), Arch: "aarch64", First: now}, // no emulator here
		{SHA256: sha('e'), Arch: "arm", First: now},     // has a run already
		{SHA256: sha('f'), Arch: "", First: now},        // not ELF
	}}
	ms.runs = []store.SandboxRun{{ID: 1, SHA256: sha('e')}}
	samples := memSamples{sha('a'): []byte("A"), sha('b'): []byte("B"), sha('e'): []byte("E")}
	var mu sync.Mutex
	var ran []string
	var ingested []string
	run := func(ctx context.Context, o sandbox.Options) (*sandbox.Result, error) {
		mu.Lock()
		ran = append(ran, string(o.Sample))
		mu.Unlock()
		if o.Time != 7*time.Second || o.Pids != 64 || o.Dir == "" {
			t.Errorf("options %+v", o)
		}
		return &sandbox.Result{SHA256: strings.Repeat(strings.ToLower(string(o.Sample)), 64), Arch: "arm", Packets: int64(len(o.Sample)),
			PCAP: filepath.Join(o.Dir, "capture.pcap"), TimedOut: string(o.Sample) == "B"}, nil
	}
	r := daemon.NewReporter(nil)
	c, err := New(r, Configuration{Time: 7 * time.Second, Pids: 64, QemuDir: fakeQemu(t, "arm", "mipsel"), Dir: t.TempDir()},
		Dependencies{Triage: ms, Runs: ms, Samples: samples, Run: run, Check: func() error { return nil },
			Ingest: func(ctx context.Context, pcap string) error {
				mu.Lock()
				ingested = append(ingested, pcap)
				mu.Unlock()
				return nil
			}})
	if err != nil {
		t.Fatal(err)
	}
	passed := c.passed()
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer c.Stop(context.Background())
	<-passed
	var got []store.SandboxRun
	for range 2 {
		select {
		case r := <-ms.added:
			got = append(got, r)
		case <-time.After(30 * time.Second):
			t.Fatalf("runs stored: %+v", got)
		}
	}
	passed = c.passed()
	c.Kick()
	<-passed
	mu.Lock()
	if !slices.Equal(ran, []string{"B", "A"}) || len(ingested) != 2 {
		t.Errorf("ran %v (want B, the newest, then A), ingested %v", ran, ingested)
	}
	mu.Unlock()
	for _, r := range got {
		if r.Sensor != Sensor || r.ID == 0 {
			t.Errorf("run %+v", r)
		}
	}
	st := c.Stats()
	if st.Runs != 2 || st.TimedOut != 1 || st.Failed != 0 || st.Queued != 0 {
		t.Errorf("stats %+v", st)
	}
	if len(ms.added) != 0 {
		t.Errorf("a sample ran twice")
	}
}

// TestComponentFailures: a run that fails is counted and not stored, and
// not tried again in this process; a machine that cannot run samples stops
// Start.
func TestComponentFailures(t *testing.T) {
	ms := &memStore{items: []store.TriageItem{{SHA256: sha('a'), Arch: "arm"}, {SHA256: sha('b'), Arch: "arm"}}}
	samples := memSamples{sha('a'): []byte("A")} // b is not kept
	calls := make(chan struct{}, 10)
	run := func(ctx context.Context, o sandbox.Options) (*sandbox.Result, error) {
		calls <- struct{}{}
		return nil, errors.New("boom")
	}
	c, err := New(nil, Configuration{QemuDir: fakeQemu(t, "arm"), Dir: t.TempDir()},
		Dependencies{Triage: ms, Runs: ms, Samples: samples, Run: run, Check: func() error { return nil }})
	if err != nil {
		t.Fatal(err)
	}
	passed := c.passed()
	c.Start(context.Background())
	defer c.Stop(context.Background())
	<-passed
	deadline := time.Now().Add(30 * time.Second)
	for c.Stats().Failed < 2 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	passed = c.passed()
	c.Kick()
	<-passed
	time.Sleep(50 * time.Millisecond)
	if st := c.Stats(); st.Failed != 2 || st.Runs != 0 || len(calls) != 1 || len(ms.runs) != 0 {
		t.Errorf("stats %+v, %d runs tried, %d stored", st, len(calls), len(ms.runs))
	}

	c2, err := New(nil, Configuration{Dir: t.TempDir()}, Dependencies{Triage: ms, Runs: ms, Samples: samples,
		Check: func() error { return sandbox.ErrUnsupported }})
	if err != nil {
		t.Fatal(err)
	}
	if err := c2.Start(context.Background()); !errors.Is(err, sandbox.ErrUnsupported) || !strings.Contains(err.Error(), "sandbox.enabled") {
		t.Errorf("start without a sandbox: %v", err)
	}
	if _, err := New(nil, Configuration{}, Dependencies{Triage: ms, Runs: ms, Samples: samples}); err == nil {
		t.Error("no directory accepted")
	}
}

// TestComponentQueueBound: the queue holds at most Queue samples; the rest
// wait for a later pass.
func TestComponentQueueBound(t *testing.T) {
	ms := &memStore{}
	samples := memSamples{}
	for _, ch := range "abcdef" {
		ms.items = append(ms.items, store.TriageItem{SHA256: sha(byte(ch)), Arch: "arm"})
		samples[sha(byte(ch))] = []byte{byte(ch)}
	}
	gate := make(chan struct{})
	run := func(ctx context.Context, o sandbox.Options) (*sandbox.Result, error) {
		select {
		case <-gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		return &sandbox.Result{SHA256: sha(o.Sample[0]), Arch: "arm"}, nil
	}
	c, err := New(nil, Configuration{Queue: 2, QemuDir: fakeQemu(t, "arm"), Dir: t.TempDir()},
		Dependencies{Triage: ms, Runs: ms, Samples: samples, Run: run, Check: func() error { return nil }})
	if err != nil {
		t.Fatal(err)
	}
	// Passes without workers: the queue fills and stops there.
	n, err := c.pass(context.Background())
	if err != nil || n != 2 || len(c.jobs) != 2 {
		t.Fatalf("first pass queued %d (%v), %d waiting", n, err, len(c.jobs))
	}
	if n, _ := c.pass(context.Background()); n != 0 {
		t.Errorf("full queue took %d more", n)
	}
	<-c.jobs
	if n, _ := c.pass(context.Background()); n != 1 {
		t.Errorf("a freed place took %d", n)
	}
	close(gate)
}

// TestComponentRealRun: with root and qemu, serve's component runs a Go
// test program for arm in the real sandbox and stores its indicators.
func TestComponentRealRun(t *testing.T) {
	if err := sandbox.Check(); err != nil {
		t.Skip(err)
	}
	a, _ := sandbox.ArchByName("arm")
	if _, err := sandbox.QemuPath("", a); err != nil {
		t.Skip(err)
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command")
	}
	dir := t.TempDir()
	prog := filepath.Join(dir, "world")
	build := exec.Command("go", "build", "-trimpath", "-o", prog, "../sandbox/testdata/world")
	build.Env = append(os.Environ(), "GOOS=linux", "GOARCH=arm", "GOARM=7", "CGO_ENABLED=0")
	if b, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, b)
	}
	content, err := os.ReadFile(prog)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.Sum256(content)
	digest := hex.EncodeToString(h[:])
	ms := &memStore{added: make(chan store.SandboxRun, 1), items: []store.TriageItem{{SHA256: digest, Arch: "arm"}}}
	var pcaps []string
	c, err := New(nil, Configuration{Time: 30 * time.Second, Dir: filepath.Join(dir, "runs")},
		Dependencies{Triage: ms, Runs: ms, Samples: memSamples{digest: content},
			Ingest: func(ctx context.Context, pcap string) error { pcaps = append(pcaps, pcap); return nil }})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer c.Stop(context.Background())
	var run store.SandboxRun
	select {
	case run = <-ms.added:
	case <-time.After(2 * time.Minute):
		t.Fatalf("no run stored: %+v", c.Stats())
	}
	if run.SHA256 != digest || run.Arch != "arm" || run.Sensor != Sensor || run.Packets == 0 || len(pcaps) != 1 {
		t.Errorf("run %+v, ingested %v", run, pcaps)
	}
	var domains []string
	for _, ind := range run.Indicators {
		if ind.Kind == store.IndicatorDomain {
			domains = append(domains, ind.Value)
		}
	}
	if !slices.Contains(domains, "fixture-one.example") || !slices.Contains(domains, "c2.fixture.example") {
		t.Errorf("domains %v", domains)
	}
}
