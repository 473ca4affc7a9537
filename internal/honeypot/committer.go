package honeypot

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/honeyscope/honeyscope/internal/aggregate"
	"github.com/honeyscope/honeyscope/internal/session"
	"github.com/honeyscope/honeyscope/internal/store"
)

// maxPutCache bounds the set of sample hashes already written.
const maxPutCache = 4096

// committer writes the hub's sessions to the store once per interval.
//
// A batch that fails is kept and retried, unchanged and with the same ID,
// before anything new is drained: a commit that failed after the store
// applied it is then not counted twice. While it keeps failing, finished
// sessions wait in the hub's bounded queue (the oldest dropped and counted).
type committer struct {
	c      *Component
	mu     sync.Mutex // one commit at a time
	failed *store.SessionBatch
	last   time.Time       // end of the last committed interval
	put    map[string]bool // samples already written (bounded)
}

func (m *committer) init(c *Component) {
	m.c = c
	m.put = map[string]bool{}
	m.last = c.deps.Now()
}

func (c *Component) commitLoop(stop, done chan struct{}) {
	defer close(done)
	t := time.NewTicker(c.s.cfg.CommitInterval)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			ctx, cancel := context.WithTimeout(context.Background(), max(c.s.cfg.CommitInterval, 30*time.Second))
			if err := c.commitNow(ctx); err != nil {
				c.log.Error("session commit failed; retrying at the next interval", "err", err)
			}
			cancel()
		}
	}
}

// Commit commits what the hub holds now (as the interval timer does).
func (c *Component) Commit(ctx context.Context) error { return c.commitNow(ctx) }

func (c *Component) commitNow(ctx context.Context) error {
	m := &c.committer
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.failed != nil {
		if err := c.write(ctx, m.failed); err != nil {
			return err
		}
		m.failed = nil
	}
	now := c.deps.Now()
	fin, open := c.hub.Drain()
	if len(fin) == 0 && len(open) == 0 {
		m.last = now
		return nil
	}
	b := &store.SessionBatch{ID: c.s.cfg.Name + "-" + session.NewID(), Sessions: append(fin, open...)}
	if len(fin) > 0 {
		b.Hits = c.intrusionHits(b.ID, fin, m.last, now)
	}
	m.last = now
	if err := c.write(ctx, b); err != nil {
		m.failed = b
		return err
	}
	return nil
}

// write puts the batch's samples, then commits it.
func (c *Component) write(ctx context.Context, b *store.SessionBatch) error {
	m := &c.committer
	if c.deps.Samples != nil {
		for i := range b.Sessions {
			for j := range b.Sessions[i].Files {
				f := &b.Sessions[i].Files[j]
				if !f.Sample || f.Content == nil || m.put[f.SHA256] {
					continue
				}
				sum, err := c.deps.Samples.Put(f.Content)
				if err != nil {
					c.m.commitErrors.Inc()
					return fmt.Errorf("sample %s: %w", f.SHA256, err)
				}
				c.m.samples.Inc()
				if len(m.put) >= maxPutCache {
					clear(m.put)
				}
				m.put[sum] = true
			}
		}
	}
	if err := c.deps.Store.CommitSessions(ctx, *b); err != nil {
		c.m.commitErrors.Inc()
		return err
	}
	c.m.commits.Inc()
	return nil
}

// intrusionHits counts one intrusion per finished intrusion session, per
// day × source × destination port (TCP), as the capture batches count
// packets, so stats and reports count intrusions like the other classes.
func (c *Component) intrusionHits(id string, fin []session.Session, first, last time.Time) *store.Batch {
	res := aggregate.Intrusions(fin, c.location())
	places := make([]store.Place, len(res.Sources))
	if c.deps.Locate != nil {
		for i := range res.Sources {
			places[i] = c.deps.Locate(res.Sources[i].Addr)
		}
	}
	sensor := c.s.cfg.Name
	return &store.Batch{
		Ingest: store.Ingest{
			Path: "honeypot:" + sensor, Hash: "honeypot:" + id, Sensor: sensor, Format: "honeypot",
			Packets: res.Inbound, First: first, Last: last, ErrorOffset: -1,
		},
		Result: res,
		Places: places,
		Sensor: store.Sensor{Name: sensor},
	}
}
