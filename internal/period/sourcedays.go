package period

import (
	"context"
	"net/netip"
	"time"

	"github.com/honeyscope/honeyscope/internal/civil"
)

// PortCount is the packets of one destination port.
type PortCount struct {
	Port    string `json:"port"` // "23/tcp"
	Packets uint64 `json:"packets"`
}

// SourceDay is what was seen of one source address on one day at the
// selected sensors.
type SourceDay struct {
	Day     civil.Day   `json:"day"`
	Packets uint64      `json:"packets"`
	Bytes   uint64      `json:"bytes"`
	Classes []string    `json:"classes"`
	Ports   []PortCount `json:"ports"` // most packets first
	Sensors []string    `json:"sensors"`
	Country string      `json:"country"`
	ASN     string      `json:"asn"` // "AS12345", "" when unknown
	Org     string      `json:"org"`
	// FirstSeen and LastSeen are the first and last packet (UTC).
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
	// FixedSrcPort says every TCP/UDP packet of the day came from one
	// source port, SrcPort.
	FixedSrcPort bool `json:"fixed_src_port"`
	SrcPort      int  `json:"src_port,omitempty"`
	// Exploits are the day's exploit matches, most packets first.
	Exploits []ExploitCount `json:"exploits,omitempty"`
}

// ExploitCount is the packets of one source that matched an exploit
// pattern at one destination port.
type ExploitCount struct {
	Pattern string `json:"pattern"`
	Port    string `json:"port"` // "80/tcp"
	Packets uint64 `json:"packets"`
}

// SourceDays returns the days of r on which addr sent anything to the
// selected sensors, in day order.
func (s *Source) SourceDays(ctx context.Context, addr netip.Addr, r Range) ([]SourceDay, error) {
	got, err := s.r.SourceDays(ctx, addr, r.selection(s.sensors))
	if err != nil {
		return nil, err
	}
	out := make([]SourceDay, len(got))
	for i, d := range got {
		x := SourceDay{Day: d.Day, Packets: d.Packets, Bytes: d.Bytes, Classes: d.Classes, Sensors: d.Sensors,
			Country: d.Country, Org: d.Org, FirstSeen: d.First, LastSeen: d.Last, Ports: make([]PortCount, len(d.Ports))}
		if d.FixedSrcPort {
			x.FixedSrcPort, x.SrcPort = true, int(d.SrcPort)
		}
		for _, e := range d.Exploits {
			x.Exploits = append(x.Exploits, ExploitCount{Pattern: e.Pattern, Port: PortKey(e.Proto, int(e.Port)), Packets: e.Packets})
		}
		if d.ASN != 0 {
			x.ASN = ASNKey(d.ASN)
		}
		for j, p := range d.Ports {
			x.Ports[j] = PortCount{Port: PortKey(p.Proto, int(p.Port)), Packets: p.Packets}
		}
		out[i] = x
	}
	return out, nil
}
