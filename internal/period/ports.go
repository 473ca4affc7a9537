package period

import (
	"github.com/honeyscope/honeyscope/internal/analysis"
)

// PortView is a class's destination ports over the period, steady and
// sporadic (analysis.PortActivity), with what a port × day chart needs.
type PortView struct {
	// Table lists the ports: unfolded ones by total, then the folded
	// high-port ranges and the "other" rows.
	Table analysis.PortTable
	// Values holds each row key's daily values over the period.
	Values map[string][]float64
	// Own says which ports have a row of their own.
	Own map[string]bool

	folded    map[string][]float64 // per protocol
	highPorts map[string]int       // per protocol: distinct high ports hit
	ownHigh   map[string]int       // per protocol: high ports with their own row
}

// Ports returns the port view of class, or false when the class hit no
// port in the period.
func (v *View) Ports(class string) (*PortView, bool) {
	var ss []analysis.Series
	for _, s := range v.UnitSeries[analysis.DimPort] {
		if s.Class == class {
			x := s
			x.Values = v.Cut(s.Values)
			x.Present = v.Present[v.Off : v.Off+v.N]
			ss = append(ss, x)
		}
	}
	tables, err := analysis.PortActivity(v.src.Time(v.Range.From), ss, analysis.DefaultPortConfig())
	if err != nil || len(tables) == 0 {
		return nil, false
	}
	p := &PortView{Table: tables[0], Values: map[string][]float64{}, Own: map[string]bool{},
		folded: map[string][]float64{}, highPorts: v.HighPorts[class], ownHigh: map[string]int{}}
	for _, s := range ss {
		p.Values[s.Key] = s.Values
	}
	// Ports listed on their own rows; every other high port of a protocol
	// is in its folded row.
	for _, r := range p.Table.Rows {
		if !r.Folded && !IsOther(r.Key) {
			p.Own[r.Key] = true
			if r.Port >= FoldFrom {
				p.ownHigh[r.Proto]++
			}
		}
	}
	// The folded values of a protocol sum the daily series of the high
	// ports (and the store's range series) that have no row of their own.
	for _, s := range ss {
		proto, port, ok := analysis.ParsePortKey(s.Key)
		if !ok {
			var lo int
			proto, lo, _, ok = analysis.ParsePortRange(s.Key)
			port = lo
		}
		if !ok || port < FoldFrom || p.Own[s.Key] {
			continue
		}
		f := p.folded[proto]
		if f == nil {
			f = make([]float64, v.N)
			p.folded[proto] = f
		}
		for d, x := range s.Values {
			if d < len(f) {
				f[d] += x
			}
		}
	}
	return p, true
}

// Folded returns the daily values a folded row of proto stands for: the
// sum over the high ports without a row of their own.
func (p *PortView) Folded(proto string, days int) []float64 {
	if f := p.folded[proto]; f != nil {
		return f
	}
	return make([]float64, days)
}

// FoldedPorts is the number of distinct ports a folded row stands for: the
// high ports of its protocol hit in the period minus those listed on rows
// of their own (at least the row's own count).
func (p *PortView) FoldedPorts(r analysis.PortRow) int {
	return max(p.highPorts[r.Proto]-p.ownHigh[r.Proto], r.Ports)
}
