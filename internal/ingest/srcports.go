package ingest

import (
	"context"
	"time"

	"github.com/honeyscope/honeyscope/internal/srcports"
	"github.com/honeyscope/honeyscope/internal/store"
)

func newSrcPorts(cfg *Config, loc *time.Location) *srcports.Collector {
	if cfg.NoSrcPorts {
		return nil
	}
	return srcports.NewCollector(loc, cfg.SrcPorts)
}

// SrcPortResult says what a capture's source-port histograms kept
// (package srcports): of its scan Packets, Dropped were of (day, source)
// pairs beyond the collector's bound; Confined (day, source) pairs were
// kept, Many used too many source ports, Few sent too few packets. All
// zero with Config.NoSrcPorts.
type SrcPortResult struct {
	Packets, Dropped    uint64
	Confined, Many, Few int
}

// finishSrcPorts ends a capture's collection and accounts it in res.
func finishSrcPorts(c *srcports.Collector, res *FileResult) *srcports.Part {
	if c == nil {
		return nil
	}
	p := c.Result()
	res.SrcPorts = SrcPortResult{Packets: p.Packets, Dropped: p.Dropped, Confined: p.Confined, Many: p.Many, Few: p.Few}
	return p
}

// writeSrcPorts appends the capture's source-port histograms to the file's
// transaction (a store whose Tx keeps none is left as it is).
func (s *partSink) writeSrcPorts(ctx context.Context, p *srcports.Part) {
	if p == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil || s.tx == nil {
		return
	}
	if st, ok := s.tx.(store.SrcPortTx); ok {
		if err := st.AppendSrcPorts(ctx, p, s.sensor); err != nil {
			s.err = err
		}
	}
}
