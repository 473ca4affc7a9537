package synth

import (
	"cmp"
	"fmt"
	"math"
	"net/netip"
	"slices"
)

// profile is the kind of sender a source is.
type profile uint8

const (
	pMirai       profile = iota // Mirai-family bot: telnet SYN scan, seq == dst
	pZMap                       // ZMap scanner: IP ID 54321
	pMasscan                    // masscan: IP ID = dst ^ dport ^ seq
	pNmap                       // nmap-like SYN scanner
	pWindows                    // infected/odd Windows hosts: 445 etc. with retransmissions
	pLinux                      // Linux hosts: SSH/telnet/Redis brute forcers
	pUDP                        // UDP probes with protocol payloads
	pICMP                       // ICMP echo / timestamp requests
	pBackscatter                // victims of spoofed floods answering the sensor
	pExploit                    // exploit sessions
	pProbe                      // benign application probes (crawlers, research)
	pV6                         // IPv6 senders of all kinds
	numProfiles
)

// activity is how a source's presence varies from day to day.
type activity uint8

const (
	actLifetime activity = iota // appears, stays a few days (infected bots)
	actSteady                   // nearly every day (research scanners)
	actSporadic                 // each day with a per-source probability
	actSpike                    // only on its spike day
)

// cw is a country weight.
type cw struct {
	cc string
	w  float64
}

// spec describes one profile.
type spec struct {
	share    float64 // share of all packets
	ppd      float64 // typical packets per active source-day (sizes the population)
	minSrc   int
	maxSrc   int
	act      activity
	pLo, pHi float64 // daily presence probability range (sporadic)
	winFrac  float64 // fraction of sources active only a few hours per day
	maxWin   int     // longest window in hours
	sigma    float64 // log-normal spread of per-source volume
	tail     float64 // weight share of the long tail of countries
	heavy    []cw    // the heavy countries and their weights
}

// specs: shares roughly follow published darknet statistics (NICTER,
// telescope reports): Mirai-like telnet scanning first, then scanners,
// backscatter, UDP and ICMP; IPv6 is about one percent.
var specs = [numProfiles]spec{
	pMirai: {share: 0.42, ppd: 15, minSrc: 30, maxSrc: 400000, act: actLifetime, sigma: 0.8, tail: 0.14,
		heavy: []cw{{"CN", 18}, {"BR", 10}, {"IN", 8}, {"US", 7}, {"VN", 7}, {"ID", 6}, {"RU", 5}, {"TW", 5}, {"KR", 4},
			{"IR", 4}, {"EG", 3}, {"MX", 2.5}, {"TR", 2.5}, {"TH", 2}, {"AR", 2}, {"CO", 1.5}, {"PK", 1.5}, {"UA", 1.5}, {"JP", 0.5}}},
	pZMap: {share: 0.07, ppd: 3000, minSrc: 3, maxSrc: 60, act: actSteady, pLo: 0.95, pHi: 0.95, winFrac: 1, maxWin: 8, sigma: 0.5, tail: 0.07,
		heavy: []cw{{"US", 45}, {"NL", 8}, {"DE", 8}, {"GB", 8}, {"CN", 6}, {"SG", 4}, {"RU", 4}, {"HK", 3}, {"FR", 3}, {"CA", 3}, {"JP", 1}}},
	pMasscan: {share: 0.07, ppd: 3000, minSrc: 3, maxSrc: 60, act: actSporadic, pLo: 0.3, pHi: 0.9, winFrac: 1, maxWin: 6, sigma: 0.7, tail: 0.15,
		heavy: []cw{{"US", 25}, {"CN", 15}, {"RU", 10}, {"NL", 8}, {"DE", 7}, {"HK", 5}, {"SG", 5}, {"UA", 4}, {"BG", 3}, {"RO", 3}}},
	pNmap: {share: 0.06, ppd: 150, minSrc: 5, maxSrc: 5000, act: actSporadic, pLo: 0.1, pHi: 0.6, winFrac: 0.5, maxWin: 4, sigma: 1.0, tail: 0.21,
		heavy: []cw{{"US", 20}, {"CN", 15}, {"RU", 8}, {"NL", 6}, {"DE", 6}, {"IN", 5}, {"BR", 5}, {"VN", 4}, {"KR", 4}, {"FR", 3}, {"GB", 3}}},
	pWindows: {share: 0.08, ppd: 8, minSrc: 10, maxSrc: 200000, act: actSporadic, pLo: 0.2, pHi: 0.9, sigma: 0.7, tail: 0.08,
		heavy: []cw{{"VN", 20}, {"ID", 15}, {"IN", 12}, {"CN", 8}, {"TH", 8}, {"PH", 7}, {"BR", 6}, {"MY", 4}, {"BD", 4}, {"PK", 3}, {"EG", 3}, {"TW", 2}}},
	pLinux: {share: 0.06, ppd: 20, minSrc: 10, maxSrc: 100000, act: actSporadic, pLo: 0.2, pHi: 0.9, sigma: 1.0, tail: 0.15,
		heavy: []cw{{"CN", 25}, {"US", 15}, {"KR", 6}, {"IN", 6}, {"BR", 5}, {"RU", 5}, {"SG", 5}, {"DE", 4}, {"VN", 4}, {"HK", 4}, {"FR", 3}, {"NL", 3}}},
	pUDP: {share: 0.07, ppd: 10, minSrc: 10, maxSrc: 100000, act: actSporadic, pLo: 0.1, pHi: 0.8, sigma: 1.0, tail: 0.21,
		heavy: []cw{{"US", 30}, {"CN", 15}, {"NL", 8}, {"DE", 6}, {"RU", 6}, {"GB", 5}, {"SG", 4}, {"FR", 3}, {"JP", 2}}},
	pICMP: {share: 0.04, ppd: 10, minSrc: 5, maxSrc: 100000, act: actSporadic, pLo: 0.1, pHi: 0.9, sigma: 1.0, tail: 0.2,
		heavy: []cw{{"US", 35}, {"CN", 10}, {"DE", 8}, {"NL", 7}, {"GB", 6}, {"RU", 4}, {"FR", 4}, {"JP", 3}, {"SG", 3}}},
	pBackscatter: {share: 0.10, ppd: 200, minSrc: 5, maxSrc: 50000, act: actSporadic, pLo: 0.05, pHi: 0.4, winFrac: 1, maxWin: 4, sigma: 1.2, tail: 0.2,
		heavy: []cw{{"US", 25}, {"CN", 15}, {"DE", 6}, {"FR", 6}, {"RU", 5}, {"NL", 5}, {"GB", 4}, {"HK", 4}, {"BR", 4}, {"KR", 3}, {"JP", 3}}},
	pExploit: {share: 0.015, ppd: 20, minSrc: 6, maxSrc: 20000, act: actSporadic, pLo: 0.1, pHi: 0.7, sigma: 0.8, tail: 0.25,
		heavy: []cw{{"CN", 20}, {"US", 15}, {"RU", 8}, {"IN", 6}, {"NL", 5}, {"DE", 5}, {"BR", 5}, {"VN", 4}, {"KR", 4}, {"TW", 3}}},
	pProbe: {share: 0.015, ppd: 20, minSrc: 5, maxSrc: 20000, act: actSporadic, pLo: 0.2, pHi: 0.9, sigma: 0.8, tail: 0.19,
		heavy: []cw{{"US", 40}, {"DE", 8}, {"NL", 8}, {"GB", 8}, {"SG", 5}, {"CN", 5}, {"FR", 4}, {"JP", 3}}},
	pV6: {share: 0.01, ppd: 20, minSrc: 3, maxSrc: 20000, act: actSporadic, pLo: 0.2, pHi: 0.9, sigma: 0.8, tail: 0.17,
		heavy: []cw{{"US", 25}, {"CN", 15}, {"DE", 10}, {"NL", 8}, {"JP", 6}, {"FR", 5}, {"GB", 5}, {"IN", 5}, {"BR", 4}}},
}

// source is one sending address. Fields after "session" are mutable state
// used while packets are written.
type source struct {
	addr6    [16]byte
	rate     float64 // expected packets per active day before jitter
	addr4    uint32
	country  uint16
	prof     profile
	act      activity
	windowed bool
	v6       bool
	ttl      uint8 // arriving TTL / hop limit
	variant  uint8 // profile-specific sub-kind
	sport    uint16
	ipid     uint16
	birth    int32 // first day (lifetime, spike)
	death    int32 // last day (lifetime)
	pDay     float32
	win      uint16 // TCP window
	flow     uint32 // IPv6 flow label
	tsOff    uint32 // TCP timestamp offset

	// session
	sStep  uint8
	sLen   uint8
	sTmpl  uint16
	sPort  uint16
	sSport uint16
	sDst   uint32
	sSeq   uint32
	sAck   uint32
	icmpID uint16
	icmpSq uint16

	// truth bookkeeping
	dayMask uint8
	sent    bool // sent a packet
	lastKey uint32
}

// countryPicker chooses country indices by weight.
type countryPicker struct {
	idx []uint16
	cum []float64
}

func (p *countryPicker) pick(r *rng) uint16 {
	x := r.float() * p.cum[len(p.cum)-1]
	i, _ := slices.BinarySearch(p.cum, x)
	if i >= len(p.idx) {
		i = len(p.idx) - 1
	}
	// BinarySearch finds the first cum >= x; an exact hit belongs to the next bucket.
	if p.cum[i] == x && i+1 < len(p.idx) {
		i++
	}
	return p.idx[i]
}

// newCountryPicker weights the heavy countries present in the pool and
// spreads the tail share over the other countries with Zipf weights in a
// seed-dependent order.
func newCountryPicker(sp *spec, countries []string, cindex map[string]int, r *rng) *countryPicker {
	w := make([]float64, len(countries))
	heavy := make([]bool, len(countries))
	var hsum float64
	for _, h := range sp.heavy {
		if i, ok := cindex[h.cc]; ok {
			w[i] = h.w
			heavy[i] = true
			hsum += h.w
		}
	}
	var rest []int
	for i := range countries {
		if !heavy[i] {
			rest = append(rest, i)
		}
	}
	for i := len(rest) - 1; i > 0; i-- {
		j := int(r.intn(uint32(i + 1)))
		rest[i], rest[j] = rest[j], rest[i]
	}
	var zsum float64
	for k := range rest {
		zsum += 1 / float64(k+3)
	}
	tail := sp.tail
	switch {
	case hsum == 0:
		tail, hsum = 1, 1
	case len(rest) == 0:
		tail = 0
	}
	for k, i := range rest {
		w[i] = tail * (1 / float64(k+3)) / zsum
	}
	p := &countryPicker{}
	var cum float64
	for i, x := range w {
		if heavy[i] {
			x = (1 - tail) * x / hsum
		}
		if x <= 0 {
			continue
		}
		cum += x
		p.idx = append(p.idx, uint16(i))
		p.cum = append(p.cum, cum)
	}
	return p
}

// expectedDays estimates how many days a source of the profile is active.
func (sp *spec) expectedDays(days int) float64 {
	switch sp.act {
	case actLifetime:
		return math.Min(float64(days), 6) * 0.85
	default:
		return math.Max(1, float64(days)*(sp.pLo+sp.pHi)/2)
	}
}

// addrFor draws a fresh source address of country c from the pool.
func (g *gen) addrFor(c uint16, v6 bool) (netip.Addr, bool) {
	cc := g.countries[c]
	for try := 0; try < 16; try++ {
		n := g.r.next()
		if g.sw != nil && !v6 {
			// Away from the swarm's addresses.
			var ok bool
			if n, ok = g.sw.regularPos(c, n); !ok {
				continue
			}
		}
		var a netip.Addr
		var ok bool
		if v6 {
			a, ok = g.pool6.Addr6(cc, n)
		} else {
			a, ok = g.cfg.Pool.Addr(cc, n)
		}
		if !ok || !a.IsValid() {
			continue
		}
		if !v6 {
			a = a.Unmap()
			if !a.Is4() || g.cfg.SensorNet.Contains(a) {
				continue
			}
		} else if !a.Is6() || a.Is4In6() || g.cfg.SensorNet6.Contains(a) {
			continue
		}
		if _, dup := g.seen[a]; dup {
			continue
		}
		g.seen[a] = struct{}{}
		return a, true
	}
	return netip.Addr{}, false
}

// newSource creates a source of profile p from country c (picked when c < 0).
// It returns false when the pool has no fresh address for it.
func (g *gen) newSource(p profile, c int, picker *countryPicker) bool {
	r := &g.r
	v6 := p == pV6
	var a netip.Addr
	ok := false
	for try := 0; try < 4 && !ok; try++ {
		cc := uint16(c)
		if c < 0 || try > 0 && picker != nil {
			cc = picker.pick(r)
		}
		a, ok = g.addrFor(cc, v6)
		if ok {
			c = int(cc)
		}
	}
	if !ok {
		return false
	}
	sp := &specs[p]
	s := source{country: uint16(c), prof: p, act: sp.act, v6: v6}
	if v6 {
		s.addr6 = a.As16()
		s.flow = uint32(r.next()) & 0xfffff
	} else {
		b := a.As4()
		s.addr4 = uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	}
	// log-normal volume
	u1, u2 := r.float(), r.float()
	z := math.Sqrt(-2*math.Log(1-u1)) * math.Cos(2*math.Pi*u2)
	s.rate = math.Exp(sp.sigma*z - sp.sigma*sp.sigma/2)
	s.pDay = float32(sp.pLo + (sp.pHi-sp.pLo)*r.float())
	s.windowed = r.float() < sp.winFrac
	hops := uint8(6 + r.intn(19))
	s.ipid = uint16(r.next())
	s.icmpID = uint16(r.next())
	s.tsOff = uint32(r.next())
	s.sport = uint16(32768 + r.intn(28232))
	switch p {
	case pMirai:
		s.birth = int32(r.intn(uint32(g.cfg.Days+6))) - 6
		life := 1 + int32(-6*math.Log(1-r.float()))
		s.death = s.birth + life - 1
		s.pDay = 0.85
		s.ttl = 64 - hops
		s.sport = uint16(1024 + r.intn(65536-1024))
		if r.float() < 0.15 {
			s.variant = uint8(1 + r.intn(uint32(len(miraiVariants)-1)))
		}
	case pZMap, pMasscan:
		s.ttl = 255 - hops
		s.sport = uint16(40000 + r.intn(20000))
	case pNmap:
		s.ttl = 0 // random per packet
		s.sport = uint16(32768 + r.intn(28232))
	case pWindows:
		s.ttl = 128 - hops
		s.sport = uint16(49152 + r.intn(16384))
		s.win = 64240
		if r.float() < 0.4 {
			s.win = 8192
		}
		s.variant = uint8(r.intn(uint32(len(windowsPorts))))
	case pLinux:
		s.ttl = 64 - hops
		s.win = 64240
		if r.float() < 0.3 {
			s.win = 29200
		}
		s.variant = uint8(r.intn(uint32(len(linuxPorts))))
	case pUDP:
		s.ttl = initialTTL(r) - hops
		s.variant = uint8(g.udpAlias.pick(r))
	case pICMP:
		s.ttl = initialTTL(r) - hops
		s.variant = uint8(pickWeighted(r, []float64{50, 25, 20, 5}))
	case pBackscatter:
		s.ttl = initialTTL(r) - hops
		s.variant = uint8(pickWeighted(r, []float64{40, 25, 10, 15, 10}))
		s.sport = serviceFor(r)
		s.win = 65535
		if s.ttl < 64 {
			s.win = 29200
		}
	case pExploit:
		s.ttl = 64 - hops
		s.variant = uint8(pickWeighted(r, []float64{40, 12, 12, 14, 12, 10}))
		s.win = 14600
	case pProbe:
		s.ttl = initialTTL(r) - hops
		s.variant = uint8(pickWeighted(r, []float64{45, 15, 10, 15, 7, 8}))
		s.win = 65535
	case pV6:
		s.ttl = 64 - hops
		s.variant = uint8(pickWeighted(r, []float64{40, 35, 8, 7, 3, 7}))
		s.sport = serviceFor(r)
		s.win = 64800
	}
	g.srcs = append(g.srcs, s)
	return true
}

func initialTTL(r *rng) uint8 {
	switch x := r.intn(10); {
	case x < 6:
		return 64
	case x < 9:
		return 128
	default:
		return 255
	}
}

// serviceFor is the port a flood victim serves.
func serviceFor(r *rng) uint16 {
	ports := [...]uint16{80, 80, 80, 443, 443, 443, 22, 25, 53, 3306, 8080, 27015, 6667, 3389, 25565}
	return ports[r.intn(uint32(len(ports)))]
}

func pickWeighted(r *rng, w []float64) int {
	var sum float64
	for _, x := range w {
		sum += x
	}
	x := r.float() * sum
	for i, v := range w {
		if x < v {
			return i
		}
		x -= v
	}
	return len(w) - 1
}

// buildPopulation creates the sources of every profile.
func (g *gen) buildPopulation() error {
	r := &g.r
	days := g.cfg.Days
	for p := profile(0); p < numProfiles; p++ {
		sp := &specs[p]
		if p == pV6 && g.pool6 == nil {
			continue
		}
		picker := newCountryPicker(sp, g.countries, g.cindex, r)
		g.pickers[p] = picker
		n := int(math.Round(sp.share * float64(g.cfg.Packets) / (sp.ppd * sp.expectedDays(days))))
		n = min(max(n, sp.minSrc), sp.maxSrc)
		start := len(g.srcs)
		// A small group of Japanese bots, steady over the whole run.
		if jp, ok := g.cindex["JP"]; ok && p == pMirai {
			for k := 0; k < max(2, n/300); k++ {
				if g.newSource(p, jp, nil) {
					s := &g.srcs[len(g.srcs)-1]
					s.birth, s.death = -1, int32(days)
				}
			}
		}
		for len(g.srcs)-start < n {
			if !g.newSource(p, -1, picker) {
				g.failed++
				if g.failed > 1000+len(g.srcs) {
					break
				}
			}
		}
		g.profSrc[p] = [2]int{start, len(g.srcs)}
	}
	if len(g.srcs) == 0 {
		return fmt.Errorf("synth: the address pool gave no usable source address")
	}
	return nil
}

// active reports whether source i sends on day d.
func (g *gen) active(i int, d int) bool {
	s := &g.srcs[i]
	u := unit(hash(g.cfg.Seed, uint64(i), uint64(d), 1))
	switch s.act {
	case actLifetime:
		return int32(d) >= s.birth && int32(d) <= s.death && u < float64(s.pDay)
	case actSpike:
		return int32(d) == s.birth
	default:
		return u < float64(s.pDay)
	}
}

// jitter is the day-to-day variation of a source's volume, in [0.5, 1.5).
func (g *gen) jitter(i int, d int) float64 {
	return 0.5 + unit(hash(g.cfg.Seed, uint64(i), uint64(d), 2))
}

// window returns the hours [start, end) of day d in which windowed source i sends.
func (g *gen) window(i int, d int) (int, int) {
	h := hash(g.cfg.Seed, uint64(i), uint64(d), 3)
	st := int(h % 24)
	ln := 1 + int((h>>32)%uint64(specs[g.srcs[i].prof].maxWin))
	return st, min(24, st+ln)
}

// schedule fills the per-day lists of active sources and scales the source
// rates so that each profile gets its share of packets.
func (g *gen) schedule() {
	days := g.cfg.Days
	g.bg = make([][]int32, days)
	g.win = make([][]int32, days)
	var sum [numProfiles]float64
	for i := range g.srcs {
		s := &g.srcs[i]
		seen := false
		for d := 0; d < days; d++ {
			if g.active(i, d) {
				seen = true
				g.addActive(i, d)
				sum[s.prof] += s.rate * g.jitter(i, d)
			}
		}
		if !seen {
			d := int(hash(g.cfg.Seed, uint64(i), 0, 5) % uint64(days))
			g.addActive(i, d)
			sum[s.prof] += s.rate * g.jitter(i, d)
		}
	}
	for p := range numProfiles {
		if sum[p] == 0 {
			continue
		}
		k := specs[p].share * float64(g.cfg.Packets) / sum[p]
		for i := g.profSrc[p][0]; i < g.profSrc[p][1]; i++ {
			g.srcs[i].rate *= k
		}
		g.meanRate[p] = specs[p].share * float64(g.cfg.Packets) / float64(g.profSrc[p][1]-g.profSrc[p][0]) /
			specs[p].expectedDays(days)
	}
}

func (g *gen) addActive(i, d int) {
	if g.srcs[i].windowed {
		g.win[d] = append(g.win[d], int32(i))
	} else {
		g.bg[d] = append(g.bg[d], int32(i))
	}
}

// spikeKey identifies a country-day.
type spikeKey struct {
	country uint16
	day     int
}

// applySpikes merges the configured spikes per country-day and adds the new
// sources that appear on spike days.
func (g *gen) applySpikes() error {
	g.spikeMult = map[spikeKey]float64{}
	var order []spikeKey
	for _, sp := range append(slices.Clone(g.cfg.Spikes), g.cfg.riseSpikes()...) {
		c, ok := g.cindex[sp.Country]
		if !ok {
			return fmt.Errorf("synth: spike country %s is not in the address pool", sp.Country)
		}
		k := spikeKey{uint16(c), sp.Day}
		if _, seen := g.spikeMult[k]; !seen {
			order = append(order, k)
			g.spikeMult[k] = 1
		}
		g.spikeMult[k] *= sp.Factor
	}
	slices.SortFunc(order, func(a, b spikeKey) int {
		return cmp.Or(cmp.Compare(a.day, b.day), cmp.Compare(a.country, b.country))
	})
	for _, k := range order {
		f := g.spikeMult[k]
		if f <= 1 {
			continue
		}
		// Existing sources send sqrt(f) times more; new sources make up
		// the rest, so that the country-day total is about f times larger.
		gm := math.Sqrt(f)
		g.spikeMult[k] = gm
		var base float64
		for _, list := range [][]int32{g.bg[k.day], g.win[k.day]} {
			for _, i := range list {
				if g.srcs[i].country == k.country {
					base += g.srcs[i].rate * g.jitter(int(i), k.day)
				}
			}
		}
		if base == 0 {
			base = 3 * g.meanRate[pMirai]
		}
		extra := (f - gm) * base
		n := int(math.Round(extra / math.Max(g.meanRate[pMirai], 1e-9)))
		n = min(max(n, 1), 20000)
		per := extra / float64(n)
		for j := 0; j < n; j++ {
			if !g.newSource(pMirai, int(k.country), nil) {
				continue
			}
			i := len(g.srcs) - 1
			s := &g.srcs[i]
			if s.country != k.country {
				continue // pool had no fresh address of that country
			}
			s.act = actSpike
			s.birth, s.death = int32(k.day), int32(k.day)
			s.rate = per
			s.windowed = false
			g.bg[k.day] = append(g.bg[k.day], int32(i))
		}
	}
	return nil
}

// rateOn is source i's expected packets on day d.
func (g *gen) rateOn(i int, d int) float64 {
	s := &g.srcs[i]
	r := s.rate * g.jitter(i, d)
	if s.act != actSpike && len(g.spikeMult) > 0 {
		if m, ok := g.spikeMult[spikeKey{s.country, d}]; ok {
			r *= m
		}
	}
	return r
}
