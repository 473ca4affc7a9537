package sandbox

import (
	"context"
	"sync"
	"testing"
	"time"
)

// benchRuns runs the program b.N times through a queue of the given
// parallelism, at the default limits but for the time limit, and reports
// runs per hour.
func benchRuns(b *testing.B, prog string, limit time.Duration, parallel int) {
	needSandboxB(b, "arm")
	sample := programB(b, prog, "arm")
	q := NewQueue(context.Background(), parallel, b.N+1)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failed error
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		wg.Add(1)
		opt := Options{Sample: sample, Time: limit, Dir: b.TempDir(), Script: map[uint16][]byte{6667: []byte("PING\r\n")}}
		err := q.Add(Job{Options: opt, Done: func(r *Result, err error) {
			defer wg.Done()
			if err != nil {
				mu.Lock()
				failed = err
				mu.Unlock()
			}
		}})
		if err != nil {
			b.Fatal(err)
		}
	}
	wg.Wait()
	q.Close(false)
	el := time.Since(start)
	if failed != nil {
		b.Fatal(failed)
	}
	b.ReportMetric(float64(b.N)/el.Hours(), "runs/hour")
	// A worker's wall time per run (by design, the daemon's is its time
	// limit: what is over it is the cost of killing and cleaning up).
	b.ReportMetric((el / time.Duration(b.N) * time.Duration(parallel)).Seconds(), "s/run")
}

// BenchmarkRunExit: a sample that does its work (DNS, C2, SYNs) and exits.
func BenchmarkRunExit(b *testing.B) { benchRuns(b, "world", DefaultTime, 1) }

// BenchmarkRunExitParallel2: the same, two at once.
func BenchmarkRunExitParallel2(b *testing.B) { benchRuns(b, "world", DefaultTime, 2) }

// BenchmarkRunLimit: a daemon that runs until a 5 s time limit kills it.
func BenchmarkRunLimit(b *testing.B) { benchRuns(b, "daemon", 5*time.Second, 2) }

// BenchmarkRunLimitParallel8: eight such daemons at once (they sleep: the
// bound is memory and the setup, not the CPU).
func BenchmarkRunLimitParallel8(b *testing.B) { benchRuns(b, "daemon", 5*time.Second, 8) }
