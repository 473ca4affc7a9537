package synth

import (
	"bufio"
	"cmp"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"net/netip"
	"slices"

	"github.com/honeyscope/honeyscope/internal/classify"
)

// gen holds everything one Write needs.
type gen struct {
	cfg       Config
	r         rng
	countries []string
	cindex    map[string]int
	pool6     AddrPool6
	seen      map[netip.Addr]struct{}
	failed    int

	srcs      []source
	profSrc   [numProfiles][2]int // index range of each profile's sources
	pickers   [numProfiles]*countryPicker
	meanRate  [numProfiles]float64
	bg, win   [][]int32 // per day: active sources spread over the day / in windows
	spikeMult map[spikeKey]float64
	scanners  []int           // source indexes of Config.Scanners
	off       daySet          // outage days
	split     func(int) error // next part after an outage; nil: one stream

	pl       *payloadSet
	udpAlias alias

	sensorBase  uint32
	sensorHosts uint32
	sensor6     [16]byte
	host6Mask   [16]byte

	bw  *bufio.Writer
	ng  bool
	buf [4096]byte
	rec [32]byte
	cnt *counter
	sw  *swarm // nil without Config.Sources
	// sr draws, with a swarm, the packets' times, the mix of the swarm
	// and the other traffic and the swarm's packets, so that the other
	// traffic draws from r just what it would alone (see regularSent).
	sr  rng
	dry bool // counting the other traffic's sources: no swarm
	// total is Config.Packets; with a swarm, cfg.Packets is what is left
	// to the usual traffic.
	total int
	now   int64 // timestamp of the packet being built, µs since the epoch
}

func newGen(cfg Config) (*gen, error) { return newGenDry(cfg, false) }

// regularSent writes the other traffic of a swarm config (normalized) to
// nowhere and returns how many of its sources send: the swarm makes up the
// rest of Config.Sources. The other traffic draws the same numbers with or
// without the swarm, so it is the same when written for real.
func regularSent(cfg Config) (int, error) {
	g, err := newGenDry(cfg, true)
	if err != nil {
		return 0, err
	}
	g.bw = bufio.NewWriterSize(io.Discard, 1<<16)
	if err := g.run(); err != nil {
		return 0, err
	}
	n := 0
	for i := range g.srcs {
		if g.srcs[i].sent {
			n++
		}
	}
	return n, nil
}

func newGenDry(cfg Config, dry bool) (*gen, error) {
	g := &gen{cfg: cfg, seen: map[netip.Addr]struct{}{}, cindex: map[string]int{}, off: cfg.outageDays(), dry: dry}
	g.r = rng{s: mix(cfg.Seed ^ 0x686f6e657973636f)}
	g.sr = rng{s: mix(cfg.Seed ^ 0x737761726d726e67)}
	cs := slices.Clone(cfg.Pool.Countries())
	slices.Sort(cs)
	cs = slices.Compact(cs)
	for _, c := range cs {
		if c != "" {
			g.cindex[c] = len(g.countries)
			g.countries = append(g.countries, c)
		}
	}
	if len(g.countries) == 0 {
		return nil, fmt.Errorf("synth: the address pool lists no countries")
	}
	if len(g.countries) > math.MaxUint16 {
		return nil, fmt.Errorf("synth: the address pool lists %d countries, too many", len(g.countries))
	}
	if p6, ok := cfg.Pool.(AddrPool6); ok {
		g.pool6 = p6
	}
	g.pl = buildPayloads(cfg.Hostile)
	g.udpAlias.build(g.pl.udpWeights)
	b := cfg.SensorNet.Addr().As4()
	g.sensorBase = binary.BigEndian.Uint32(b[:])
	g.sensorHosts = uint32(1) << (32 - cfg.SensorNet.Bits())
	if cfg.SensorNet.Bits() == 32 {
		g.sensorHosts = 1
	}
	g.sensor6 = cfg.SensorNet6.Addr().As16()
	for i := cfg.SensorNet6.Bits(); i < 128; i++ {
		g.host6Mask[i/8] |= 0x80 >> (i % 8)
	}
	g.ng = cfg.Format == "pcapng"
	// Ethernet: upstream router (Juniper OUI) -> sensor NIC (Intel OUI).
	m := g.r.next()
	copy(g.buf[0:6], []byte{0xa0, 0x36, 0x9f, byte(m), byte(m >> 8), byte(m >> 16)})
	copy(g.buf[6:12], []byte{0x3c, 0x61, 0x04, byte(m >> 24), byte(m >> 32), byte(m >> 40)})
	g.cnt = newCounter(len(g.countries))
	g.total = cfg.Packets
	if cfg.Sources > 0 {
		g.newSwarm()
		g.cfg.Packets -= int(g.sw.packets)
	}
	if g.cfg.Packets > 0 {
		if err := g.buildPopulation(); err != nil {
			return nil, err
		}
		g.schedule()
		if err := g.applySpikes(); err != nil {
			return nil, err
		}
		if err := g.addScanners(); err != nil {
			return nil, err
		}
	}
	if g.sw != nil && !g.dry {
		sent := 0
		if g.cfg.Packets > 0 {
			var err error
			if sent, err = regularSent(cfg); err != nil {
				return nil, err
			}
		}
		if err := g.placeSwarm(sent); err != nil {
			return nil, err
		}
	}
	return g, nil
}

// diurnal is the relative traffic per UTC hour (mean 1), peaking at 14:00
// UTC, late evening in East Asia where much of the scanning comes from.
var diurnal = func() (d [24]float64) {
	for h := range d {
		d[h] = 1 + 0.3*math.Cos(2*math.Pi*float64(h-14)/24)
	}
	return d
}()

// dayWeights returns the expected packets per hour of day d and fills bgW
// with the weights of the day's spread-out sources.
func (g *gen) dayWeights(d int, bgW []float64, hw *[24]float64) (bgSum float64) {
	for k, i := range g.bg[d] {
		w := g.rateOn(int(i), d)
		bgW[k] = w
		bgSum += w
	}
	for h := range hw {
		hw[h] = bgSum * diurnal[h] / 24
	}
	for _, i := range g.win[d] {
		st, en := g.window(int(i), d)
		per := g.rateOn(int(i), d) / float64(en-st)
		for h := st; h < en; h++ {
			hw[h] += per
		}
	}
	return bgSum
}

// allocate splits cfg.Packets over the day-hours by weight (largest remainder).
func (g *gen) allocate() ([]int, error) {
	days := g.cfg.Days
	w := make([]float64, days*24)
	var bgW []float64
	var total float64
	for d := 0; d < days; d++ {
		bgW = resize(bgW, len(g.bg[d]))
		var hw [24]float64
		g.dayWeights(d, bgW, &hw)
		if g.off[d] {
			hw = [24]float64{}
		}
		for h, x := range hw {
			w[d*24+h] = x
			total += x
		}
	}
	if !(total > 0) || math.IsInf(total, 0) {
		return nil, fmt.Errorf("synth: no source is active on any day")
	}
	n := make([]int, len(w))
	rem := make([]float64, len(w))
	var pos []int
	left := g.cfg.Packets
	for k, x := range w {
		exact := float64(g.cfg.Packets) * x / total
		fl := math.Floor(exact)
		n[k] = int(fl)
		left -= n[k]
		rem[k] = exact - fl
		if x > 0 {
			pos = append(pos, k)
		}
	}
	slices.SortStableFunc(pos, func(a, b int) int { return cmp.Compare(rem[b], rem[a]) })
	for j := 0; left > 0; j++ {
		n[pos[j%len(pos)]]++
		left--
	}
	return n, nil
}

// run writes the file header and every packet.
func (g *gen) run() error {
	if err := g.writeHeader(); err != nil {
		return err
	}
	if g.total == 0 {
		return nil
	}
	alloc := make([]int, g.cfg.Days*24)
	if g.cfg.Packets > 0 {
		var err error
		if alloc, err = g.allocate(); err != nil {
			return err
		}
	}
	var (
		bgAlias, hourAlias alias
		bgW, hourW         []float64
		cand               []int32
		winSt, winEn       []int
		winPer             []float64
		done               int
	)
	start := g.cfg.Start.UnixMicro()
	const hourUS = 3600 * 1000000
	part, wrote := 1, false
	for d := 0; d < g.cfg.Days; d++ {
		if !g.off[d] && d > 0 && g.off[d-1] && wrote && g.split != nil {
			part++
			if err := g.split(part); err != nil {
				return err
			}
		}
		wrote = wrote || !g.off[d]
		var bgSum float64
		if g.cfg.Packets > 0 {
			bgW = resize(bgW, len(g.bg[d]))
			var hw [24]float64
			bgSum = g.dayWeights(d, bgW, &hw)
			if bgSum > 0 {
				bgAlias.build(bgW)
			}
		}
		var sd swarmDay
		swarmOn := g.sw != nil && !g.dry
		if swarmOn {
			sd = g.startSwarmDay(d)
		}
		tr := &g.r // packet times
		if g.sw != nil {
			tr = &g.sr
		}
		winSt, winEn, winPer = winSt[:0], winEn[:0], winPer[:0]
		for _, i := range g.winOn(d) {
			st, en := g.window(int(i), d)
			winSt = append(winSt, st)
			winEn = append(winEn, en)
			winPer = append(winPer, g.rateOn(int(i), d)/float64(en-st))
		}
		for h := 0; h < 24; h++ {
			n := alloc[d*24+h]
			ns := 0 // swarm packets
			if swarmOn {
				ns = g.sw.hourPk[d*24+h]
			}
			if n == 0 && ns == 0 {
				continue
			}
			if n > 0 {
				cand, hourW = cand[:0], hourW[:0]
				if x := bgSum * diurnal[h] / 24; x > 0 {
					cand = append(cand, -1)
					hourW = append(hourW, x)
				}
				for k, i := range g.win[d] {
					if h >= winSt[k] && h < winEn[k] && winPer[k] > 0 {
						cand = append(cand, i)
						hourW = append(hourW, winPer[k])
					}
				}
				if len(cand) == 0 {
					return fmt.Errorf("synth: internal error: packets allocated to an empty hour")
				}
				hourAlias.build(hourW)
			}
			base := start + int64(d)*24*hourUS + int64(h)*hourUS
			tot, left := n+ns, n
			for k := 0; k < tot; k++ {
				off := (uint64(k)*hourUS + tr.u64n(hourUS)) / uint64(tot)
				g.now = base + int64(off)
				if ns > 0 && (left == 0 || g.sr.u64n(uint64(left+ns)) < uint64(ns)) {
					ns--
					if err := g.emitSwarm(&sd); err != nil {
						return err
					}
				} else {
					left--
					i := cand[hourAlias.pick(&g.r)]
					if i < 0 {
						i = g.bg[d][bgAlias.pick(&g.r)]
					}
					if err := g.emit(int(i)); err != nil {
						return err
					}
				}
				done++
				if g.cfg.Progress != nil && done&0xffff == 0 {
					g.cfg.Progress(done)
				}
			}
		}
		var extra func(*[numClasses]uint64, []uint64)
		var swErr error
		if swarmOn {
			extra = func(daySrc *[numClasses]uint64, dayCCSrc []uint64) {
				swErr = g.countSwarmDay(d, daySrc, dayCCSrc)
			}
		}
		g.cnt.endDay(dayString(g.cfg.Start, d), g.srcs, [][]int32{g.bgOn(d), g.winOn(d)}, g.countries, extra)
		if swErr != nil {
			return swErr
		}
	}
	if g.cfg.Progress != nil {
		g.cfg.Progress(done)
	}
	return nil
}

// bgOn and winOn are the spread-out and windowed sources of day d (none
// when the usual traffic has no packets).
func (g *gen) bgOn(d int) []int32 {
	if g.bg == nil {
		return nil
	}
	return g.bg[d]
}

func (g *gen) winOn(d int) []int32 {
	if g.win == nil {
		return nil
	}
	return g.win[d]
}

// swarmPortSrc is the swarm's distinct sources per (class, proto, port)
// cell, nil without a swarm.
func (g *gen) swarmPortSrc() map[uint32]uint64 {
	if g.sw == nil {
		return nil
	}
	return g.sw.portSrc
}

// truth assembles the Truth after run.
func (g *gen) truth() *Truth {
	t := &Truth{
		Seed:              g.cfg.Seed,
		Packets:           g.total,
		Start:             g.cfg.Start.Format("2006-01-02"),
		Days:              g.cfg.Days,
		Format:            g.cfg.Format,
		SensorNet:         g.cfg.SensorNet.String(),
		SensorNet6:        g.cfg.SensorNet6.String(),
		ByDayClass:        g.cnt.byDayClass,
		ByDayClassCountry: g.cnt.byDayClassCountry,
		ByClassPort:       g.cnt.classPorts(g.swarmPortSrc()),
		Spikes:            []SpikeTruth{},
	}
	if t.ByDayClass == nil {
		t.ByDayClass = []DayClass{}
	}
	if t.ByDayClassCountry == nil {
		t.ByDayClassCountry = []DayClassCountry{}
	}
	if g.sw != nil {
		for i := range g.srcs {
			if g.srcs[i].sent {
				t.Sources++
			}
		}
		t.Sources += g.sw.bots
		t.SwarmSources = g.sw.bots
		t.PortsPerSource = g.sw.ports
	}
	for _, sp := range g.cfg.Spikes {
		t.Spikes = append(t.Spikes, SpikeTruth{Country: sp.Country, Day: dayString(g.cfg.Start, sp.Day), Factor: sp.Factor})
	}
	t.Rises, t.Scanners, t.Outages = []RiseTruth{}, []ScannerTruth{}, []OutageTruth{}
	for _, r := range g.cfg.Rises {
		t.Rises = append(t.Rises, RiseTruth{Country: r.Country, Day: dayString(g.cfg.Start, r.Day),
			LastDay: dayString(g.cfg.Start, r.Day+r.Days-1), Factor: r.Factor})
	}
	for i, sc := range g.cfg.Scanners {
		st := ScannerTruth{Country: sc.Country, Day: dayString(g.cfg.Start, sc.Day), Class: classify.ZMap.String(), Packets: sc.Packets}
		if i < len(g.scanners) {
			a := g.srcs[g.scanners[i]].addr4
			st.Addr = netip.AddrFrom4([4]byte{byte(a >> 24), byte(a >> 16), byte(a >> 8), byte(a)}).String()
		}
		t.Scanners = append(t.Scanners, st)
	}
	for _, o := range g.cfg.Outages {
		t.Outages = append(t.Outages, OutageTruth{Day: dayString(g.cfg.Start, o.Day), LastDay: dayString(g.cfg.Start, o.Day+o.Days-1)})
	}
	return t
}

// writeHeader writes the pcap file header, or the pcapng section header and
// interface description blocks.
func (g *gen) writeHeader() error {
	var b []byte
	if !g.ng {
		b = make([]byte, 24)
		le := binary.LittleEndian
		le.PutUint32(b[0:], 0xa1b2c3d4)
		le.PutUint16(b[4:], 2)
		le.PutUint16(b[6:], 4)
		le.PutUint32(b[16:], 262144)
		le.PutUint32(b[20:], 1) // LINKTYPE_ETHERNET
	} else {
		b = pcapngHeader()
	}
	if _, err := g.bw.Write(b); err != nil {
		return fmt.Errorf("synth: write header: %w", err)
	}
	return nil
}

// pcapngHeader returns a section header block (with shb_userappl) and one
// Ethernet interface description block (microsecond timestamps, the default).
func pcapngHeader() []byte {
	le := binary.LittleEndian
	opt := func(b []byte, code uint16, val string) []byte {
		b = le.AppendUint16(b, code)
		b = le.AppendUint16(b, uint16(len(val)))
		b = append(b, val...)
		for len(b)%4 != 0 {
			b = append(b, 0)
		}
		return b
	}
	var shbOpts []byte
	shbOpts = opt(shbOpts, 4, "honeyscope synth") // shb_userappl
	shbOpts = append(shbOpts, 0, 0, 0, 0)         // opt_endofopt
	shbLen := 28 + len(shbOpts)
	var b []byte
	b = le.AppendUint32(b, 0x0a0d0d0a)
	b = le.AppendUint32(b, uint32(shbLen))
	b = le.AppendUint32(b, 0x1a2b3c4d)
	b = le.AppendUint16(b, 1)
	b = le.AppendUint16(b, 0)
	b = le.AppendUint64(b, math.MaxUint64) // section length unknown
	b = append(b, shbOpts...)
	b = le.AppendUint32(b, uint32(shbLen))

	var idbOpts []byte
	idbOpts = opt(idbOpts, 2, "darknet0") // if_name
	idbOpts = append(idbOpts, 0, 0, 0, 0)
	idbLen := 20 + len(idbOpts)
	b = le.AppendUint32(b, 1)
	b = le.AppendUint32(b, uint32(idbLen))
	b = le.AppendUint16(b, 1) // LINKTYPE_ETHERNET
	b = le.AppendUint16(b, 0)
	b = le.AppendUint32(b, 262144)
	b = append(b, idbOpts...)
	b = le.AppendUint32(b, uint32(idbLen))
	return b
}

// writeFrame writes g.buf[:n] as one record at time g.now. This is the hot
// path: records are assembled by hand in a fixed buffer, no allocation.
func (g *gen) writeFrame(n int) error {
	if n < 60 {
		clear(g.buf[n:60])
		n = 60
	}
	le := binary.LittleEndian
	var hdr []byte
	if !g.ng {
		le.PutUint32(g.rec[0:], uint32(g.now/1000000))
		le.PutUint32(g.rec[4:], uint32(g.now%1000000))
		le.PutUint32(g.rec[8:], uint32(n))
		le.PutUint32(g.rec[12:], uint32(n))
		hdr = g.rec[:16]
	} else {
		pad := (4 - n%4) % 4
		total := 32 + n + pad
		le.PutUint32(g.rec[0:], 6)
		le.PutUint32(g.rec[4:], uint32(total))
		le.PutUint32(g.rec[8:], 0)
		le.PutUint32(g.rec[12:], uint32(uint64(g.now)>>32))
		le.PutUint32(g.rec[16:], uint32(g.now))
		le.PutUint32(g.rec[20:], uint32(n))
		le.PutUint32(g.rec[24:], uint32(n))
		hdr = g.rec[:28]
		clear(g.buf[n : n+pad])
		le.PutUint32(g.buf[n+pad:], uint32(total))
		n += pad + 4
	}
	if _, err := g.bw.Write(hdr); err != nil {
		return fmt.Errorf("synth: write capture: %w", err)
	}
	if _, err := g.bw.Write(g.buf[:n]); err != nil {
		return fmt.Errorf("synth: write capture: %w", err)
	}
	return nil
}

// emit builds and writes one packet of source i and counts it.
func (g *gen) emit(i int) error {
	s := &g.srcs[i]
	var o out
	switch s.prof {
	case pMirai:
		o = g.mirai(s)
	case pZMap:
		o = g.zmap(s)
	case pMasscan:
		o = g.masscan(s)
	case pNmap:
		o = g.nmap(s)
	case pWindows:
		o = g.windows(s)
	case pLinux:
		o = g.linux(s)
	case pUDP:
		o = g.udp(s)
	case pICMP:
		o = g.icmpReq(s)
	case pBackscatter:
		o = g.backscatter(s)
	case pExploit, pProbe:
		o = g.session(s)
	case pV6:
		o = g.v6(s)
	}
	if err := g.writeFrame(o.n); err != nil {
		return err
	}
	g.cnt.add(s, i, o.tags, int(o.proto), o.port)
	return nil
}

// out describes the packet just built.
type out struct {
	n     int // frame length
	tags  classify.Tags
	proto uint8 // protoTCP, ...
	port  uint16
}
