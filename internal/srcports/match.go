package srcports

import (
	"cmp"
	"net/netip"
	"slices"

	"github.com/honeyscope/honeyscope/internal/civil"
)

// Profile is the behaviour a sample showed: the source ports its scans
// came from and the destination ports they went to.
type Profile struct {
	Src map[PortKey]uint64
	Dst map[PortKey]uint64
}

// PortKey is a protocol and port.
type PortKey struct {
	Proto uint8  `json:"proto"`
	Port  uint16 `json:"port"`
}

// ProfileOf is the profile of obs (all of one behaviour, e.g. a run).
func ProfileOf(obs []Obs) Profile {
	p := Profile{Src: map[PortKey]uint64{}, Dst: map[PortKey]uint64{}}
	for _, o := range obs {
		k := PortKey{o.Proto, o.Port}
		switch o.Kind {
		case KindSrc:
			p.Src[k] += o.Packets
		case KindDst:
			p.Dst[k] += o.Packets
		}
	}
	return p
}

// SrcPorts lists the profile's source ports in order (what a store is
// asked for the sources that used them).
func (p Profile) SrcPorts() []PortKey {
	out := make([]PortKey, 0, len(p.Src))
	for k := range p.Src {
		out = append(out, k)
	}
	slices.SortFunc(out, func(a, b PortKey) int {
		return cmp.Or(cmp.Compare(a.Proto, b.Proto), cmp.Compare(a.Port, b.Port))
	})
	return out
}

// Match is a source in the wild whose behaviour matches a profile.
type Match struct {
	Src     netip.Addr `json:"src"`
	Country string     `json:"country,omitempty"`
	ASN     uint32     `json:"asn,omitempty"`
	Sensors []string   `json:"sensors"`
	Days    int        `json:"days"`
	First   civil.Day  `json:"first"`
	Last    civil.Day  `json:"last"`
	Packets uint64     `json:"packets"`
	// Shared are the source ports it shares with the profile.
	Shared []PortKey `json:"shared_src_ports"`
	// SrcJaccard and DstJaccard are the Jaccard indices of its source-
	// and destination-port sets with the profile's; Score their mean, the
	// rank.
	SrcJaccard float64 `json:"src_jaccard"`
	DstJaccard float64 `json:"dst_jaccard"`
	Score      float64 `json:"score"`
}

// Matches ranks the sources of wild (stored bins of any sources, e.g. those
// that used one of p's source ports) by how well their port sets match p,
// best first, at most n (all when n <= 0). A source must share a source
// port with p to be listed.
func Matches(p Profile, wild []Obs, n int) []Match {
	type acc struct {
		m        Match
		src, dst map[PortKey]bool
		days     map[civil.Day]bool
		sensors  map[string]bool
	}
	by := map[netip.Addr]*acc{}
	for _, o := range wild {
		a := by[o.Src]
		if a == nil {
			a = &acc{m: Match{Src: o.Src, First: o.Day, Last: o.Day}, src: map[PortKey]bool{},
				dst: map[PortKey]bool{}, days: map[civil.Day]bool{}, sensors: map[string]bool{}}
			by[o.Src] = a
		}
		if o.Country != "" {
			a.m.Country = o.Country
		}
		if o.ASN != 0 {
			a.m.ASN = o.ASN
		}
		a.days[o.Day] = true
		a.sensors[o.Sensor] = true
		a.m.First, a.m.Last = min(a.m.First, o.Day), max(a.m.Last, o.Day)
		k := PortKey{o.Proto, o.Port}
		switch o.Kind {
		case KindSrc:
			a.src[k] = true
			a.m.Packets += o.Packets
		case KindDst:
			a.dst[k] = true
		}
	}
	var out []Match
	for _, a := range by {
		var shared []PortKey
		for k := range a.src {
			if _, ok := p.Src[k]; ok {
				shared = append(shared, k)
			}
		}
		if len(shared) == 0 {
			continue
		}
		slices.SortFunc(shared, func(x, y PortKey) int {
			return cmp.Or(cmp.Compare(x.Proto, y.Proto), cmp.Compare(x.Port, y.Port))
		})
		m := a.m
		m.Shared = shared
		m.Days = len(a.days)
		for s := range a.sensors {
			m.Sensors = append(m.Sensors, s)
		}
		slices.Sort(m.Sensors)
		m.SrcJaccard = jaccard(a.src, p.Src)
		m.DstJaccard = jaccard(a.dst, p.Dst)
		m.Score = (m.SrcJaccard + m.DstJaccard) / 2
		out = append(out, m)
	}
	slices.SortFunc(out, func(x, y Match) int {
		return cmp.Or(cmp.Compare(y.Score, x.Score), cmp.Compare(y.Packets, x.Packets), x.Src.Compare(y.Src))
	})
	if n > 0 && len(out) > n {
		out = out[:n]
	}
	return out
}

func jaccard(a map[PortKey]bool, b map[PortKey]uint64) float64 {
	if len(a) == 0 && len(b) == 0 {
		return 0
	}
	inter := 0
	for k := range a {
		if _, ok := b[k]; ok {
			inter++
		}
	}
	return float64(inter) / float64(len(a)+len(b)-inter)
}
