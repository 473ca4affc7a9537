package period

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/honeyscope/honeyscope/internal/civil"
	"github.com/honeyscope/honeyscope/internal/store"
)

// Minute is one minute of one sensor's day: how much of it a capture
// covered and what live captures lost in it.
type Minute struct {
	Start time.Time `json:"start"`
	// Covered is the share of the minute inside some capture (0 to 1): a
	// live capture's intervals, a file's first to last packet.
	Covered float64 `json:"covered"`
	// KernelDrops and QueueDrops are the packets live captures lost in
	// the intervals whose middle falls in this minute.
	KernelDrops uint64 `json:"kernel_drops,omitempty"`
	QueueDrops  uint64 `json:"queue_drops,omitempty"`
}

// Minutes returns the minutes of day d (1,440, or 1,380/1,500 on the days a
// zone changes its clocks) for one sensor: which minutes it was up and
// capturing, and what it lost. A live sensor commits an interval (10 s by
// default) even when nothing arrived, so a minute with coverage and no
// packets is a true zero, and a minute without coverage is no data.
func (s *Source) Minutes(ctx context.Context, sensor string, d civil.Day) ([]Minute, error) {
	caps, err := s.r.Captures(ctx, []string{sensor})
	if err != nil {
		return nil, fmt.Errorf("minute coverage: %w", err)
	}
	return MinutesOf(caps, sensor, d.Start(s.loc), d.AddDays(1).Start(s.loc)), nil
}

// MinutesOf computes Minutes from captures over [start, end).
func MinutesOf(caps []store.Capture, sensor string, start, end time.Time) []Minute {
	n := int(end.Sub(start) / time.Minute)
	if n <= 0 {
		return nil
	}
	out := make([]Minute, n)
	for i := range out {
		out[i].Start = start.Add(time.Duration(i) * time.Minute)
	}
	type span struct{ a, b time.Time }
	var spans []span
	for _, c := range caps {
		if c.Sensor != sensor || c.Last.Before(start) || !c.First.Before(end) {
			continue
		}
		spans = append(spans, span{c.First, c.Last})
		if drops := c.KernelDrops + c.QueueDrops; drops > 0 {
			mid := c.First.Add(c.Last.Sub(c.First) / 2)
			if i := int(mid.Sub(start) / time.Minute); !mid.Before(start) && i < n {
				out[i].KernelDrops += c.KernelDrops
				out[i].QueueDrops += c.QueueDrops
			}
		}
	}
	// Merge overlapping captures, then add each merged span's share of
	// every minute it touches.
	slices.SortFunc(spans, func(x, y span) int { return x.a.Compare(y.a) })
	var merged []span
	for _, sp := range spans {
		if k := len(merged) - 1; k >= 0 && !sp.a.After(merged[k].b) {
			if sp.b.After(merged[k].b) {
				merged[k].b = sp.b
			}
			continue
		}
		merged = append(merged, sp)
	}
	for _, sp := range merged {
		a, b := maxTime(sp.a, start), minTime(sp.b, end)
		for i := int(a.Sub(start) / time.Minute); i < n && b.After(out[i].Start); i++ {
			lo, hi := maxTime(a, out[i].Start), minTime(b, out[i].Start.Add(time.Minute))
			if hi.After(lo) {
				out[i].Covered += float64(hi.Sub(lo)) / float64(time.Minute)
			}
		}
	}
	for i := range out {
		out[i].Covered = min(1, float64(int(out[i].Covered*1e4+0.5))/1e4)
	}
	return out
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
