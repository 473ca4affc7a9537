package sandbox

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
)

// TestQueue runs jobs through a queue with a stand-in for Run: never more
// at once than its parallelism, a full queue refuses, every job is told.
func TestQueue(t *testing.T) {
	var running, peak atomic.Int32
	release := make(chan struct{})
	run := func(ctx context.Context, o Options) (*Result, error) {
		n := running.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		<-release
		running.Add(-1)
		return &Result{Arch: o.Arch}, nil
	}
	q := newQueue(context.Background(), 2, 3, run)
	var mu sync.Mutex
	var done []string
	tell := func(r *Result, err error) {
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			done = append(done, err.Error())
			return
		}
		done = append(done, r.Arch)
	}
	added, full := 0, 0
	for i := range 10 {
		err := q.Add(Job{Options: Options{Arch: string(rune('a' + i))}, Done: tell})
		switch {
		case err == nil:
			added++
		case errors.Is(err, ErrQueueFull):
			full++
		default:
			t.Fatal(err)
		}
	}
	// Two running (once the workers took them) and three waiting at most.
	if added < 3 || added > 5 || full != 10-added {
		t.Errorf("%d added, %d refused", added, full)
	}
	close(release)
	q.Close(false)
	if peak.Load() > 2 {
		t.Errorf("%d runs at once, want at most 2", peak.Load())
	}
	if len(done) != added {
		t.Errorf("%d jobs told, %d added", len(done), added)
	}
	if err := q.Add(Job{}); !errors.Is(err, ErrQueueClosed) {
		t.Errorf("add after close: %v", err)
	}
}
