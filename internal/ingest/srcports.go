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

func finishSrcPorts(c *srcports.Collector) *srcports.Part {
	if c == nil {
		return nil
	}
	return c.Result()
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
