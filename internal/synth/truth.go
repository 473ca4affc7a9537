package synth

import (
	"cmp"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/honeyscope/honeyscope/internal/classify"
)

// Truth is what a capture holds, counted packet by packet while it was
// written, by the class definitions of package classify. "Sources" are
// distinct source IP addresses. Days are UTC dates (YYYY-MM-DD). Entries
// with zero packets are left out.
type Truth struct {
	Seed       uint64 `json:"seed"`
	Packets    int    `json:"packets"`
	Start      string `json:"start"`
	Days       int    `json:"days"`
	Format     string `json:"format"`
	SensorNet  string `json:"sensor_net"`
	SensorNet6 string `json:"sensor_net6"`

	// ByDayClass: per day and class, sorted by day then class order.
	ByDayClass []DayClass `json:"by_day_class"`
	// ByDayClassCountry: per day, class and source country, sorted by day,
	// class order, country.
	ByDayClassCountry []DayClassCountry `json:"by_day_class_country"`
	// ByClassPort: per class, protocol and destination port over the whole
	// capture, sorted by class order, protocol (tcp, udp, icmp, icmpv6),
	// port. For ICMP and ICMPv6 the "port" is the ICMP type.
	ByClassPort []ClassPort `json:"by_class_port"`
	// Spikes as applied (days resolved to dates).
	Spikes []SpikeTruth `json:"spikes"`
	// Rises, Scanners and Outages: the other planted events.
	Rises    []RiseTruth    `json:"rises"`
	Scanners []ScannerTruth `json:"scanners"`
	Outages  []OutageTruth  `json:"outages"`
	// Sources is the number of distinct source addresses in the capture,
	// SwarmSources those of the swarm's bots and PortsPerSource the ports
	// each of them probes; all three only with Config.Sources.
	Sources        uint64 `json:"sources,omitempty"`
	SwarmSources   uint64 `json:"swarm_sources,omitempty"`
	PortsPerSource int    `json:"ports_per_source,omitempty"`
	// Files are the capture files written (base names), more than one
	// when outages split the capture (WriteFile); empty from Write.
	Files []string `json:"files,omitempty"`
}

// DayClass counts one class on one day.
type DayClass struct {
	Day     string `json:"day"`
	Class   string `json:"class"`
	Packets uint64 `json:"packets"`
	Sources uint64 `json:"sources"`
}

// DayClassCountry counts one class from one source country on one day.
type DayClassCountry struct {
	Day     string `json:"day"`
	Class   string `json:"class"`
	Country string `json:"country"`
	Packets uint64 `json:"packets"`
	Sources uint64 `json:"sources"`
}

// ClassPort counts one class to one protocol and destination port.
type ClassPort struct {
	Class   string `json:"class"`
	Proto   string `json:"proto"`
	Port    uint16 `json:"port"`
	Packets uint64 `json:"packets"`
	Sources uint64 `json:"sources"`
}

// SpikeTruth is a spike as written to the truth file.
type SpikeTruth struct {
	Country string  `json:"country"`
	Day     string  `json:"day"`
	Factor  float64 `json:"factor"`
}

// Protocol names used in ByClassPort, indexed by the internal protocol index.
var protoNames = [numProtos]string{"tcp", "udp", "icmp", "icmpv6"}

const (
	protoTCP = iota
	protoUDP
	protoICMP
	protoICMPv6
	numProtos
)

const numClasses = int(classify.NumClasses)

// WriteFile writes the truth as indented JSON.
func (t *Truth) WriteFile(path string) error {
	b, err := json.MarshalIndent(t, "", " ")
	if err != nil {
		return fmt.Errorf("synth: encode truth: %w", err)
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("synth: write truth: %w", err)
	}
	return nil
}

// ReadTruth reads a truth file written by WriteFile.
func ReadTruth(path string) (*Truth, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("synth: read truth: %w", err)
	}
	var t Truth
	if err := json.Unmarshal(b, &t); err != nil {
		return nil, fmt.Errorf("synth: parse truth %s: %w", path, err)
	}
	return &t, nil
}

// counter accumulates the truth while packets are written. Per-day counts
// live in small arrays flushed at the end of each day; distinct sources per
// (class, proto, port) over the whole run are kept in an append-and-sort log
// behind a one-entry cache per source, which is much cheaper than a map.
type counter struct {
	nCountries int
	dayPk      [numClasses]uint64
	dayCC      []uint64 // [class*nCountries+country] packets today
	dayCCSrc   []uint64 // [class*nCountries+country] sources today
	portPk     []uint64 // [(class*numProtos+proto)<<16 | port] packets
	keys       []uint64 // class<<52 | proto<<50 | port<<32 | source index
	limit      int      // compact keys when this long

	byDayClass        []DayClass
	byDayClassCountry []DayClassCountry
}

func newCounter(nCountries int) *counter {
	return &counter{
		nCountries: nCountries,
		dayCC:      make([]uint64, numClasses*nCountries),
		dayCCSrc:   make([]uint64, numClasses*nCountries),
		portPk:     make([]uint64, numClasses*numProtos<<16),
		limit:      maxKeys,
	}
}

const maxKeys = 1 << 23 // compact the source log beyond this many entries

// add counts one packet of source s.
func (c *counter) add(s *source, idx int, tags classify.Tags, proto int, port uint16) {
	s.dayMask |= uint8(tags)
	s.sent = true
	cacheKey := uint32(tags)<<24 | uint32(proto)<<16 | uint32(port) | 1<<31
	miss := cacheKey != s.lastKey
	s.lastKey = cacheKey
	cc := int(s.country)
	for cl := 0; cl < numClasses; cl++ {
		if !tags.Has(classify.Class(cl)) {
			continue
		}
		c.dayPk[cl]++
		c.dayCC[cl*c.nCountries+cc]++
		c.portPk[(cl*numProtos+proto)<<16|int(port)]++
		if miss {
			c.keys = append(c.keys, uint64(cl)<<52|uint64(proto)<<50|uint64(port)<<32|uint64(idx))
		}
	}
	if len(c.keys) >= c.limit {
		c.keys = sortUnique(c.keys)
		// Mostly distinct entries: let the log grow instead of compacting
		// again soon.
		c.limit = max(maxKeys, 2*len(c.keys))
	}
}

// addSwarm counts one packet of a swarm bot of country cc; its distinct
// sources are counted by construction (countSwarmDay).
func (c *counter) addSwarm(cc int, tags classify.Tags, proto int, port uint16) {
	for cl := 0; cl < numClasses; cl++ {
		if !tags.Has(classify.Class(cl)) {
			continue
		}
		c.dayPk[cl]++
		c.dayCC[cl*c.nCountries+cc]++
		c.portPk[(cl*numProtos+proto)<<16|int(port)]++
	}
}

// endDay records the day's counts; active lists the sources that may have
// sent packets that day (their day masks are read and cleared), and extra,
// when not nil, adds the day's other distinct sources (per class, and per
// class*nCountries+country).
func (c *counter) endDay(day string, srcs []source, active [][]int32, countries []string, extra func(*[numClasses]uint64, []uint64)) {
	var daySrc [numClasses]uint64
	clear(c.dayCCSrc)
	for _, list := range active {
		for _, i := range list {
			s := &srcs[i]
			if s.dayMask == 0 {
				continue
			}
			for cl := 0; cl < numClasses; cl++ {
				if s.dayMask&(1<<cl) != 0 {
					daySrc[cl]++
					c.dayCCSrc[cl*c.nCountries+int(s.country)]++
				}
			}
			s.dayMask = 0
		}
	}
	if extra != nil {
		extra(&daySrc, c.dayCCSrc)
	}
	for cl := 0; cl < numClasses; cl++ {
		if c.dayPk[cl] == 0 {
			continue
		}
		name := classify.Class(cl).String()
		c.byDayClass = append(c.byDayClass, DayClass{Day: day, Class: name, Packets: c.dayPk[cl], Sources: daySrc[cl]})
		for k := 0; k < c.nCountries; k++ {
			i := cl*c.nCountries + k
			if c.dayCC[i] == 0 {
				continue
			}
			c.byDayClassCountry = append(c.byDayClassCountry, DayClassCountry{
				Day: day, Class: name, Country: countries[k], Packets: c.dayCC[i], Sources: c.dayCCSrc[i],
			})
		}
	}
	c.dayPk = [numClasses]uint64{}
	clear(c.dayCC)
}

// classPorts returns the per (class, proto, port) counts; extra adds
// distinct sources to cells (class<<20 | proto<<18 | port) that the source
// log does not hold.
func (c *counter) classPorts(extra map[uint32]uint64) []ClassPort {
	c.keys = sortUnique(c.keys)
	type cellCount struct {
		cell uint64
		n    uint64
	}
	var cells []cellCount
	for i := 0; i < len(c.keys); {
		cell := c.keys[i] >> 32
		j := i
		for j < len(c.keys) && c.keys[j]>>32 == cell {
			j++
		}
		cells = append(cells, cellCount{cell, uint64(j - i)})
		i = j
	}
	if len(extra) > 0 {
		for cell, n := range extra {
			k, found := slices.BinarySearchFunc(cells, uint64(cell), func(x cellCount, t uint64) int { return cmp.Compare(x.cell, t) })
			if found {
				cells[k].n += n
			} else {
				cells = slices.Insert(cells, k, cellCount{uint64(cell), n})
			}
		}
	}
	out := []ClassPort{}
	for _, x := range cells {
		cell := x.cell
		cl := int(cell >> 20)
		proto := int(cell>>18) & 3
		port := uint16(cell)
		out = append(out, ClassPort{
			Class:   classify.Class(cl).String(),
			Proto:   protoNames[proto],
			Port:    port,
			Packets: c.portPk[(cl*numProtos+proto)<<16|int(port)],
			Sources: x.n,
		})
	}
	return out
}

// sortUnique sorts and deduplicates k. It is an LSD radix sort on bytes,
// skipping bytes that are equal in every key: the log holds millions of
// keys whose top and middle bytes are mostly constant, and this is several
// times faster than a comparison sort there.
func sortUnique(k []uint64) []uint64 {
	if len(k) < 256 {
		slices.Sort(k)
		return slices.Compact(k)
	}
	tmp := make([]uint64, len(k))
	src, dst := k, tmp
	for shift := uint(0); shift < 64; shift += 8 {
		var count [256]int
		for _, x := range src {
			count[byte(x>>shift)]++
		}
		if count[byte(src[0]>>shift)] == len(src) {
			continue // every key has this byte
		}
		pos := 0
		for i, c := range count {
			count[i] = pos
			pos += c
		}
		for _, x := range src {
			b := byte(x >> shift)
			dst[count[b]] = x
			count[b]++
		}
		src, dst = dst, src
	}
	if &src[0] != &k[0] {
		copy(k, src)
	}
	return slices.Compact(k)
}

func dayString(start time.Time, d int) string {
	return start.AddDate(0, 0, d).Format(time.DateOnly)
}
