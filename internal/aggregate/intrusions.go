package aggregate

import (
	"net/netip"
	"slices"
	"time"

	"github.com/honeyscope/honeyscope/internal/classify"
	"github.com/honeyscope/honeyscope/internal/session"
)

// Intrusions counts the intrusion sessions of ss (filtered ones aside) as hits of class
// intrusion: one per session, per day (of its start, in loc) × source ×
// destination port, protocol TCP. Sources are the source-days with at
// least one intrusion; their source port state says whether all of them
// came from one source port.
func Intrusions(ss []session.Session, loc *time.Location) *Result {
	if loc == nil {
		loc = time.UTC
	}
	type sdKey struct {
		addr netip.Addr
		day  Day
	}
	type hitKey struct {
		src  uint32
		port uint16
	}
	r := &Result{}
	srcIdx := map[sdKey]uint32{}
	hits := map[hitKey]uint64{}
	hours := map[int64]uint64{}
	tag := classify.Intrusion.Bit()
	for i := range ss {
		s := &ss[i]
		if !s.Intrusion() || s.Filtered || !s.Src.IsValid() {
			continue
		}
		ts := s.Start.UnixNano()
		k := sdKey{s.Src.Unmap(), DayOf(s.Start, loc)}
		idx, ok := srcIdx[k]
		if !ok {
			idx = uint32(len(r.Sources))
			srcIdx[k] = idx
			r.Sources = append(r.Sources, SourceDay{Addr: k.addr, Day: k.day, First: ts, Last: ts, Tags: tag, SrcPort: s.SrcPort, PortState: 1})
		}
		sd := &r.Sources[idx]
		sd.Packets++
		sd.First, sd.Last = min(sd.First, ts), max(sd.Last, ts)
		if sd.PortState == 1 && sd.SrcPort != s.SrcPort {
			sd.PortState = 2
		}
		hits[hitKey{idx, s.Port}]++
		h := s.Start.Unix()
		h -= ((h % 3600) + 3600) % 3600
		hours[h]++
		r.Inbound++
		if r.First == 0 || ts < r.First {
			r.First = ts
		}
		r.Last = max(r.Last, ts)
	}
	for k, n := range hits {
		r.Hits = append(r.Hits, Hit{Source: k.src, Proto: 6, Port: k.port, Tags: tag, Packets: n})
	}
	slices.SortFunc(r.Hits, func(a, b Hit) int {
		if a.Source != b.Source {
			return int(a.Source) - int(b.Source)
		}
		return int(a.Port) - int(b.Port)
	})
	for h, n := range hours {
		r.Hourly = append(r.Hourly, HourCount{Hour: h, Proto: 6, Tags: tag, Packets: n})
	}
	slices.SortFunc(r.Hourly, func(a, b HourCount) int { return int(a.Hour - b.Hour) })
	return r
}
