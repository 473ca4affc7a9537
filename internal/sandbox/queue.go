package sandbox

import (
	"context"
	"errors"
	"runtime"
	"sync"
)

// Job is a sample waiting for a run.
type Job struct {
	Options
	// Done, when set, is called with the run's outcome (from the
	// queue's worker goroutine).
	Done func(*Result, error)
}

// ErrQueueFull is returned by Queue.Add when the queue holds its bound.
var ErrQueueFull = errors.New("sandbox queue full")

// ErrQueueClosed is returned by Queue.Add after Close.
var ErrQueueClosed = errors.New("sandbox queue closed")

// Queue runs jobs with bounded parallelism, holding a bounded number waiting.
// Serve's component feeds it the samples the honeypot keeps.
type Queue struct {
	jobs   chan Job
	wg     sync.WaitGroup
	cancel context.CancelFunc
	mu     sync.Mutex
	closed bool
	run    func(context.Context, Options) (*Result, error)
}

// NewQueue starts a queue of parallel workers (0: one per CPU) holding at
// most waiting jobs not yet started (at least 1). Its runs stop when ctx ends.
func NewQueue(ctx context.Context, parallel, waiting int) *Queue {
	return newQueue(ctx, parallel, waiting, Run)
}

func newQueue(ctx context.Context, parallel, waiting int, run func(context.Context, Options) (*Result, error)) *Queue {
	if parallel <= 0 {
		parallel = runtime.NumCPU()
	}
	ctx, cancel := context.WithCancel(ctx)
	q := &Queue{jobs: make(chan Job, max(waiting, 1)), cancel: cancel, run: run}
	for range max(parallel, 1) {
		q.wg.Add(1)
		go func() {
			defer q.wg.Done()
			for j := range q.jobs {
				var res *Result
				err := ctx.Err()
				if err == nil {
					res, err = q.run(ctx, j.Options)
				}
				if j.Done != nil {
					j.Done(res, err)
				}
			}
		}()
	}
	return q
}

// Add queues a job; it does not wait: a full queue is ErrQueueFull.
func (q *Queue) Add(j Job) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return ErrQueueClosed
	}
	select {
	case q.jobs <- j:
		return nil
	default:
		return ErrQueueFull
	}
}

// Len returns the number of jobs waiting.
func (q *Queue) Len() int { return len(q.jobs) }

// Close stops taking jobs and waits for those queued to finish; with
// abort, the runs in progress are stopped and the jobs waiting are told
// context.Canceled.
func (q *Queue) Close(abort bool) {
	q.mu.Lock()
	if !q.closed {
		q.closed = true
		close(q.jobs)
	}
	q.mu.Unlock()
	if abort {
		q.cancel()
	}
	q.wg.Wait()
	q.cancel()
}
