package livecap

import (
	"errors"
	"net/netip"
	"time"

	"github.com/honeyscope/honeyscope/internal/aggregate"
	"github.com/honeyscope/honeyscope/internal/classify"
	"github.com/honeyscope/honeyscope/internal/decode"
	"github.com/honeyscope/honeyscope/internal/evidence"
	"github.com/honeyscope/honeyscope/internal/ingest"
	"github.com/honeyscope/honeyscope/internal/pcaparchive"
)

// worker reads one capture socket and counts its packets into the
// interval's aggregator; at each generation change it hands the counts to
// the committer and starts a new aggregator.
type worker struct {
	c       *Component
	ci      *capIface
	src     Source
	link    decode.LinkType
	nets    []netip.Prefix
	cls     classify.Classifier
	loc     *time.Location
	gen     uint64
	agg     *aggregate.Aggregator
	ev      *evidence.Collector // nil: Configuration.NoEvidence
	pkt     decode.Packet
	cnt     counts
	last    Stats               // socket counters at the previous hand-over
	arc     *pcaparchive.Writer // nil: no archive
	arcErrs uint64
}

// counts are one worker's frame counters of an interval.
type counts struct {
	frames, inbound, outbound, undecodable uint64
	kernelDrops                            uint64
	errors                                 uint64 // reads that failed (not timeouts)
}

// part is one worker's contribution to an interval.
type part struct {
	res *aggregate.Result
	ev  *evidence.Part // nil without evidence
	counts
}

func newWorker(c *Component, ci *capIface, src Source, loc *time.Location) *worker {
	return &worker{
		c: c, ci: ci, src: src, link: src.Link(), nets: ci.nets,
		cls: classify.Classifier{Exploits: c.deps.Exploits},
		loc: loc, gen: c.gen.Load(), agg: aggregate.New(loc), ev: c.newEvidence(loc),
	}
}

// newEvidence returns an interval's evidence collector (nil: none kept).
func (c *Component) newEvidence(loc *time.Location) *evidence.Collector {
	if c.cfg.NoEvidence {
		return nil
	}
	return evidence.NewCollector(loc, c.cfg.Evidence)
}

// run reads until the last generation has been handed over.
func (w *worker) run() {
	defer w.src.Close()
	if w.arc != nil {
		// After the last interval was handed over: the file in progress
		// is completed and renamed into place.
		defer func() {
			if err := w.arc.Close(); err != nil {
				w.c.log.Error("archive: completing the last file", "interface", w.ci.Name, "err", err)
			}
		}()
	}
	for {
		frame, ts, err := w.src.Next()
		if g := w.c.gen.Load(); g != w.gen {
			w.handOver(g)
			if g == w.c.final.Load() {
				return
			}
		}
		switch {
		case err == nil:
			if w.arc != nil {
				w.archive(frame, ts)
			}
			w.add(frame, ts)
		case errors.Is(err, ErrTimeout):
			if w.arc != nil {
				w.arc.Tick(w.c.deps.Now())
			}
		default:
			w.cnt.errors++
			if w.cnt.errors == 1 {
				w.c.log.Warn("capture read failed", "interface", w.ci.Name, "err", err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

// archive writes one frame to the raw archive; a failure is logged once
// per run of failures (the archive suspends itself after a write error
// and tries a new file later).
func (w *worker) archive(frame []byte, ts int64) {
	if err := w.arc.WritePacket(time.Unix(0, ts), frame, len(frame)); err != nil {
		if w.arcErrs == 0 {
			w.c.log.Error("archive: frames not archived", "interface", w.ci.Name, "err", err)
		}
		w.arcErrs++
		return
	}
	if w.arcErrs > 0 {
		w.c.log.Info("archive: writing again", "interface", w.ci.Name, "frames_not_archived", w.arcErrs)
		w.arcErrs = 0
	}
}

// add counts one frame: decode, keep what is addressed to the sensor,
// classify, aggregate. It allocates nothing.
func (w *worker) add(frame []byte, ts int64) {
	w.cnt.frames++
	p := &w.pkt
	if decode.Decode(w.link, frame, p) != nil {
		w.cnt.undecodable++
		return
	}
	if len(w.nets) > 0 && !ingest.InNets(w.nets, p.Dst) {
		w.cnt.outbound++
		return
	}
	w.cnt.inbound++
	tags, pat := w.cls.Classify(p)
	w.agg.Add(ts, p, tags, pat)
	if w.ev != nil {
		w.ev.Add(ts, p)
	}
}

// handOver passes the interval's counts to the committer.
func (w *worker) handOver(g uint64) {
	st, err := w.src.Stats()
	if err == nil {
		if st.Drops >= w.last.Drops {
			w.cnt.kernelDrops = st.Drops - w.last.Drops
		}
		w.last = st
	}
	var ev *evidence.Part
	if w.ev != nil {
		ev = w.ev.Result()
		w.ev = w.c.newEvidence(w.loc)
	}
	w.ci.parts <- part{res: w.agg.Result(), ev: ev, counts: w.cnt}
	w.agg = aggregate.New(w.loc)
	w.cnt = counts{}
	w.gen = g
}
