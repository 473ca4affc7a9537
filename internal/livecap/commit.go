package livecap

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/honeyscope/honeyscope/internal/aggregate"
	"github.com/honeyscope/honeyscope/internal/civil"
	"github.com/honeyscope/honeyscope/internal/classify"
	"github.com/honeyscope/honeyscope/internal/evidence"
	"github.com/honeyscope/honeyscope/internal/store"
)

// interval is one interface's counts of one commit interval, waiting to be
// committed.
type interval struct {
	start, end time.Time
	parts      []*aggregate.Result // one per worker
	evidence   []*evidence.Part    // one per worker (nil entries without evidence)
	counts
	queueDrops uint64
}

// sources is the number of source rows of the interval (a source seen by
// two workers counts twice).
func (iv *interval) sources() int {
	n := 0
	for _, r := range iv.parts {
		n += len(r.Sources)
	}
	return n
}

// drops are the counts of intervals given up.
type drops struct{ kernel, queue uint64 }

// commitTimeout bounds one interval's commit.
const commitTimeout = time.Minute

// boundary returns the end of the interval starting at t: the next
// multiple of every (counted from the Unix epoch), or the next midnight in
// loc when that comes first, so that no interval spans two days.
func boundary(t time.Time, every time.Duration, loc *time.Location) time.Time {
	end := t.Truncate(every).Add(every)
	if mid := civil.FromTime(t, loc).AddDays(1).Start(loc); mid.Before(end) {
		end = mid
	}
	return end
}

// loop ends an interval at each boundary and commits it, until Stop.
func (c *Component) loop(start time.Time, loc *time.Location) {
	defer close(c.done)
	end := boundary(start, c.cfg.CommitInterval, loc)
	for {
		var wait <-chan time.Time
		var timer *time.Timer
		if c.tick == nil {
			timer = time.NewTimer(end.Sub(c.deps.Now()))
			wait = timer.C
		}
		select {
		case <-wait:
		case <-c.tick:
		case <-c.stop:
			if timer != nil {
				timer.Stop()
			}
			// The interval so far, up to now.
			if now := c.deps.Now(); now.Before(end) {
				end = now
			}
			if end.Before(start) {
				end = start
			}
			c.final.Store(c.gen.Load() + 1)
			c.swap(start, end)
			c.commitAll()
			c.workers.Wait()
			return
		}
		c.swap(start, end)
		c.commitAll()
		// The next interval starts where this one ended; after a stall
		// (the machine slept) it ends at the boundary after now.
		start = end
		next := start
		if now := c.deps.Now(); now.After(next) && c.tick == nil {
			next = now
		}
		end = boundary(next, c.cfg.CommitInterval, loc)
	}
}

// swap ends the interval [start, end): every worker hands over its counts,
// which become each interface's pending interval.
func (c *Component) swap(start, end time.Time) {
	c.gen.Add(1)
	for _, ci := range c.ifcs {
		iv := &interval{start: start, end: end}
		for range ci.workers {
			p := <-ci.parts
			iv.parts = append(iv.parts, p.res)
			iv.evidence = append(iv.evidence, p.ev)
			iv.frames += p.frames
			iv.inbound += p.inbound
			iv.outbound += p.outbound
			iv.undecodable += p.undecodable
			iv.kernelDrops += p.kernelDrops
			iv.errors += p.errors
		}
		c.m.frames.WithLabelValues(ci.Name).Add(float64(iv.frames))
		c.m.packets.WithLabelValues(ci.Name).Add(float64(iv.inbound))
		c.m.kernelDrops.WithLabelValues(ci.Name).Add(float64(iv.kernelDrops))
		if iv.kernelDrops > 0 {
			c.log.Warn("the kernel dropped packets", "interface", ci.Name, "dropped", iv.kernelDrops, "interval", start.Format(time.RFC3339))
		}
		ci.pending = append(ci.pending, iv)
		if n := len(ci.pending) - c.cfg.Pending; n > 0 {
			for _, old := range ci.pending[:n] {
				ci.carry.kernel += old.kernelDrops
				ci.carry.queue += old.queueDrops + old.inbound
				c.m.givenUp.WithLabelValues(ci.Name).Inc()
				c.m.queueDrops.WithLabelValues(ci.Name).Add(float64(old.inbound))
				c.log.Error("interval given up: its commit kept failing", "interface", ci.Name,
					"interval", old.start.Format(time.RFC3339), "packets", old.inbound)
			}
			ci.pending = append(ci.pending[:0], ci.pending[n:]...)
		}
	}
}

// commitAll commits each interface's pending intervals in order, stopping
// at the first that fails (it is retried at the next interval).
func (c *Component) commitAll() {
	for _, ci := range c.ifcs {
		for len(ci.pending) > 0 {
			iv := ci.pending[0]
			t0 := time.Now()
			if err := c.commit(ci, iv); err != nil {
				c.m.commitErrors.WithLabelValues(ci.Name).Inc()
				c.log.Warn("interval commit failed; retried at the next interval", "interface", ci.Name,
					"interval", iv.start.Format(time.RFC3339), "pending", len(ci.pending), "err", err)
				break
			}
			c.m.commits.WithLabelValues(ci.Name).Inc()
			c.log.Debug("interval committed", "interface", ci.Name, "interval", iv.start.Format(time.RFC3339),
				"packets", iv.inbound, "sources", iv.sources(), "took", time.Since(t0).Round(time.Millisecond))
			ci.carry = drops{}
			ci.pending[0] = nil
			ci.pending = ci.pending[1:]
		}
		c.m.pending.WithLabelValues(ci.Name).Set(float64(len(ci.pending)))
	}
}

// Ingest returns the ingest record of an interval of interface ifc of
// sensor: the interval is identified by its start, so a retried commit
// that had in fact landed is recognised as a duplicate.
func Ingest(ifc, sensor string, start, end time.Time) store.Ingest {
	return store.Ingest{
		Path:   "live:" + ifc,
		Hash:   "live:" + sensor + ":" + ifc + ":" + strconv.FormatInt(start.UnixNano(), 10),
		Sensor: sensor, Format: "live",
		First: start, Last: end, ErrorOffset: -1, Duration: end.Sub(start),
	}
}

// commit writes one interval of one interface in one transaction.
func (c *Component) commit(ci *capIface, iv *interval) error {
	in := Ingest(ci.Name, ci.Sensor, iv.start, iv.end)
	in.Frames, in.Packets, in.Outbound, in.Undecodable = iv.frames, iv.inbound, iv.outbound, iv.undecodable
	in.KernelDrops = iv.kernelDrops + ci.carry.kernel
	in.QueueDrops = iv.queueDrops + ci.carry.queue
	in.CountryDB, in.ASNDB, in.Version = c.deps.CountryDB, c.deps.ASNDB, c.deps.Version
	if c.deps.GeoDatabases != nil {
		in.CountryDB, in.ASNDB = c.deps.GeoDatabases()
	}
	in.Detection = classify.DetectionVersion(c.deps.Exploits)
	in.RuleSet = c.deps.RuleSet
	for _, r := range iv.parts {
		// Packets handled a moment before or after the boundary keep
		// their own times: the interval covers them.
		if r.Inbound > 0 {
			if f := time.Unix(0, r.First); f.Before(in.First) {
				in.First = f
			}
			if l := time.Unix(0, r.Last); l.After(in.Last) {
				in.Last = l
			}
		}
	}
	if iv.errors > 0 {
		in.Error = fmt.Sprintf("%d capture reads failed", iv.errors)
	}
	ctx, cancel := context.WithTimeout(context.Background(), commitTimeout)
	defer cancel()
	ev := evidence.Merge(iv.evidence)
	var err error
	if len(iv.parts) == 1 {
		_, err = c.deps.Store.Commit(ctx, &store.Batch{
			Ingest: in, Result: iv.parts[0], Places: c.locate(iv.parts[0]),
			Pattern: c.pattern, Sensor: ci.sensor, Evidence: ev,
			// The next interval adds to the same day: the store may
			// count it from what it kept of this one.
			Continues: true,
		})
	} else {
		// Workers' sockets share sources (the kernel's fanout hashes
		// flows, not addresses): each is one part of the transaction,
		// and the store adds up a source-day that appears in several.
		_, err = store.CommitBatch(ctx, &store.Batch{Ingest: in, Sensor: ci.sensor}, func(ctx context.Context) (store.Tx, error) {
			tx, err := c.deps.Store.Begin(ctx)
			if err != nil {
				return nil, err
			}
			if ct, ok := tx.(store.ContinuingTx); ok {
				ct.Continues()
			}
			for _, r := range iv.parts {
				if err := tx.Append(ctx, r, c.locate(r), ci.Sensor, c.pattern); err != nil {
					tx.Abort()
					return nil, err
				}
			}
			if et, ok := tx.(store.EvidenceTx); ok && ev != nil {
				if err := et.AppendEvidence(ctx, ev, ci.Sensor); err != nil {
					tx.Abort()
					return nil, err
				}
			}
			return tx, nil
		})
	}
	if errors.Is(err, store.ErrDuplicate) {
		return nil // an earlier attempt landed after all
	}
	return err
}

func (c *Component) pattern(id int) string { n, _ := c.deps.Exploits.Pattern(id); return n }

// locate geolocates a result's sources, once per source-day.
func (c *Component) locate(r *aggregate.Result) []store.Place {
	places := make([]store.Place, len(r.Sources))
	for i := range r.Sources {
		if c.deps.Locate != nil {
			places[i] = c.deps.Locate(r.Sources[i].Addr)
		} else {
			places[i] = store.Place{Country: "??"}
		}
	}
	return places
}
