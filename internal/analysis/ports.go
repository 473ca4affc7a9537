package analysis

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// PortConfig holds the settings of PortActivity.
type PortConfig struct {
	// SteadyShare: a port is steady when it is active (count > 0) on at
	// least this share of the present days, sporadic otherwise.
	// Default 0.8.
	SteadyShare float64
	// FoldFrom is the lowest port number that may be folded. Default 1024.
	FoldFrom int
	// FoldMaxShare: a port at or above FoldFrom carrying less than this
	// share of the class's packets is a fold candidate. Default 0.005
	// (0.5%).
	FoldMaxShare float64
	// FoldMinPorts: candidates of one protocol are folded into one range
	// row only when there are more than this many. Default 20.
	FoldMinPorts int
}

// DefaultPortConfig returns the documented defaults.
func DefaultPortConfig() PortConfig {
	return PortConfig{SteadyShare: 0.8, FoldFrom: 1024, FoldMaxShare: 0.005, FoldMinPorts: 20}
}

// PortRow is one destination port, or one folded range of ports, of a
// class.
type PortRow struct {
	// Key is the port key ("23/tcp"), or for a folded row the range and
	// protocol ("1024-65535/tcp").
	Key string
	// Proto and Port are parsed from Key ("tcp", 23); Port is -1 when the
	// key has no number. For a folded row Port is FoldFrom and PortTo is
	// 65535; PortTo equals Port otherwise.
	Proto  string
	Port   int
	PortTo int
	// Folded marks a range row; Ports is the number of ports it stands for
	// (1 for a plain row).
	Folded bool
	Ports  int
	// Total is the count over present days.
	Total float64
	// DaysActive is the number of present days with a count > 0 (for a
	// folded row: days on which any of its ports was active), PresentDays
	// the number of present days, ActiveShare their ratio.
	DaysActive  int
	PresentDays int
	ActiveShare float64
	// Steady is ActiveShare ≥ PortConfig.SteadyShare.
	Steady bool
	// FirstDay is the first day with a count > 0; zero when never active.
	FirstDay time.Time
}

// PortTable is the port activity of one class.
type PortTable struct {
	Class string
	Total float64 // count over all ports
	// Rows lists the unfolded ports by Total descending (then key),
	// followed by the folded range rows, one per protocol.
	Rows []PortRow
	// FoldedPorts is the number of ports summarised in range rows.
	FoldedPorts int
}

// ParsePortKey splits a port key "23/tcp" into its protocol and number.
func ParsePortKey(key string) (proto string, port int, ok bool) {
	num, proto, found := strings.Cut(key, "/")
	if !found {
		return "", 0, false
	}
	n, err := strconv.Atoi(num)
	if err != nil || n < 0 || n > 65535 {
		return "", 0, false
	}
	return strings.ToLower(proto), n, true
}

// ParsePortRange splits a range key "1024-65535/tcp" into its protocol
// and bounds; ok is false for anything else, plain port keys included.
func ParsePortRange(key string) (proto string, lo, hi int, ok bool) {
	rng, proto, found := strings.Cut(key, "/")
	if !found {
		return "", 0, 0, false
	}
	a, b, found := strings.Cut(rng, "-")
	if !found {
		return "", 0, 0, false
	}
	lo, err1 := strconv.Atoi(a)
	hi, err2 := strconv.Atoi(b)
	if err1 != nil || err2 != nil || lo < 0 || hi > 65535 || lo > hi {
		return "", 0, 0, false
	}
	return strings.ToLower(proto), lo, hi, true
}

// PortActivity summarises how each destination port was hit: on how many
// present days, steadily or sporadically, since when and how much. Series
// are the per-port daily counts (Series.Key a port key such as "23/tcp";
// Dim is not checked); day i is start + i days. One table is returned per
// class, in the order the classes first appear in series.
//
// Many high ports each carrying a sliver of the traffic (a sweep over the
// whole high range) would drown the table, so per class and protocol, ports
// ≥ FoldFrom that each carry < FoldMaxShare of the class total are folded
// into one row "1024-65535/tcp" when there are more than FoldMinPorts of
// them.
//
// A series whose key is already a range starting at or above FoldFrom
// ("1024-65535/tcp", as a store query sums the ports it did not return one
// by one) is always folded into its protocol's range row, and that row then
// takes every fold candidate of the protocol whatever their number. Such a
// series adds nothing to Ports and FoldedPorts: only the caller knows how
// many ports it stands for.
func PortActivity(start time.Time, series []Series, cfg PortConfig) ([]PortTable, error) {
	if cfg.SteadyShare < 0 || cfg.SteadyShare > 1 || cfg.FoldMaxShare < 0 || cfg.FoldFrom < 0 || cfg.FoldFrom > 65535 || cfg.FoldMinPorts < 0 {
		return nil, fmt.Errorf("port activity: invalid config %+v", cfg)
	}
	var order []string
	byClass := map[string][]*Series{}
	for i := range series {
		s := &series[i]
		if err := s.check(); err != nil {
			return nil, fmt.Errorf("port activity: %w", err)
		}
		if _, ok := byClass[s.Class]; !ok {
			order = append(order, s.Class)
		}
		byClass[s.Class] = append(byClass[s.Class], s)
	}
	tables := make([]PortTable, 0, len(order))
	for _, class := range order {
		tables = append(tables, portTable(class, byClass[class], start, cfg))
	}
	return tables, nil
}

func portTable(class string, series []*Series, start time.Time, cfg PortConfig) PortTable {
	t := PortTable{Class: class}
	rows := make([]PortRow, len(series))
	for i, s := range series {
		rows[i] = portRow(s, start, cfg)
		t.Total += rows[i].Total
	}
	// Fold candidates per protocol.
	cand := map[string][]int{}
	prefolded := map[string]bool{}
	var protos []string
	for i, r := range rows {
		proto, lo, _, isRange := ParsePortRange(r.Key)
		if isRange && lo >= cfg.FoldFrom {
			if _, ok := cand[proto]; !ok {
				protos = append(protos, proto)
			}
			cand[proto] = append(cand[proto], i)
			prefolded[proto] = true
			continue
		}
		if r.Port >= cfg.FoldFrom && r.Total < cfg.FoldMaxShare*t.Total {
			if _, ok := cand[r.Proto]; !ok {
				protos = append(protos, r.Proto)
			}
			cand[r.Proto] = append(cand[r.Proto], i)
		}
	}
	slices.Sort(protos)
	folded := make([]bool, len(rows))
	var foldRows []PortRow
	for _, p := range protos {
		idx := cand[p]
		if !prefolded[p] && len(idx) <= cfg.FoldMinPorts {
			continue
		}
		members := make([]*Series, len(idx))
		ports := 0
		for j, i := range idx {
			folded[i] = true
			members[j] = series[i]
			if _, _, _, isRange := ParsePortRange(series[i].Key); !isRange {
				ports++
			}
		}
		r := foldedRow(p, members, start, cfg)
		r.Ports = ports
		foldRows = append(foldRows, r)
		t.FoldedPorts += ports
	}
	for i, r := range rows {
		if !folded[i] {
			t.Rows = append(t.Rows, r)
		}
	}
	slices.SortFunc(t.Rows, func(a, b PortRow) int {
		if c := cmp.Compare(b.Total, a.Total); c != 0 {
			return c
		}
		return cmp.Compare(a.Key, b.Key)
	})
	t.Rows = append(t.Rows, foldRows...)
	return t
}

func portRow(s *Series, start time.Time, cfg PortConfig) PortRow {
	r := PortRow{Key: s.Key, Port: -1, PortTo: -1, Ports: 1}
	if proto, n, ok := ParsePortKey(s.Key); ok {
		r.Proto, r.Port, r.PortTo = proto, n, n
	}
	first := -1
	for d, v := range s.Values {
		if !s.present(d) {
			continue
		}
		r.PresentDays++
		r.Total += v
		if v > 0 {
			r.DaysActive++
			if first < 0 {
				first = d
			}
		}
	}
	finishRow(&r, first, start, cfg)
	return r
}

// foldedRow sums member series into one range row; a day counts as present
// when any member has it present.
func foldedRow(proto string, members []*Series, start time.Time, cfg PortConfig) PortRow {
	r := PortRow{
		Key:    strconv.Itoa(cfg.FoldFrom) + "-65535/" + proto,
		Proto:  proto,
		Port:   cfg.FoldFrom,
		PortTo: 65535,
		Folded: true,
		Ports:  len(members),
	}
	days := 0
	for _, s := range members {
		days = max(days, len(s.Values))
	}
	first := -1
	for d := range days {
		present, active := false, false
		for _, s := range members {
			if d >= len(s.Values) || !s.present(d) {
				continue
			}
			present = true
			r.Total += s.Values[d]
			active = active || s.Values[d] > 0
		}
		if present {
			r.PresentDays++
		}
		if active {
			r.DaysActive++
			if first < 0 {
				first = d
			}
		}
	}
	finishRow(&r, first, start, cfg)
	return r
}

func finishRow(r *PortRow, first int, start time.Time, cfg PortConfig) {
	if r.PresentDays > 0 {
		r.ActiveShare = float64(r.DaysActive) / float64(r.PresentDays)
	}
	r.Steady = r.PresentDays > 0 && r.ActiveShare >= cfg.SteadyShare
	if first >= 0 {
		r.FirstDay = start.AddDate(0, 0, first)
	}
}
