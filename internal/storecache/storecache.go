// Package storecache keeps the answers of a store's read questions so that
// the dashboard, the API and the report answer at once when asked again.
//
// A Store wraps the store serve owns, through which every write of the
// process passes (ingests over the owner's socket, live capture intervals,
// honeypot sessions, reassignments): each write moves the store's
// generation on. An answer computed at the current generation is served as
// it is. An answer older than the store's last write is served for at most
// MaxStale after the first write since it was computed (how long it has
// been out of date, not how old it is: an answer computed an hour ago of
// a store nobody wrote to since is as good as new), while one refresh runs
// in the background
// (stale-while-revalidate: a live sensor commits every few seconds, and
// recomputing every page's questions at each commit would keep the
// database busy for nothing); past MaxStale it is computed again before
// answering. Identical questions asked together are computed once.
//
// Answers are deep-copied on the way out, so a caller that sorts or edits
// what it got never changes what the next caller gets. Errors are not
// kept. The number of answers kept and their estimated memory are bounded
// (least recently used first out).
package storecache

import (
	"container/list"
	"context"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/honeyscope/honeyscope/internal/store"
)

// Options bound the cache.
type Options struct {
	// MaxEntries is how many answers are kept (default 4096).
	MaxEntries int
	// MaxBytes bounds the memory the answers take, as estimated from
	// their lengths (default 512 MiB).
	MaxBytes int64
	// MaxStale is how long an answer is served after the store changed
	// under it, refreshed in the background (default 5m; negative: never
	// served stale).
	MaxStale time.Duration
	// RefreshTimeout bounds a background refresh (default 2m).
	RefreshTimeout time.Duration
}

// Stats are the cache's counters.
type Stats struct {
	Hits, StaleHits, Misses, Refreshes, Entries uint64
	Generation                                  uint64
}

// Store is a store.Store whose read answers are kept.
type Store struct {
	store.Store
	opt    Options
	direct bool // reads go to the store (Direct)
	*shared
}

// shared is the cache the views of one Store share.
type shared struct {
	gen atomic.Uint64

	mu      sync.Mutex
	entries map[string]*entry
	lru     *list.List // of *entry, most recent first
	bytes   int64      // estimated size of the answers kept

	hits, stale, misses, refreshes atomic.Uint64
	// refreshing lets one background refresh run at a time, so that
	// refreshes do not take the database from the questions waited for.
	refreshing chan struct{}

	// bg is the background refreshes' context, cancelled by Stop, which
	// then waits for them (wg) before the store behind is closed; after
	// Stop (stopped, under mu) no refresh starts.
	bg       context.Context
	cancelBg context.CancelFunc
	wg       sync.WaitGroup
	stopped  bool

	// changes holds when each of the last generations began (under mu,
	// slot gen % len): an answer of generation g has been out of date
	// since generation g+1 began.
	changes [256]genChange
}

// genChange is when the store moved on to generation gen.
type genChange struct {
	gen uint64
	at  time.Time
}

type entry struct {
	key        string
	gen        uint64
	at         time.Time
	val        any
	err        error
	ready      chan struct{}
	refreshing bool
	// done is closed when the refresh (refreshing) ends; running is set
	// once it computes (it may first wait for another refresh).
	done    chan struct{}
	running bool
	// compute asks the store the entry's question again (RefreshRecent).
	compute func(context.Context) (any, error)
	used    time.Time // last asked
	elem    *list.Element
	size    int64 // estimated size of val
}

// New wraps st.
func New(st store.Store, opt Options) *Store {
	if opt.MaxBytes <= 0 {
		opt.MaxBytes = 512 << 20
	}
	if opt.MaxEntries <= 0 {
		opt.MaxEntries = 4096
	}
	if opt.MaxStale == 0 {
		opt.MaxStale = 5 * time.Minute
	}
	if opt.RefreshTimeout <= 0 {
		opt.RefreshTimeout = 2 * time.Minute
	}
	sh := &shared{entries: map[string]*entry{}, lru: list.New(), refreshing: make(chan struct{}, 1)}
	sh.bg, sh.cancelBg = context.WithCancel(context.Background())
	return &Store{Store: st, opt: opt, shared: sh}
}

// Start does nothing: the cache is ready when made (it is a component of
// serve so that it is stopped before the store it wraps).
func (s *Store) Start(context.Context) error { return nil }

// Stop cancels the background refreshes and waits for them to end (or
// for ctx), so that no question of the cache's is still running when the
// store behind is closed. Answers kept are still given after Stop;
// stale ones are no longer refreshed.
func (s *Store) Stop(ctx context.Context) error {
	s.mu.Lock()
	s.stopped = true
	s.mu.Unlock()
	s.cancelBg()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("cache: background refreshes still running: %w", ctx.Err())
	}
}

// Fresh is a view of the same cache that never answers stale: an answer
// computed before the store's last write is computed again (the API:
// what a script reads right after an ingest includes it).
func (s *Store) Fresh() *Store {
	v := *s
	v.opt.MaxStale = -1
	return &v
}

// Direct is a view whose reads all go to the store while its writes move
// the cache's generation on (the owner's socket: another process's
// ingest and its stats right after).
func (s *Store) Direct() *Store {
	v := *s
	v.direct = true
	return &v
}

// Generation is the number of writes seen.
func (s *Store) Generation() uint64 { return s.gen.Load() }

// Invalidate moves the generation on, as a write does.
func (s *Store) Invalidate() {
	s.mu.Lock()
	g := s.gen.Add(1)
	s.changes[g%uint64(len(s.changes))] = genChange{gen: g, at: time.Now()}
	s.mu.Unlock()
}

// outdated is how long an answer of generation gen has been out of date
// (since the next generation began), under mu; forever when that is no
// longer recorded (over 256 writes ago).
func (sh *shared) outdated(gen uint64) time.Duration {
	if c := sh.changes[(gen+1)%uint64(len(sh.changes))]; c.gen == gen+1 {
		return time.Since(c.at)
	}
	return math.MaxInt64
}

// CacheStats returns the counters.
func (s *Store) CacheStats() Stats {
	s.mu.Lock()
	n := len(s.entries)
	s.mu.Unlock()
	return Stats{Hits: s.hits.Load(), StaleHits: s.stale.Load(), Misses: s.misses.Load(),
		Refreshes: s.refreshes.Load(), Entries: uint64(n), Generation: s.gen.Load()}
}

// get answers key from the cache or by compute.
func get[T any](ctx context.Context, s *Store, key string, compute func(context.Context) (T, error)) (T, error) {
	v, err := s.lookup(ctx, key, func(ctx context.Context) (any, error) { return compute(ctx) })
	if err != nil {
		var zero T
		return zero, err
	}
	return clone(v.(T)), nil
}

func (s *Store) lookup(ctx context.Context, key string, compute func(context.Context) (any, error)) (any, error) {
	if s.direct {
		return compute(ctx)
	}
	for {
		gen := s.gen.Load()
		s.mu.Lock()
		e := s.entries[key]
		if e == nil {
			e = &entry{key: key, gen: gen, ready: make(chan struct{}), compute: compute, used: time.Now()}
			e.elem = s.lru.PushFront(e)
			s.entries[key] = e
			s.evict()
			s.mu.Unlock()
			s.misses.Add(1)
			v, err := compute(ctx)
			s.mu.Lock()
			e.val, e.err, e.at = v, err, time.Now()
			close(e.ready)
			if err != nil {
				s.remove(e)
			} else {
				s.resize(e, v)
			}
			s.mu.Unlock()
			return v, err
		}
		s.lru.MoveToFront(e.elem)
		e.used = time.Now()
		select {
		case <-e.ready:
		default:
			s.mu.Unlock()
			select {
			case <-e.ready:
				continue
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		switch {
		case e.err != nil:
			s.remove(e)
			s.mu.Unlock()
			continue
		case e.gen == gen:
			v := e.val
			s.mu.Unlock()
			s.hits.Add(1)
			return v, nil
		case s.opt.MaxStale > 0 && s.outdated(e.gen) < s.opt.MaxStale:
			v := e.val
			if !e.refreshing && !s.stopped {
				e.refreshing, e.done = true, make(chan struct{})
				s.wg.Add(1)
				go func() {
					defer s.wg.Done()
					s.refresh(s.bg, e, gen, compute)
				}()
			}
			s.mu.Unlock()
			s.stale.Add(1)
			return v, nil
		case e.refreshing && e.running:
			// Being computed again (a refresh after a write): wait for
			// it rather than asking the same question twice (not for a
			// refresh still waiting its turn).
			done := e.done
			s.mu.Unlock()
			select {
			case <-done:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		default:
			// Too old: asked again, in the caller's time.
			s.remove(e)
			s.mu.Unlock()
		}
	}
}

// refresh computes e again in the background and replaces its answer.
func (s *Store) refresh(parent context.Context, e *entry, gen uint64, compute func(context.Context) (any, error)) {
	select {
	case s.shared.refreshing <- struct{}{}:
	case <-parent.Done():
		// Stopped (or the caller gave up) before its turn came.
		s.mu.Lock()
		e.refreshing = false
		close(e.done)
		s.mu.Unlock()
		return
	}
	defer func() { <-s.shared.refreshing }()
	s.mu.Lock()
	e.running = true
	s.mu.Unlock()
	ctx, cancel := context.WithTimeout(parent, s.opt.RefreshTimeout)
	defer cancel()
	s.refreshes.Add(1)
	v, err := compute(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	e.refreshing, e.running = false, false
	close(e.done)
	if err == nil && s.entries[e.key] == e {
		e.val, e.gen, e.at = v, gen, time.Now()
		s.resize(e, v)
	}
}

// resize records e's new answer's size and evicts beyond the bounds.
func (s *Store) resize(e *entry, v any) {
	if s.entries[e.key] != e {
		return
	}
	n := sizeOf(v)
	s.bytes += n - e.size
	e.size = n
	s.evict()
}

func (s *Store) remove(e *entry) {
	if s.entries[e.key] == e {
		delete(s.entries, e.key)
		s.lru.Remove(e.elem)
		s.bytes -= e.size
	}
}

// evict drops the least recently used answers beyond MaxEntries or
// MaxBytes (never one still being computed).
func (s *Store) evict() {
	for el := s.lru.Back(); el != nil && (len(s.entries) > s.opt.MaxEntries || s.bytes > s.opt.MaxBytes); {
		prev := el.Prev()
		e := el.Value.(*entry)
		select {
		case <-e.ready:
			s.remove(e)
		default:
		}
		el = prev
	}
}

// key makes the cache key of a question.
func key(method string, args ...any) string { return fmt.Sprintf("%s%#v", method, args) }
