package clickstore_test

import (
	"net/netip"
	"time"

	"github.com/honeyscope/honeyscope/internal/aggregate"
	"github.com/honeyscope/honeyscope/internal/civil"
	"github.com/honeyscope/honeyscope/internal/classify"
)

// contractResult is one source's 5 packets to 23/tcp on one day.
func contractResult() *aggregate.Result {
	day := civil.Of(time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC))
	ts := day.Time().Add(time.Hour).UnixNano()
	tags := classify.Tags(1 | 2)
	return &aggregate.Result{
		Sources: []aggregate.SourceDay{{Addr: netip.MustParseAddr("198.51.100.7"), Day: day, Packets: 5, Bytes: 300, First: ts, Last: ts, Tags: tags}},
		Hits:    []aggregate.Hit{{Source: 0, Proto: 6, Port: 23, Tags: tags, Packets: 5}},
		Inbound: 5, First: ts, Last: ts,
	}
}
