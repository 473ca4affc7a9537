package storecache

import (
	"context"
	"errors"
	"net/netip"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/honeyscope/honeyscope/internal/store"
)

// fake answers Series with its current value and counts the questions.
type fake struct {
	store.Store
	calls atomic.Int64
	value atomic.Int64
	fail  atomic.Bool
	gate  chan struct{} // when set, Series waits for it
}

func (f *fake) Series(ctx context.Context, q store.SeriesQuery) ([]store.Series, error) {
	f.calls.Add(1)
	if f.gate != nil {
		<-f.gate
	}
	if f.fail.Load() {
		return nil, errors.New("boom")
	}
	return []store.Series{{Class: "mirai", Values: []float64{float64(f.value.Load())}}}, nil
}

func (f *fake) Commit(ctx context.Context, b *store.Batch) (int32, error) {
	f.value.Add(1)
	return 1, nil
}

func val(t *testing.T, s *Store, q store.SeriesQuery) float64 {
	t.Helper()
	ss, err := s.Series(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	return ss[0].Values[0]
}

func TestHitsStaleAndRefresh(t *testing.T) {
	f := &fake{}
	s := New(f, Options{MaxStale: time.Hour})
	q := store.SeriesQuery{Dim: "country"}
	if val(t, s, q) != 0 || val(t, s, q) != 0 || f.calls.Load() != 1 {
		t.Fatalf("asked the store %d times for one question", f.calls.Load())
	}
	// Another question is another entry.
	val(t, s, store.SeriesQuery{Dim: "port"})
	if f.calls.Load() != 2 {
		t.Fatalf("calls %d", f.calls.Load())
	}
	// A write: the stale answer comes at once, a refresh follows.
	s.Commit(context.Background(), &store.Batch{})
	if v := val(t, s, q); v != 0 {
		t.Fatalf("stale answer %v, want the old 0", v)
	}
	deadline := time.Now().Add(5 * time.Second)
	for val(t, s, q) != 1 {
		if time.Now().After(deadline) {
			t.Fatal("the refresh never replaced the stale answer")
		}
		time.Sleep(time.Millisecond)
	}
	st := s.CacheStats()
	if st.Refreshes != 1 || st.StaleHits == 0 || st.Misses != 2 || st.Generation != 1 {
		t.Errorf("stats %+v", st)
	}
}

func TestNoStale(t *testing.T) {
	f := &fake{}
	s := New(f, Options{MaxStale: -1})
	q := store.SeriesQuery{}
	val(t, s, q)
	s.Commit(context.Background(), &store.Batch{})
	if v := val(t, s, q); v != 1 || f.calls.Load() != 2 {
		t.Fatalf("after a write: %v after %d calls, want 1 after 2", v, f.calls.Load())
	}
}

func TestCopies(t *testing.T) {
	f := &fake{}
	s := New(f, Options{})
	ss, _ := s.Series(context.Background(), store.SeriesQuery{})
	ss[0].Values[0] = 99
	ss[0].Class = "x"
	if v := val(t, s, store.SeriesQuery{}); v != 0 {
		t.Fatalf("a caller's edit reached the cache: %v", v)
	}
}

func TestOnceAndErrors(t *testing.T) {
	f := &fake{gate: make(chan struct{})}
	s := New(f, Options{})
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() { defer wg.Done(); val(t, s, store.SeriesQuery{}) }()
	}
	time.Sleep(50 * time.Millisecond)
	close(f.gate)
	wg.Wait()
	if f.calls.Load() != 1 {
		t.Fatalf("8 identical questions asked the store %d times", f.calls.Load())
	}
	f.fail.Store(true)
	q := store.SeriesQuery{Dim: "asn"}
	for range 2 {
		if _, err := s.Series(context.Background(), q); err == nil {
			t.Fatal("no error")
		}
	}
	if f.calls.Load() != 3 {
		t.Fatalf("errors kept: %d calls", f.calls.Load())
	}
}

func TestBounded(t *testing.T) {
	f := &fake{}
	s := New(f, Options{MaxEntries: 10})
	for i := range 100 {
		val(t, s, store.SeriesQuery{Keep: []store.Key{{ASN: uint32(i)}}})
	}
	if n := s.CacheStats().Entries; n > 10 {
		t.Fatalf("%d entries kept, at most 10", n)
	}
}

func TestTxFinishInvalidates(t *testing.T) {
	s := New(&fakeTx{}, Options{})
	tx, err := s.Begin(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if s.Generation() != 0 {
		t.Fatal("Begin moved the generation")
	}
	tx.Finish(context.Background(), store.Ingest{}, false, store.Sensor{})
	if s.Generation() != 1 {
		t.Fatal("Finish did not move the generation")
	}
}

type fakeTx struct {
	store.Store
	store.Tx
}

func (f *fakeTx) Begin(context.Context) (store.Tx, error) { return f, nil }
func (f *fakeTx) Finish(context.Context, store.Ingest, bool, store.Sensor) error {
	return nil
}

func TestViews(t *testing.T) {
	f := &fake{}
	s := New(f, Options{MaxStale: time.Hour})
	fresh, direct := s.Fresh(), s.Direct()
	q := store.SeriesQuery{}
	val(t, s, q)
	val(t, fresh, q)
	if f.calls.Load() != 1 {
		t.Fatalf("the fresh view did not share the answer: %d calls", f.calls.Load())
	}
	direct.Commit(context.Background(), &store.Batch{})
	if s.Generation() != 1 {
		t.Fatal("a write through the direct view did not move the generation")
	}
	if v := val(t, fresh, q); v != 1 {
		t.Fatalf("the fresh view answered %v after a write, want 1", v)
	}
	n := f.calls.Load()
	val(t, direct, q)
	val(t, direct, q)
	if f.calls.Load() != n+2 {
		t.Fatal("the direct view used the cache")
	}
}

func TestClone(t *testing.T) {
	type inner struct {
		P    netip.Prefix
		Tags []string
	}
	type row struct {
		Name string
		M    map[string][]int
		In   *inner
		Vals []float64
		Ins  []inner
	}
	a := []row{{Name: "x", M: map[string][]int{"k": {1}}, In: &inner{P: netip.MustParsePrefix("192.0.2.0/24"), Tags: []string{"t"}},
		Vals: []float64{1}, Ins: []inner{{Tags: []string{"u"}}}}}
	b := clone(a)
	b[0].Name, b[0].M["k"][0], b[0].In.Tags[0], b[0].Vals[0], b[0].Ins[0].Tags[0] = "y", 2, "z", 2, "w"
	b[0].M["new"] = nil
	if a[0].Name != "x" || a[0].M["k"][0] != 1 || len(a[0].M) != 1 || a[0].In.Tags[0] != "t" || a[0].Vals[0] != 1 || a[0].Ins[0].Tags[0] != "u" {
		t.Fatalf("the copy shares with the original: %+v", a[0])
	}
	if b[0].In.P != a[0].In.P {
		t.Fatal("a value lost in the copy")
	}
}

func BenchmarkCloneBreakdown(b *testing.B) {
	rows := make([]store.BreakdownRow, 100000)
	for b.Loop() {
		clone(rows)
	}
}

// big answers Series with a large slice.
type big struct{ store.Store }

func (big) Series(ctx context.Context, q store.SeriesQuery) ([]store.Series, error) {
	return make([]store.Series, 1000), nil
}

func TestBoundedBytes(t *testing.T) {
	s := New(big{}, Options{MaxBytes: 10 * 1000 * int64(reflectSize())})
	for i := range 100 {
		if _, err := s.Series(context.Background(), store.SeriesQuery{Keep: []store.Key{{ASN: uint32(i)}}}); err != nil {
			t.Fatal(err)
		}
	}
	if n := s.CacheStats().Entries; n > 10 || n == 0 {
		t.Fatalf("%d answers of 1,000 series kept, want 1 to 10 within MaxBytes", n)
	}
}

func reflectSize() uintptr { return reflect.TypeFor[store.Series]().Size() }

func TestSizeOf(t *testing.T) {
	ss := make([]store.Series, 100)
	for i := range ss {
		ss[i].Values = make([]float64, 1000)
	}
	if n := sizeOf(ss); n < 100*1000*8 || n > 2*100*1000*8 {
		t.Fatalf("100 series of 1,000 values: %d bytes estimated", n)
	}
	if sizeOf([]string{"abcdef"}) < 6 || sizeOf(nil) != 0 {
		t.Fatal("strings or nil misjudged")
	}
}

// ctxFake's Series waits until its context ends, as a store question
// interrupted at shutdown does, and records that it returned.
type ctxFake struct {
	store.Store
	started chan struct{}
	running atomic.Int64
	first   atomic.Bool
}

func (f *ctxFake) Series(ctx context.Context, q store.SeriesQuery) ([]store.Series, error) {
	if !f.first.CompareAndSwap(false, true) {
		f.running.Add(1)
		defer f.running.Add(-1)
		close(f.started)
		<-ctx.Done()
		return nil, ctx.Err()
	}
	return []store.Series{{Values: []float64{1}}}, nil
}

func (f *ctxFake) Commit(ctx context.Context, b *store.Batch) (int32, error) { return 1, nil }

func TestStopEndsRefreshes(t *testing.T) {
	f := &ctxFake{started: make(chan struct{})}
	s := New(f, Options{MaxStale: time.Hour})
	q := store.SeriesQuery{Dim: "country"}
	val(t, s, q)
	s.Commit(context.Background(), &store.Batch{})
	val(t, s, q) // stale: starts a refresh, which blocks in the store
	<-f.started
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if n := f.running.Load(); n != 0 {
		t.Fatalf("%d store questions still running after Stop", n)
	}
	// Kept answers are still given, and no refresh starts any more.
	if v := val(t, s, q); v != 1 {
		t.Fatalf("after Stop: %v", v)
	}
	if st := s.CacheStats(); st.Refreshes != 1 {
		t.Errorf("refreshes after Stop: %+v", st)
	}
}

// TestStaleCountsFromTheWrite: how long an answer may be served stale is
// counted from the write that made it out of date, not from when it was
// computed: an answer older than MaxStale of a store nobody wrote to since
// is served stale at the next write (and refreshed), while one out of date
// for longer than MaxStale is computed again in the caller's time.
func TestStaleCountsFromTheWrite(t *testing.T) {
	f := &fake{}
	s := New(f, Options{MaxStale: 300 * time.Millisecond})
	q := store.SeriesQuery{Dim: "country"}
	val(t, s, q)
	time.Sleep(400 * time.Millisecond) // older than MaxStale, still current
	s.Commit(context.Background(), &store.Batch{})
	if v := val(t, s, q); v != 0 {
		t.Fatalf("after a write, an answer computed before MaxStale but current until the write: %v, want it served stale (0)", v)
	}
	deadline := time.Now().Add(5 * time.Second)
	for val(t, s, q) != 1 {
		if time.Now().After(deadline) {
			t.Fatal("the refresh never replaced the stale answer")
		}
		time.Sleep(time.Millisecond)
	}
	s.Commit(context.Background(), &store.Batch{})
	time.Sleep(400 * time.Millisecond) // out of date for longer than MaxStale
	if v := val(t, s, q); v != 2 {
		t.Fatalf("an answer out of date for longer than MaxStale: %v, want it computed again (2)", v)
	}
}
