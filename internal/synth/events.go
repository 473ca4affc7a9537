package synth

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Rise is a sustained rise: one country's traffic is Factor times its
// usual on Days consecutive days from Day (to the last day when Days is
// 0), the way a new botnet wave lifts a country for a week. Each of its
// days is applied like a Spike (existing sources send more, new Mirai-like
// sources of the country appear that day).
type Rise struct {
	Country string    // ISO 3166 alpha-2 code
	Day     int       // first day, 0-based; ignored when Date is set
	Date    time.Time // optional: the UTC first day (overrides Day)
	Days    int       // number of days (0: to the end of the capture)
	Factor  float64   // multiplier on each of its days (> 1 for a rise)
}

// Scanner is a new scanner appearing: one ZMap source (class zmap) of
// Country that starts on Day and sends about Packets packets every day
// from then to the end of the capture, spread over the day, to the usual
// ZMap ports. Packets is relative: the capture still holds exactly
// Config.Packets packets, the other sources give up the difference.
type Scanner struct {
	Country string
	Day     int
	Date    time.Time
	Packets float64 // packets per day (> 0)
}

// Outage is a sensor outage: no packet on Days days from Day (the packets
// of the capture fall on the other days). WriteFile writes every stretch
// of captured days to a file of its own (see WriteFile) so that ingest,
// which takes a file's coverage from its first and last packet, sees the
// outage as days without data; Write writes one stream with the hole.
type Outage struct {
	Day  int
	Date time.Time
	Days int // > 0
}

// RiseTruth, ScannerTruth and OutageTruth are the planted events as
// written to the truth file (days resolved to dates).
type RiseTruth struct {
	Country string  `json:"country"`
	Day     string  `json:"day"`
	LastDay string  `json:"last_day"`
	Factor  float64 `json:"factor"`
}

// ScannerTruth is a Scanner in the truth file, with its source address.
type ScannerTruth struct {
	Country string  `json:"country"`
	Day     string  `json:"day"`
	Class   string  `json:"class"`
	Addr    string  `json:"addr"`
	Packets float64 `json:"packets_per_day"`
}

// OutageTruth is an Outage in the truth file.
type OutageTruth struct {
	Day     string `json:"day"`
	LastDay string `json:"last_day"`
}

// parseDay reads a day given as a 0-based index or a YYYY-MM-DD date.
func parseDay(what, s, day string) (int, time.Time, error) {
	day = strings.TrimSpace(day)
	if strings.Contains(day, "-") {
		t, err := time.Parse(time.DateOnly, day)
		if err != nil {
			return 0, time.Time{}, fmt.Errorf("%s %q: day %q is neither an index nor YYYY-MM-DD: %w", what, s, day, err)
		}
		return 0, t, nil
	}
	n, err := strconv.Atoi(day)
	if err != nil || n < 0 {
		return 0, time.Time{}, fmt.Errorf("%s %q: day %q is neither a non-negative index nor YYYY-MM-DD", what, s, day)
	}
	return n, time.Time{}, nil
}

func parsePositive(what, s, field, v string, allowZero bool) (float64, error) {
	f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f < 0 || (f == 0 && !allowZero) {
		return 0, fmt.Errorf("%s %q: %s %q must be a positive number", what, s, field, v)
	}
	return f, nil
}

// ParseRise parses COUNTRY:DAY:DAYS:FACTOR, e.g. "BR:10:7:4" (Brazil
// four times its usual traffic for 7 days from day index 10); DAYS 0 runs
// to the end, DAY may be YYYY-MM-DD.
func ParseRise(s string) (Rise, error) {
	parts := strings.Split(strings.TrimSpace(s), ":")
	if len(parts) != 4 {
		return Rise{}, fmt.Errorf("rise %q: want COUNTRY:DAY:DAYS:FACTOR, e.g. BR:10:7:4", s)
	}
	var r Rise
	r.Country = strings.ToUpper(strings.TrimSpace(parts[0]))
	if !validCountry(r.Country) {
		return Rise{}, fmt.Errorf("rise %q: country %q is not a two-letter code", s, parts[0])
	}
	var err error
	if r.Day, r.Date, err = parseDay("rise", s, parts[1]); err != nil {
		return Rise{}, err
	}
	days, err := parsePositive("rise", s, "days", parts[2], true)
	if err != nil || days != math.Trunc(days) {
		return Rise{}, fmt.Errorf("rise %q: days %q must be a whole number of days (0: to the end)", s, parts[2])
	}
	r.Days = int(days)
	if r.Factor, err = parsePositive("rise", s, "factor", parts[3], false); err != nil {
		return Rise{}, err
	}
	return r, nil
}

// ParseScanner parses COUNTRY:DAY:PACKETS, e.g. "NL:12:3000" (a new ZMap
// scanner in the Netherlands from day index 12, about 3000 packets a day).
func ParseScanner(s string) (Scanner, error) {
	parts := strings.Split(strings.TrimSpace(s), ":")
	if len(parts) != 3 {
		return Scanner{}, fmt.Errorf("scanner %q: want COUNTRY:DAY:PACKETS, e.g. NL:12:3000", s)
	}
	var sc Scanner
	sc.Country = strings.ToUpper(strings.TrimSpace(parts[0]))
	if !validCountry(sc.Country) {
		return Scanner{}, fmt.Errorf("scanner %q: country %q is not a two-letter code", s, parts[0])
	}
	var err error
	if sc.Day, sc.Date, err = parseDay("scanner", s, parts[1]); err != nil {
		return Scanner{}, err
	}
	if sc.Packets, err = parsePositive("scanner", s, "packets", parts[2], false); err != nil {
		return Scanner{}, err
	}
	return sc, nil
}

// ParseOutage parses DAY:DAYS, e.g. "9:2" (no capture on day indexes 9
// and 10).
func ParseOutage(s string) (Outage, error) {
	parts := strings.Split(strings.TrimSpace(s), ":")
	if len(parts) != 2 {
		return Outage{}, fmt.Errorf("outage %q: want DAY:DAYS, e.g. 9:2", s)
	}
	var o Outage
	var err error
	if o.Day, o.Date, err = parseDay("outage", s, parts[0]); err != nil {
		return Outage{}, err
	}
	n, err := strconv.Atoi(strings.TrimSpace(parts[1]))
	if err != nil || n < 1 {
		return Outage{}, fmt.Errorf("outage %q: days %q must be a whole number of at least 1", s, parts[1])
	}
	o.Days = n
	return o, nil
}

// resolveDay turns an optional date into a day index relative to start;
// -1 when the date is before start.
func resolveDay(start time.Time, day int, date time.Time) int {
	if date.IsZero() {
		return day
	}
	d := date.UTC()
	t := time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, time.UTC)
	if t.Before(start) {
		return -1
	}
	return int(t.Sub(start).Hours()) / 24
}

// normalizeEvents resolves and checks the rises, scanners and outages.
func (cfg *Config) normalizeEvents() error {
	for i, r := range cfg.Rises {
		r.Day, r.Date = resolveDay(cfg.Start, r.Day, r.Date), time.Time{}
		if r.Day < 0 || r.Day >= cfg.Days {
			return fmt.Errorf("synth: rise %d (%s): day outside the %d days from %s", i, r.Country, cfg.Days, cfg.Start.Format(time.DateOnly))
		}
		if r.Days < 0 {
			return fmt.Errorf("synth: rise %d (%s): %d days", i, r.Country, r.Days)
		}
		if r.Days == 0 || r.Day+r.Days > cfg.Days {
			r.Days = cfg.Days - r.Day
		}
		if !(r.Factor > 0) || math.IsInf(r.Factor, 0) {
			return fmt.Errorf("synth: rise %d (%s): factor %v must be positive", i, r.Country, r.Factor)
		}
		cfg.Rises[i] = r
	}
	for i, sc := range cfg.Scanners {
		sc.Day, sc.Date = resolveDay(cfg.Start, sc.Day, sc.Date), time.Time{}
		if sc.Day < 0 || sc.Day >= cfg.Days {
			return fmt.Errorf("synth: scanner %d (%s): day outside the %d days from %s", i, sc.Country, cfg.Days, cfg.Start.Format(time.DateOnly))
		}
		if !(sc.Packets > 0) || math.IsInf(sc.Packets, 0) {
			return fmt.Errorf("synth: scanner %d (%s): packets %v must be positive", i, sc.Country, sc.Packets)
		}
		cfg.Scanners[i] = sc
	}
	off := 0
	for i, o := range cfg.Outages {
		o.Day, o.Date = resolveDay(cfg.Start, o.Day, o.Date), time.Time{}
		if o.Day < 0 || o.Day >= cfg.Days || o.Days < 1 {
			return fmt.Errorf("synth: outage %d: day outside the %d days from %s", i, cfg.Days, cfg.Start.Format(time.DateOnly))
		}
		o.Days = min(o.Days, cfg.Days-o.Day)
		off += o.Days
		cfg.Outages[i] = o
	}
	if cfg.Packets > 0 && off > 0 && cfg.outageDays().count() >= cfg.Days {
		return fmt.Errorf("synth: outages cover every one of the %d days", cfg.Days)
	}
	return nil
}

type daySet []bool

func (s daySet) count() int {
	n := 0
	for _, b := range s {
		if b {
			n++
		}
	}
	return n
}

// outageDays flags the days without capture.
func (cfg *Config) outageDays() daySet {
	off := make(daySet, cfg.Days)
	for _, o := range cfg.Outages {
		for d := o.Day; d < o.Day+o.Days && d < cfg.Days; d++ {
			off[d] = true
		}
	}
	return off
}

// riseSpikes expands the rises into per-day spikes.
func (cfg *Config) riseSpikes() []Spike {
	var out []Spike
	for _, r := range cfg.Rises {
		for d := r.Day; d < r.Day+r.Days; d++ {
			out = append(out, Spike{Country: r.Country, Day: d, Factor: r.Factor})
		}
	}
	return out
}

// addScanners adds the planted scanners' sources after scheduling.
func (g *gen) addScanners() error {
	// The scale of rates: schedule made them sum to packets per day.
	for i, sc := range g.cfg.Scanners {
		c, ok := g.cindex[sc.Country]
		if !ok {
			return fmt.Errorf("synth: scanner country %s is not in the address pool", sc.Country)
		}
		if !g.newSource(pZMap, c, nil) || g.srcs[len(g.srcs)-1].country != uint16(c) {
			return fmt.Errorf("synth: scanner %d: the address pool has no fresh address of %s", i, sc.Country)
		}
		k := len(g.srcs) - 1
		s := &g.srcs[k]
		s.act = actLifetime
		s.birth, s.death, s.pDay = int32(sc.Day), int32(g.cfg.Days), 1
		// jitter is 0.5..1.5 with mean 1: rate is the mean per day.
		s.rate = sc.Packets
		s.windowed = false
		for d := sc.Day; d < g.cfg.Days; d++ {
			g.bg[d] = append(g.bg[d], int32(k))
		}
		g.scanners = append(g.scanners, k)
	}
	return nil
}
