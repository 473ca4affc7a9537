package synth

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
	"net/netip"
	"slices"

	"github.com/honeyscope/honeyscope/internal/classify"
)

// A swarm is what Config.Sources adds: millions of Mirai-like bots as a
// darknet sees them in a day, each sending on one day only, to its own few
// ports. A bot is not stored: everything about it (day, country, address,
// source port, TTL, ports) derives from its index through bijective mixes,
// so the swarm costs a few kilobytes whatever its size, and its distinct
// counts are known by construction rather than by remembering sources:
//
//   - Bots 0..M-1 are split into consecutive per-day blocks.
//   - A bot's index goes through a permutation of [0, M) and the result
//     picks its country (consecutive ranges by the Mirai country weights)
//     and its number n within the country.
//   - Its address is the pool's address at position perm_c(n), a
//     permutation of the country's address positions [0, Size): the swarm
//     holds positions [0, T), T = Size/3, keeps [T, 2T) as a stand-in for
//     a position whose address is in the sensor net, and the usual
//     population draws from [2T, Size), so no two sources share an address.
//   - Each bot sends one SYN to each of its ports on its day, in an order
//     permuted over the day, and the day's other swarm packets go to random
//     bots of the day and random ports of theirs.

// AddrPoolSize is implemented by address pools that can tell how many
// distinct IPv4 addresses they hold per country. Config.Sources needs it.
type AddrPoolSize interface {
	// Size is the number of distinct addresses of the country: Addr gives
	// a different address for every n below it.
	Size(country string) uint64
}

// MaxPortsPerSource bounds Config.PortsPerSource.
const MaxPortsPerSource = 15

// swarmPorts are the ports the swarm's bots probe: 23 or 2323 first, then
// others from the rest of the list.
var swarmPorts = [MaxPortsPerSource + 1]uint16{23, 2323, 80, 8080, 5555, 37215, 52869, 81, 8443, 7547, 22, 8000, 88, 8081, 9000, 2222}

// swarmShare is the least share of the packets the swarm gets.
const swarmShare = 0.5

// perm is a permutation of [0, n): a four-round Feistel network on the
// smallest even number of bits covering n, with cycle walking.
type perm struct {
	n    uint64
	half uint
	mask uint64
	key  [4]uint64
}

func newPerm(n, seed uint64) perm {
	b := uint(bits.Len64(n - 1))
	b = max(b+b&1, 2)
	p := perm{n: n, half: b / 2, mask: 1<<(b/2) - 1}
	for i := range p.key {
		p.key[i] = mix(seed + uint64(i)*golden)
	}
	return p
}

// at returns the image of x < p.n.
func (p *perm) at(x uint64) uint64 {
	for {
		l, r := x>>p.half, x&p.mask
		for _, k := range p.key {
			l, r = r, l^(mix(r^k)&p.mask)
		}
		x = l<<p.half | r
		if x < p.n {
			return x
		}
	}
}

// swarm holds what the swarm's bots derive from.
type swarm struct {
	ports   int      // ports per bot
	bots    uint64   // M
	packets uint64   // packets of the whole swarm
	size    []uint64 // per country: pool size
	third   []uint64 // per country: T
	cperm   []perm   // per country: permutation of address positions
	start   []uint64 // cumulative bot counts of clist's countries
	clist   []uint16 // countries with bots, in country order
	mix     perm     // bot index to (country, number)
	block   []uint64 // per day d: first bot; block[days] = M
	dayPk   []uint64 // per day: swarm packets
	hourPk  []int    // per day-hour: swarm packets
	tags    [MaxPortsPerSource + 1]classify.Tags
	portSrc map[uint32]uint64 // cell (class<<20 | proto<<18 | port) to distinct bots
}

// bot is one swarm bot's fixed attributes.
type bot struct {
	addr    uint32
	sport   uint16
	ttl     uint8
	country uint16
	first   uint8 // index in swarmPorts of its first port
	off     uint8 // offset of its other ports in swarmPorts[2:]
}

// port returns the j-th port index (into swarmPorts) of b.
func (b *bot) port(j int) int {
	if j == 0 {
		return int(b.first)
	}
	return 2 + (int(b.off)+j-1)%(len(swarmPorts)-2)
}

// checkSwarm checks the swarm options of a normalized config.
func (cfg *Config) checkSwarm() error {
	if cfg.Sources == 0 && cfg.PortsPerSource == 0 {
		return nil
	}
	if cfg.Sources <= 0 {
		return fmt.Errorf("synth: sources %d: want a positive number (ports per source needs sources)", cfg.Sources)
	}
	if cfg.PortsPerSource == 0 {
		cfg.PortsPerSource = 1
	}
	if cfg.PortsPerSource < 1 || cfg.PortsPerSource > MaxPortsPerSource {
		return fmt.Errorf("synth: ports per source %d out of range 1..%d", cfg.PortsPerSource, MaxPortsPerSource)
	}
	if need := uint64(cfg.Sources) * uint64(cfg.PortsPerSource); need > uint64(cfg.Packets) {
		return fmt.Errorf("synth: %d sources with %d ports each need at least %d packets, not %d",
			cfg.Sources, cfg.PortsPerSource, need, cfg.Packets)
	}
	if len(cfg.Spikes) > 0 || len(cfg.Rises) > 0 || len(cfg.Scanners) > 0 || len(cfg.Outages) > 0 {
		return errors.New("synth: sources cannot be combined with spikes, rises, scanners or outages")
	}
	if _, ok := cfg.Pool.(AddrPoolSize); !ok {
		return errors.New("synth: sources needs an address pool that tells its size (AddrPoolSize)")
	}
	return nil
}

// swarmPackets is the swarm's share of cfg.Packets.
func swarmPackets(cfg *Config) uint64 {
	need := uint64(cfg.Sources) * uint64(cfg.PortsPerSource)
	return min(uint64(cfg.Packets), max(need, uint64(math.Round(swarmShare*float64(cfg.Packets)))))
}

// newSwarm prepares the address positions of every country; the bots are
// placed by placeSwarm once the usual population is known.
func (g *gen) newSwarm() {
	sz := g.cfg.Pool.(AddrPoolSize)
	sw := &swarm{ports: g.cfg.PortsPerSource, packets: swarmPackets(&g.cfg)}
	for c, cc := range g.countries {
		s := sz.Size(cc)
		sw.size = append(sw.size, s)
		sw.third = append(sw.third, s/3)
		sw.cperm = append(sw.cperm, newPerm(max(s, 1), hash(g.cfg.Seed, uint64(c), 0, 21)))
	}
	g.sw = sw
}

// regularPos maps a random draw to an address position of country c that
// the swarm does not use.
func (sw *swarm) regularPos(c uint16, n uint64) (uint64, bool) {
	s, t := sw.size[c], sw.third[c]
	if s == 0 {
		return 0, false
	}
	return sw.cperm[c].at(2*t + n%(s-2*t)), true
}

// placeSwarm sizes the swarm (cfg.Sources less the others that send),
// shares its bots among countries and days and its packets among days and
// hours.
func (g *gen) placeSwarm(others int) error {
	sw := g.sw
	if others >= g.cfg.Sources {
		return fmt.Errorf("synth: %d sources: the other traffic of %d packets already has %d; ask for more sources",
			g.cfg.Sources, g.total-int(sw.packets), others)
	}
	sw.bots = uint64(g.cfg.Sources - others)
	// Countries by the Mirai weights, each at most its third.
	pr := rng{s: mix(g.cfg.Seed ^ 0x737761726d)}
	pick := newCountryPicker(&specs[pMirai], g.countries, g.cindex, &pr)
	w := make([]float64, len(g.countries))
	prev := 0.0
	for k, c := range pick.idx {
		w[c] = pick.cum[k] - prev
		prev = pick.cum[k]
	}
	n, err := shareCapped(sw.bots, w, sw.third)
	if err != nil {
		return err
	}
	var at uint64
	for c, x := range n {
		if x > 0 {
			sw.clist = append(sw.clist, uint16(c))
			sw.start = append(sw.start, at)
			at += x
		}
	}
	sw.start = append(sw.start, at)
	sw.mix = newPerm(sw.bots, hash(g.cfg.Seed, 0, 0, 22))
	days := uint64(g.cfg.Days)
	extra := sw.packets - sw.bots*uint64(sw.ports)
	for d := uint64(0); d <= days; d++ {
		sw.block = append(sw.block, sw.bots*d/days)
	}
	for d := uint64(0); d < days; d++ {
		a := sw.block[d+1] - sw.block[d]
		sw.dayPk = append(sw.dayPk, a*uint64(sw.ports)+mulDiv(extra, sw.block[d+1], sw.bots)-mulDiv(extra, sw.block[d], sw.bots))
		// The day's packets by the diurnal curve, largest remainder.
		var fl [24]int
		var rem [24]float64
		left := int(sw.dayPk[d])
		for h := range 24 {
			x := float64(sw.dayPk[d]) * diurnal[h] / 24
			fl[h] = int(x)
			rem[h] = x - float64(fl[h])
			left -= fl[h]
		}
		order := make([]int, 24)
		for h := range order {
			order[h] = h
		}
		slices.SortStableFunc(order, func(a, b int) int {
			switch {
			case rem[a] > rem[b]:
				return -1
			case rem[a] < rem[b]:
				return 1
			}
			return 0
		})
		for j := 0; left > 0; j++ {
			fl[order[j%24]]++
			left--
		}
		if left < 0 {
			return fmt.Errorf("synth: internal error: swarm packets of day %d over-allocated", d)
		}
		sw.hourPk = append(sw.hourPk, fl[:]...)
	}
	// The classes of a bot's SYN depend on its port only; emit checks it.
	for j, p := range swarmPorts {
		sw.tags[j] = tags4(fSYN, 0x0a000001, 0x0a000001, 1, p, false)
	}
	sw.portSrc = map[uint32]uint64{}
	return nil
}

// mulDiv returns a*b/c without overflow (c > 0, result fits).
func mulDiv(a, b, c uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	q, _ := bits.Div64(hi, lo, c)
	return q
}

// shareCapped shares total among weights w, no share above its cap, by
// largest remainder after capping.
func shareCapped(total uint64, w []float64, caps []uint64) ([]uint64, error) {
	n := make([]uint64, len(w))
	open := []int{}
	for i, x := range w {
		if x > 0 && caps[i] > 0 {
			open = append(open, i)
		}
	}
	left := total
	for left > 0 {
		if len(open) == 0 {
			return nil, fmt.Errorf("synth: the address pool has room for fewer sources than asked (%d short)", left)
		}
		var sum float64
		for _, i := range open {
			sum += w[i]
		}
		capped := false
		var next []int
		l := float64(left)
		for _, i := range open {
			if float64(n[i])+l*w[i]/sum >= float64(caps[i]) {
				left -= min(left, caps[i]-n[i])
				n[i] = caps[i]
				capped = true
			} else {
				next = append(next, i)
			}
		}
		if capped {
			open = next
			continue
		}
		rem := make(map[int]float64, len(open))
		given := uint64(0)
		for _, i := range open {
			x := float64(left) * w[i] / sum
			f := uint64(x)
			n[i] += f
			given += f
			rem[i] = x - float64(f)
		}
		left -= given
		order := slices.Clone(open)
		slices.SortStableFunc(order, func(a, b int) int {
			switch {
			case rem[a] > rem[b]:
				return -1
			case rem[a] < rem[b]:
				return 1
			}
			return 0
		})
		for j := 0; left > 0 && j < len(order); j++ {
			if i := order[j]; n[i] < caps[i] {
				n[i]++
				left--
			}
		}
		var still []int
		for _, i := range open {
			if n[i] < caps[i] {
				still = append(still, i)
			}
		}
		open = still
	}
	return n, nil
}

// bot returns bot k's attributes.
func (g *gen) bot(k uint64) (bot, error) {
	sw := g.sw
	u := sw.mix.at(k)
	j, _ := slices.BinarySearch(sw.start, u+1)
	j-- // sw.start[j] <= u < sw.start[j+1]
	c := sw.clist[j]
	n := u - sw.start[j]
	h := hash(g.cfg.Seed, k, 0, 23)
	b := bot{
		country: c,
		sport:   uint16(1024 + h%(65536-1024)),
		ttl:     64 - uint8(6+(h>>16)%19),
		off:     uint8((h >> 32) % uint64(len(swarmPorts)-2)),
	}
	if (h>>24)%10 == 0 {
		b.first = 1
	}
	for _, pos := range []uint64{n, sw.third[c] + n} {
		a, ok := g.cfg.Pool.Addr(g.countries[c], sw.cperm[c].at(pos))
		if !ok || !a.IsValid() {
			break
		}
		a = a.Unmap()
		if !a.Is4() {
			break
		}
		if g.cfg.SensorNet.Contains(a) {
			continue
		}
		x := a.As4()
		b.addr = uint32(x[0])<<24 | uint32(x[1])<<16 | uint32(x[2])<<8 | uint32(x[3])
		return b, nil
	}
	return b, fmt.Errorf("synth: the address pool gave no usable address for swarm source %d of %s", k, g.countries[c])
}

// swarmDay is the swarm's state while day d is written.
type swarmDay struct {
	d     int
	order perm   // over the day's swarm packets
	q     uint64 // swarm packets of the day written so far
}

func (g *gen) startSwarmDay(d int) swarmDay {
	return swarmDay{d: d, order: newPerm(max(g.sw.dayPk[d], 1), hash(g.cfg.Seed, uint64(d), 0, 24))}
}

// emitSwarm builds, writes and counts the day's next swarm packet.
func (g *gen) emitSwarm(sd *swarmDay) error {
	// The swarm draws from sr, leaving r to the other traffic.
	g.r, g.sr = g.sr, g.r
	defer func() { g.r, g.sr = g.sr, g.r }()
	sw := g.sw
	first, a := sw.block[sd.d], sw.block[sd.d+1]-sw.block[sd.d]
	v := sd.order.at(sd.q)
	sd.q++
	var k uint64
	var j int
	if v < a*uint64(sw.ports) {
		k, j = first+v/uint64(sw.ports), int(v%uint64(sw.ports))
	} else {
		k, j = first+g.r.u64n(a), int(g.r.intn(uint32(sw.ports)))
	}
	b, err := g.bot(k)
	if err != nil {
		return err
	}
	pi := b.port(j)
	port := swarmPorts[pi]
	dst := g.dst4()
	id := g.plainID()
	for id == masscanRel(dst, port, dst) {
		id = g.plainID()
	}
	hl := tcpHdr(g.buf[l4Off4:], b.sport, port, dst, 0, fSYN, uint16(g.r.next()), nil)
	n := g.finish4(ipTCP, hl, b.addr, dst, id, b.ttl, false)
	tags := tags4(fSYN, dst, dst, id, port, false)
	if tags != sw.tags[pi] {
		return fmt.Errorf("synth: internal error: a swarm packet to port %d has classes %b, not %b", port, tags, sw.tags[pi])
	}
	if err := g.writeFrame(n); err != nil {
		return err
	}
	g.cnt.addSwarm(int(b.country), tags, protoTCP, port)
	return nil
}

// countSwarmDay adds the distinct bots of day d, which sent to each of
// their ports, to the day's source counts and to the per port counts.
func (g *gen) countSwarmDay(d int, daySrc *[numClasses]uint64, dayCCSrc []uint64) error {
	sw := g.sw
	nc := g.cnt.nCountries
	for k := sw.block[d]; k < sw.block[d+1]; k++ {
		b, err := g.bot(k)
		if err != nil {
			return err
		}
		var all classify.Tags
		for j := range sw.ports {
			pi := b.port(j)
			t := sw.tags[pi]
			all |= t
			for cl := range numClasses {
				if t.Has(classify.Class(cl)) {
					sw.portSrc[uint32(cl)<<20|protoTCP<<18|uint32(swarmPorts[pi])]++
				}
			}
		}
		for cl := range numClasses {
			if all.Has(classify.Class(cl)) {
				daySrc[cl]++
				dayCCSrc[cl*nc+int(b.country)]++
			}
		}
	}
	return nil
}

// swarmAddr is the address of bot k (for tests).
func (g *gen) swarmAddr(k uint64) (netip.Addr, error) {
	b, err := g.bot(k)
	if err != nil {
		return netip.Addr{}, err
	}
	return netip.AddrFrom4([4]byte{byte(b.addr >> 24), byte(b.addr >> 16), byte(b.addr >> 8), byte(b.addr)}), nil
}
