package storecache

import (
	"context"
	"testing"
	"time"

	"github.com/honeyscope/honeyscope/internal/store"
)

// TestRefreshRecent: after a write, RefreshRecent asks again the answers
// asked recently (and only those), so that a fresh view then answers from
// memory with the new value, without asking the store.
func TestRefreshRecent(t *testing.T) {
	f := &fake{}
	s := New(f, Options{MaxStale: -1})
	fresh := s.Fresh()
	qs := []store.SeriesQuery{{Dim: "country"}, {Dim: "port"}, {Dim: "asn"}}
	for _, q := range qs {
		val(t, fresh, q)
	}
	if n, err := s.RefreshRecent(context.Background(), 0); err != nil || n != 0 {
		t.Fatalf("nothing written, refreshed %d (%v)", n, err)
	}
	s.Commit(context.Background(), &store.Batch{})
	calls := f.calls.Load()
	n, err := s.RefreshRecent(context.Background(), 0)
	if err != nil || n != len(qs) || f.calls.Load() != calls+int64(len(qs)) {
		t.Fatalf("refreshed %d (%v), store asked %d times, want %d", n, err, f.calls.Load()-calls, len(qs))
	}
	calls = f.calls.Load()
	for _, q := range qs {
		if v := val(t, fresh, q); v != 1 {
			t.Fatalf("%v after the refresh: %v, want the new 1", q, v)
		}
	}
	if f.calls.Load() != calls {
		t.Fatalf("the refreshed answers asked the store again (%d times)", f.calls.Load()-calls)
	}
	// Only what was asked within the window is refreshed.
	s.Commit(context.Background(), &store.Batch{})
	time.Sleep(20 * time.Millisecond)
	val(t, s, qs[0]) // asked now: stale not allowed, asked again
	s.Commit(context.Background(), &store.Batch{})
	if n, err := s.RefreshRecent(context.Background(), 10*time.Millisecond); err != nil || n != 1 {
		t.Fatalf("refreshed %d (%v), want the one asked within the window", n, err)
	}
	if v := val(t, fresh, qs[0]); v != 3 {
		t.Fatalf("after the second refresh: %v, want 3", v)
	}
	// A cancelled refresh stops.
	s.Commit(context.Background(), &store.Batch{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if n, err := s.RefreshRecent(ctx, 0); err == nil || n != 0 {
		t.Fatalf("cancelled: refreshed %d (%v)", n, err)
	}
}

// TestFreshWaitsForRefresh: a fresh view asking a question while its
// refresh runs waits for it instead of asking the store a second time.
func TestFreshWaitsForRefresh(t *testing.T) {
	f := &fake{}
	s := New(f, Options{MaxStale: -1})
	q := store.SeriesQuery{Dim: "country"}
	val(t, s, q)
	s.Commit(context.Background(), &store.Batch{})
	f.gate = make(chan struct{})
	done := make(chan int)
	go func() {
		n, _ := s.RefreshRecent(context.Background(), 0)
		done <- n
	}()
	for f.calls.Load() != 2 {
		time.Sleep(time.Millisecond)
	}
	got := make(chan float64)
	go func() {
		ss, err := s.Fresh().Series(context.Background(), q)
		if err != nil {
			got <- -1
			return
		}
		got <- ss[0].Values[0]
	}()
	time.Sleep(20 * time.Millisecond)
	close(f.gate)
	if v := <-got; v != 1 {
		t.Fatalf("fresh answer %v, want 1", v)
	}
	if n := <-done; n != 1 || f.calls.Load() != 2 {
		t.Fatalf("refreshed %d, store asked %d times, want 1 and 2", n, f.calls.Load())
	}
}

// TestRefreshWaitsForOlderRefresh: a background refresh started before
// the last write is waited for, and the answer is then asked again at the
// new generation.
func TestRefreshWaitsForOlderRefresh(t *testing.T) {
	f := &fake{gate: make(chan struct{})}
	s := New(f, Options{MaxStale: time.Hour})
	q := store.SeriesQuery{Dim: "country"}
	go func() { f.gate <- struct{}{} }()
	val(t, s, q) // computed (calls 1)
	s.Commit(context.Background(), &store.Batch{})
	val(t, s, q) // stale; a refresh starts, held at the gate (calls 2)
	for f.calls.Load() != 2 {
		time.Sleep(time.Millisecond)
	}
	s.Commit(context.Background(), &store.Batch{})
	done := make(chan int)
	go func() {
		n, _ := s.RefreshRecent(context.Background(), 0)
		done <- n
	}()
	time.Sleep(20 * time.Millisecond)
	select {
	case n := <-done:
		t.Fatalf("RefreshRecent returned (%d) while an older refresh ran", n)
	default:
	}
	close(f.gate)
	if n := <-done; n != 1 || f.calls.Load() != 3 {
		t.Fatalf("refreshed %d, store asked %d times, want 1 and 3", n, f.calls.Load())
	}
	if v := val(t, s.Fresh(), q); v != 2 || f.calls.Load() != 3 {
		t.Fatalf("fresh answer %v after %d calls, want 2 after 3", v, f.calls.Load())
	}
}

// TestFreshSkipsQueuedRefresh: a fresh view does not wait for a refresh
// that is still waiting its turn behind another: it asks at once.
func TestFreshSkipsQueuedRefresh(t *testing.T) {
	f := &fake{}
	s := New(f, Options{MaxStale: time.Hour})
	q := store.SeriesQuery{Dim: "country"}
	val(t, s, q)
	s.refreshing <- struct{}{} // another refresh runs
	s.Commit(context.Background(), &store.Batch{})
	val(t, s, q) // stale: a refresh is queued
	got := make(chan float64, 1)
	go func() {
		ss, err := s.Fresh().Series(context.Background(), q)
		if err != nil {
			got <- -1
			return
		}
		got <- ss[0].Values[0]
	}()
	select {
	case v := <-got:
		if v != 1 {
			t.Fatalf("fresh answer %v, want 1", v)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the fresh view waited for a queued refresh")
	}
	<-s.refreshing
}
