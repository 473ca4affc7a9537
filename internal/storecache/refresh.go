package storecache

import (
	"context"
	"slices"
	"time"
)

// RefreshRecent asks the store again, one question at a time and most
// recently asked first, every kept answer that is older than the store's
// last write and was asked within the last within (0: any). It returns
// when they are done, ctx ends or the cache is stopped, with the number
// refreshed.
//
// The owner calls it after writes, so that the views people opened (and
// the default views built at start) are answered from memory at the new
// generation, fresh, instead of being computed when someone asks: a
// caller that asks a question being refreshed waits for that refresh
// rather than asking the store a second time.
func (s *Store) RefreshRecent(ctx context.Context, within time.Duration) (int, error) {
	gen := s.gen.Load()
	now := time.Now()
	s.mu.Lock()
	type dueEntry struct {
		e    *entry
		used time.Time
	}
	var due []dueEntry
	for _, e := range s.entries {
		select {
		case <-e.ready:
		default:
			continue // being computed: at this generation or later
		}
		if e.err != nil || e.gen == gen || e.compute == nil || (within > 0 && now.Sub(e.used) > within) {
			continue
		}
		due = append(due, dueEntry{e, e.used})
	}
	s.mu.Unlock()
	slices.SortFunc(due, func(a, b dueEntry) int { return b.used.Compare(a.used) })
	n := 0
	for _, d := range due {
		e := d.e
		if err := ctx.Err(); err != nil {
			return n, err
		}
		s.mu.Lock()
		if s.stopped {
			s.mu.Unlock()
			return n, nil
		}
		for e.refreshing {
			// A refresh of before the write: wait for it, then see.
			done := e.done
			s.mu.Unlock()
			select {
			case <-done:
			case <-ctx.Done():
				return n, ctx.Err()
			}
			s.mu.Lock()
		}
		if s.entries[e.key] != e || e.gen == gen {
			s.mu.Unlock()
			continue
		}
		e.refreshing, e.done = true, make(chan struct{})
		s.mu.Unlock()
		s.refresh(ctx, e, gen, e.compute)
		n++
	}
	return n, ctx.Err()
}
