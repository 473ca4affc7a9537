package srcports

import (
	"cmp"
	"math"
	"net/netip"
	"slices"
	"strconv"

	"github.com/honeyscope/honeyscope/internal/civil"
)

// Obs is one stored histogram bin: a Row with where it was seen and the
// source's place.
type Obs struct {
	Day     civil.Day
	Sensor  string
	Src     netip.Addr
	Country string
	ASN     uint32
	Kind    uint8
	Proto   uint8
	Port    uint16
	Packets uint64
}

// PortCount is one port's packets over a study and the days it was seen.
type PortCount struct {
	Proto   uint8  `json:"proto"`
	Port    uint16 `json:"port"`
	Packets uint64 `json:"packets"`
	Days    int    `json:"days"`
}

// Day is one day of a study: the packets of its confined sources, and
// those from the study's top source port and to its top destination port.
type Day struct {
	Day     civil.Day `json:"day"`
	Sources int       `json:"sources"`
	Packets uint64    `json:"packets"`
	// SrcTop is the packets from the study's top source port, DstTop those
	// to its top destination port; SrcShare and DstShare the same as
	// shares of Packets (0 on a day without packets).
	SrcTop   uint64  `json:"src_top"`
	DstTop   uint64  `json:"dst_top"`
	SrcShare float64 `json:"src_share"`
	DstShare float64 `json:"dst_share"`
	// SrcPorts is the distinct source ports of the day.
	SrcPorts int `json:"src_ports"`
}

// Study is the source-port study of a set of stored bins.
type Study struct {
	Sources int         `json:"sources"`
	Packets uint64      `json:"packets"`
	Days    []Day       `json:"days"`
	Src     []PortCount `json:"src_ports"` // most packets first, at most TopN
	Dst     []PortCount `json:"dst_ports"` // most packets first, at most TopN
	// DistinctSrc is the distinct source ports over the whole study;
	// Confined whether they are at most K.
	DistinctSrc int  `json:"distinct_src_ports"`
	Confined    bool `json:"confined"`
	K           int  `json:"k"`
	// CountCorr and ShareCorr are the Pearson correlations over days of
	// SrcTop with DstTop and of SrcShare with DstShare (NaN with fewer
	// than MinCorrDays days or a constant series).
	CountCorr Corr `json:"count_corr"`
	ShareCorr Corr `json:"share_corr"`
}

// Corr is a correlation coefficient, NaN when there is none (null in
// JSON).
type Corr float64

// MarshalJSON writes NaN as null.
func (c Corr) MarshalJSON() ([]byte, error) {
	if math.IsNaN(float64(c)) || math.IsInf(float64(c), 0) {
		return []byte("null"), nil
	}
	return strconv.AppendFloat(nil, float64(c), 'f', 4, 64), nil
}

// Valid reports whether c is a coefficient (not NaN).
func (c Corr) Valid() bool { return !math.IsNaN(float64(c)) }

// TopN is how many ports a study lists of each kind.
const TopN = 10

// MinCorrDays is the fewest days a correlation is computed over.
const MinCorrDays = 3

type pk struct {
	proto uint8
	port  uint16
}

// NewStudy studies obs (in any order) with the confinement bound k
// (DefaultK when 0).
func NewStudy(obs []Obs, k int) Study {
	if k <= 0 {
		k = DefaultK
	}
	st := Study{K: k, CountCorr: Corr(math.NaN()), ShareCorr: Corr(math.NaN())}
	srcTot := map[pk]*PortCount{}
	dstTot := map[pk]*PortCount{}
	type dayKey struct {
		d civil.Day
		p pk
	}
	seenDay := map[dayKey]bool{}
	dstDay := map[dayKey]bool{}
	sources := map[netip.Addr]bool{}
	daySources := map[civil.Day]map[netip.Addr]bool{}
	dayPackets := map[civil.Day]uint64{}
	for _, o := range obs {
		sources[o.Src] = true
		if daySources[o.Day] == nil {
			daySources[o.Day] = map[netip.Addr]bool{}
		}
		daySources[o.Day][o.Src] = true
		k := pk{o.Proto, o.Port}
		switch o.Kind {
		case KindSrc:
			st.Packets += o.Packets
			dayPackets[o.Day] += o.Packets
			addPort(srcTot, k, o.Packets, seenDay, dayKey{o.Day, k})
		case KindDst:
			addPort(dstTot, k, o.Packets, dstDay, dayKey{o.Day, k})
		}
	}
	st.Sources = len(sources)
	st.DistinctSrc = len(srcTot)
	st.Confined = st.DistinctSrc > 0 && st.DistinctSrc <= k
	st.Src = topPorts(srcTot)
	st.Dst = topPorts(dstTot)
	days := make([]civil.Day, 0, len(daySources))
	for d := range daySources {
		days = append(days, d)
	}
	slices.Sort(days)
	var topS, topD pk
	if len(st.Src) > 0 {
		topS = pk{st.Src[0].Proto, st.Src[0].Port}
	}
	if len(st.Dst) > 0 {
		topD = pk{st.Dst[0].Proto, st.Dst[0].Port}
	}
	idx := make(map[civil.Day]int, len(days))
	for i, d := range days {
		idx[d] = i
		st.Days = append(st.Days, Day{Day: d, Sources: len(daySources[d]), Packets: dayPackets[d]})
	}
	for _, o := range obs {
		d := &st.Days[idx[o.Day]]
		k := pk{o.Proto, o.Port}
		switch {
		case o.Kind == KindSrc && len(st.Src) > 0 && k == topS:
			d.SrcTop += o.Packets
		case o.Kind == KindDst && len(st.Dst) > 0 && k == topD:
			d.DstTop += o.Packets
		}
	}
	for dk := range seenDay {
		st.Days[idx[dk.d]].SrcPorts++
	}
	var cs, cd, ss, sd []float64
	for i := range st.Days {
		d := &st.Days[i]
		if d.Packets > 0 {
			d.SrcShare = float64(d.SrcTop) / float64(d.Packets)
			d.DstShare = float64(d.DstTop) / float64(d.Packets)
		}
		cs, cd = append(cs, float64(d.SrcTop)), append(cd, float64(d.DstTop))
		ss, sd = append(ss, d.SrcShare), append(sd, d.DstShare)
	}
	if len(st.Days) >= MinCorrDays {
		st.CountCorr, st.ShareCorr = Corr(Pearson(cs, cd)), Corr(Pearson(ss, sd))
	}
	return st
}

func addPort[K comparable](m map[pk]*PortCount, k pk, n uint64, seen map[K]bool, dk K) {
	c := m[k]
	if c == nil {
		c = &PortCount{Proto: k.proto, Port: k.port}
		m[k] = c
	}
	c.Packets += n
	if !seen[dk] {
		seen[dk] = true
		c.Days++
	}
}

func topPorts(m map[pk]*PortCount) []PortCount {
	out := make([]PortCount, 0, len(m))
	for _, c := range m {
		out = append(out, *c)
	}
	slices.SortFunc(out, func(a, b PortCount) int {
		if c := cmp.Compare(b.Packets, a.Packets); c != 0 {
			return c
		}
		if c := cmp.Compare(a.Proto, b.Proto); c != 0 {
			return c
		}
		return cmp.Compare(a.Port, b.Port)
	})
	if len(out) > TopN {
		out = out[:TopN]
	}
	return out
}

// Pearson is the correlation coefficient of x and y (of equal length);
// NaN when either is constant or they are shorter than 2.
func Pearson(x, y []float64) float64 {
	n := min(len(x), len(y))
	if n < 2 {
		return math.NaN()
	}
	var mx, my float64
	for i := range n {
		mx += x[i]
		my += y[i]
	}
	mx /= float64(n)
	my /= float64(n)
	var sxy, sxx, syy float64
	for i := range n {
		dx, dy := x[i]-mx, y[i]-my
		sxy += dx * dy
		sxx += dx * dx
		syy += dy * dy
	}
	if sxx == 0 || syy == 0 {
		return math.NaN()
	}
	return sxy / math.Sqrt(sxx*syy)
}
