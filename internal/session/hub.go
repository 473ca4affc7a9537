package session

import (
	"sync"
	"time"
)

// Hub tracks a sensor's open sessions and collects finished ones for the
// committer. Finished sessions wait in a bounded queue: when the store falls
// behind by more than MaxPending sessions, the oldest are dropped and
// counted, never queued without limit.
type Hub struct {
	sink       Sink
	limits     Limits
	now        func() time.Time
	maxPending int

	mu       sync.Mutex
	open     map[*Recorder]struct{}
	finished []*Recorder
	dropped  uint64
}

// HubConfig configures a Hub.
type HubConfig struct {
	Sink       Sink // receives every event (nil: none)
	Limits     Limits
	MaxPending int              // finished sessions kept for the committer (default 100000)
	Now        func() time.Time // clock (default time.Now)
}

// NewHub returns an empty hub.
func NewHub(c HubConfig) *Hub {
	if c.MaxPending <= 0 {
		c.MaxPending = 100000
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Limits == (Limits{}) {
		c.Limits = DefaultLimits()
	}
	return &Hub{sink: c.Sink, limits: c.Limits, now: c.Now, maxPending: c.MaxPending, open: map[*Recorder]struct{}{}}
}

// Open starts a session with the given header (ID and Start are filled when
// empty), emits EventConnect (or EventFiltered when h.Filtered) and returns
// its recorder. lim, when not zero, replaces the hub's limits.
func (h *Hub) Open(hdr Session, lim Limits) *Recorder {
	if hdr.ID == "" {
		hdr.ID = NewID()
	}
	if hdr.Start.IsZero() {
		hdr.Start = h.now()
	}
	if lim == (Limits{}) {
		lim = h.limits
	}
	r := &Recorder{hub: h, limits: lim, sink: h.sink, now: h.now, s: hdr, dirty: true}
	h.mu.Lock()
	h.open[r] = struct{}{}
	h.mu.Unlock()
	kind := EventConnect
	if hdr.Filtered {
		kind = EventFiltered
	}
	r.mu.Lock()
	r.emit(Event{Kind: kind, Time: hdr.Start})
	r.mu.Unlock()
	return r
}

func (h *Hub) finish(r *Recorder) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.open, r)
	if len(h.finished) >= h.maxPending {
		h.finished = h.finished[1:]
		h.dropped++
	}
	h.finished = append(h.finished, r)
}

// Drain returns the sessions finished since the last Drain, and snapshots of
// the open sessions that changed since their last snapshot (so a crash loses
// at most one commit interval of an open session too). The store upserts
// sessions by ID.
func (h *Hub) Drain() (finished, open []Session) {
	h.mu.Lock()
	fin := h.finished
	h.finished = nil
	var opened []*Recorder
	for r := range h.open {
		opened = append(opened, r)
	}
	h.mu.Unlock()
	for _, r := range fin {
		finished = append(finished, r.Snapshot())
	}
	for _, r := range opened {
		r.mu.Lock()
		if r.dirty && !r.closed {
			open = append(open, r.snapshot())
		}
		r.mu.Unlock()
	}
	return finished, open
}

// Stats returns the number of open sessions, finished sessions waiting and
// sessions dropped because the queue was full.
func (h *Hub) Stats() (open, pending int, dropped uint64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.open), len(h.finished), h.dropped
}

// CloseAll ends every open session with reason (at shutdown).
func (h *Hub) CloseAll(reason string) {
	h.mu.Lock()
	var rs []*Recorder
	for r := range h.open {
		rs = append(rs, r)
	}
	h.mu.Unlock()
	for _, r := range rs {
		r.Close(reason)
	}
}
