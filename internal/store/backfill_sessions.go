package store

import (
	"context"

	"github.com/honeyscope/honeyscope/internal/civil"
	"github.com/honeyscope/honeyscope/internal/session"
)

// A backfill re-evaluates the honeypot's sessions as well as the stored
// payloads (docs/rules.md "Backfill"): the commands and requests of the
// sessions that started on the days asked (in the store's time zone; the
// day intrusions count under), filtered sessions aside, read back one day
// at a time and handed to the classifier. Each message a rule matched
// counts one under the session's day, sensor, source, TCP and port. The
// backends read the sessions and write the counts; the counting is here.

// DaySensor is one (day, sensor) pair of a backfill.
type DaySensor struct {
	Day    civil.Day
	Sensor string
}

// SessionMatch is one key of a backfill's session counts: a pattern a
// message of a session matched, under the session's day, sensor, source
// (its text, as the tables keep it) and port.
type SessionMatch struct {
	Day     civil.Day
	Sensor  string
	Src     string
	Port    uint16
	Pattern string
}

// SessionBackfill is what classifying the sessions of a backfill gave.
type SessionBackfill struct {
	Counts   map[SessionMatch]uint64
	Pairs    map[DaySensor]bool // every (day, sensor) with sessions, matched or not
	Sessions int
	Messages int
	Hits     uint64
}

// ClassifySessionDays hands classify every session read gives for each day
// from first to last (one day at a time) and counts the patterns it
// returns for the session's commands and requests ("" for none).
func ClassifySessionDays(ctx context.Context, first, last civil.Day, read func(civil.Day) ([]session.Session, error),
	classify func(*session.Session) ([]string, []string)) (*SessionBackfill, error) {
	out := &SessionBackfill{Counts: map[SessionMatch]uint64{}, Pairs: map[DaySensor]bool{}}
	for d := first; d <= last; d = d.AddDays(1) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		ss, err := read(d)
		if err != nil {
			return nil, err
		}
		for i := range ss {
			x := &ss[i]
			cmds, reqs := classify(x)
			out.Sessions++
			out.Messages += len(x.Commands) + len(x.Requests)
			out.Pairs[DaySensor{d, x.Sensor}] = true
			src := ""
			if x.Src.IsValid() {
				src = x.Src.Unmap().String()
			}
			for _, pats := range [][]string{cmds, reqs} {
				for _, p := range pats {
					if p == "" {
						continue
					}
					out.Counts[SessionMatch{d, x.Sensor, src, x.Port, p}]++
					out.Hits++
				}
			}
		}
	}
	return out, nil
}

// Result starts a backfill's result from the evidence days it re-runs and
// its sessions: the packets, the (day, sensor)s either covers, and the
// sessions' figures.
func (sb *SessionBackfill) Result(days []EvidenceDay) BackfillResult {
	var res BackfillResult
	pairs := map[DaySensor]bool{}
	for _, d := range days {
		res.Packets += d.Packets
		pairs[DaySensor{d.Day, d.Sensor}] = true
	}
	for p := range sb.Pairs {
		pairs[p] = true
	}
	res.Days = len(pairs)
	res.Sessions, res.Messages, res.SessionHits = sb.Sessions, sb.Messages, sb.Hits
	return res
}

// SessionPlace is the country and AS a backfill's session counts of a
// source are written under.
type SessionPlace struct {
	Country string
	ASN     uint32
}

// SessionCount is one exploit_counts row of a backfill's sessions.
type SessionCount struct {
	SessionMatch
	Country string
	ASN     uint32
	N       uint64
}

// Placed gives the counts of sb their places: places holds the place of a
// sources row of each source on a day and sensor (keyed by Day, Sensor and
// Src), countries the country the sessions of a source at a sensor gave
// (keyed by sensor and source). A count takes its sources row's place,
// else its sessions' country and AS 0, else "??" and AS 0. The counts come
// in no order.
func (sb *SessionBackfill) Placed(places map[SessionMatch]SessionPlace, countries map[[2]string]string) []SessionCount {
	out := make([]SessionCount, 0, len(sb.Counts))
	for k, n := range sb.Counts {
		p, ok := places[SessionMatch{Day: k.Day, Sensor: k.Sensor, Src: k.Src}]
		if !ok || p.Country == "" {
			p.Country = countries[[2]string{k.Sensor, k.Src}]
		}
		if p.Country == "" {
			p.Country = "??"
		}
		out = append(out, SessionCount{k, p.Country, p.ASN, n})
	}
	return out
}
