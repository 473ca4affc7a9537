package ingest

import (
	"context"
	"time"

	"github.com/honeyscope/honeyscope/internal/aggregate"
	"github.com/honeyscope/honeyscope/internal/srcports"
	"github.com/honeyscope/honeyscope/internal/store"
)

// newSrcPorts returns the source-port collectors of a file's n counting
// shards (nil with Config.NoSrcPorts).
func newSrcPorts(cfg *Config, loc *time.Location, n int) []*shardPorts {
	if cfg.NoSrcPorts {
		return nil
	}
	ps := make([]*shardPorts, n)
	for i, c := range srcports.NewShardCollectors(loc, cfg.SrcPorts, n) {
		ps[i] = &shardPorts{c: c}
	}
	return ps
}

// shardPorts counts one counting shard's scan packets (aggregate.Rec.Scan)
// into a source-port collector of its own, on the shard's goroutine: the
// shard owns its sources, so the collectors of a file hold disjoint
// (day, source) pairs and srcports.Combine joins them into what one
// collector would have kept. A packet's pair is found through its
// source-day in the shard's part, which counting has just looked up: the
// collector's memo of the pair (srcports.AddScan's hint) is kept in the
// source-day's slot of the counting table (aggregate.Aggregator.Memo), so
// the collector's own index is consulted once per source-day and part,
// not once per packet, and the memo costs no cache miss of its own.
type shardPorts struct {
	c *srcports.Collector
}

// addBatch counts the scan packets among the n records b held, which a
// has just counted.
func (s *shardPorts) addBatch(b *aggregate.Batch, n int, a *aggregate.Aggregator) {
	for i := 0; i < n; i++ {
		r := &b.Recs[i]
		if !r.Scan {
			continue
		}
		hi, lo, v6 := r.Src()
		var hint *int32
		if !v6 || hi != 0 || lo>>32 != 0xffff {
			// An IPv4-mapped IPv6 source is counted in the source-day of
			// the IPv4 address, but is another source here: no memo.
			hint = a.Memo(b, i)
			if *hint < 0 {
				// The pair is beyond the bound (most scan packets of a
				// darknet capture): counted as dropped.
				s.c.AddDropped()
				continue
			}
		}
		pk := srcports.Packet{Seq: b.Seq[i], TS: r.TS, Hi: hi, Lo: lo, V6: v6, Proto: r.Proto,
			SrcPort: r.SrcPort, DstPort: r.Port}
		s.c.AddScan(&pk, hint)
	}
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

// finishSrcPorts ends a capture's collection (the shards have finished)
// and accounts it in res.
func finishSrcPorts(ps []*shardPorts, res *FileResult) *srcports.Part {
	if ps == nil {
		return nil
	}
	cs := make([]*srcports.Collector, len(ps))
	for i := range ps {
		cs[i] = ps[i].c
	}
	p := srcports.Combine(cs)
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
