// Package synth writes a synthetic, deterministic capture of Internet
// background radiation as a darknet / honeypot sensor sees it, together with
// a truth file that says exactly how many packets and distinct sources of each
// traffic class, country and port the capture holds. The demo, tests and
// benchmarks use it where real captures are too small or cannot be shared.
//
// What is in a capture (all of it inbound to the sensor prefixes):
//
//   - Mirai-family bots, the largest group: many sources, each with one
//     source port (>= 1024) for the run, arriving TTL of an initial 64, no TCP
//     options, random IP ID, sequence number = destination address; 23/TCP
//     nine times in ten, 2323/TCP otherwise, and variants that also scan 80,
//     8080, 5555, 37215 or 52869. A few of them are in Japan.
//   - ZMap (IP ID 54321) and masscan (IP ID = dst ^ dport ^ seq) scanners:
//     few sources, many packets, popular ports and whole high-port ranges.
//   - Other SYN scanners: nmap-like (window 1024, MSS option, random TTL),
//     Windows hosts (445 and friends, sequential IP IDs, retransmissions) and
//     Linux hosts (22, 23, 6379 ..., timestamps option).
//   - UDP probes with real protocol payloads (DNS, NTP, SNMP, SSDP, SIP,
//     memcached, NetBIOS, WS-Discovery, ...), ICMP echo requests.
//   - Backscatter from victims of spoofed floods: SYN-ACK, RST, ICMP echo
//     reply, destination unreachable and time exceeded quoting the spoofed
//     packet; these sources are active for a few hours at a time.
//   - Exploit sessions (telnet loader, JAWS, GPON, Huawei HG532, Log4Shell,
//     Shellshock) and benign application probes (HTTP, SSH, RDP, TLS, Redis,
//     SMB); some sessions start mid-stream with PSH|ACK and no SYN.
//   - About 1% IPv6 (TCP SYN, ICMPv6 echo, ICMPv6 backscatter, UDP) when the
//     address pool also implements AddrPool6.
//
// Sources come and go from day to day (infected bots live a few days,
// research scanners are steady, flood victims appear once), traffic follows
// a mild diurnal curve (peak at 14:00 UTC, late evening in East Asia), and
// packets are written in time order. Frames are Ethernet from one upstream
// router MAC to one sensor MAC; short frames are padded to 60 bytes as a NIC
// delivers them. IPv4, TCP, UDP, ICMP and ICMPv6 checksums are valid.
//
// No packet satisfies a class definition by accident: random IP IDs and
// sequence numbers are redrawn when they would match the ZMap, masscan or
// Mirai fingerprints, and benign payloads hold none of the exploit strings.
// The truth is nevertheless counted from the fields actually written, by the
// class definitions (see the classify package).
package synth

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Spike multiplies one country's traffic on one day, as in "Italy jumped on
// the 22nd": the country's sources send more and new sources of the country
// appear for that day.
type Spike struct {
	Country string    // ISO 3166 alpha-2 code, as returned by AddrPool.Countries
	Day     int       // 0-based day index; ignored when Date is set
	Date    time.Time // optional: the UTC day the spike falls on (overrides Day)
	Factor  float64   // multiplier of the country's packets on that day (> 0)
}

// AddrPool supplies source addresses by country. The program wires it to the
// GeoIP database so that a lookup of each source gives back its country.
type AddrPool interface {
	// Countries lists the country codes the pool can give addresses for.
	Countries() []string
	// Addr returns the n-th IPv4 address of the country (n is any uint64;
	// the pool reduces it to its size). It must be deterministic.
	Addr(country string, n uint64) (netip.Addr, bool)
}

// AddrPool6 is implemented by pools that also supply IPv6 source addresses.
// Without it the capture holds no IPv6 traffic.
type AddrPool6 interface {
	// Addr6 returns the n-th IPv6 address of the country, deterministically.
	Addr6(country string, n uint64) (netip.Addr, bool)
}

// Config describes the capture to write. The zero values of the optional
// fields select the documented defaults.
type Config struct {
	Packets int       // exact number of packets to write
	Days    int       // number of UTC days covered; default 7
	Seed    uint64    // same seed and config give the same bytes
	Start   time.Time // day 0; truncated to its UTC midnight; default 2026-05-01
	Format  string    // "pcap" (default, microsecond timestamps) or "pcapng"

	// SensorNet is the IPv4 prefix the sensor listens on (destination of
	// every IPv4 packet, prefix length 8..32); default 192.0.2.0/24
	// (TEST-NET-1, RFC 5737), so a capture can never be mistaken for real
	// traffic to someone's network.
	SensorNet netip.Prefix
	// SensorNet6 is the IPv6 destination prefix (length 16..128); default
	// 2001:db8:4e:100::/64 (documentation range, RFC 3849).
	SensorNet6 netip.Prefix

	Pool     AddrPool  // required: source addresses by country
	Spikes   []Spike   // optional per-country per-day multipliers
	Rises    []Rise    // optional sustained rises of a country
	Scanners []Scanner // optional new scanners appearing
	Outages  []Outage  // optional days without capture
	// Hostile adds exploit payloads that carry markup, script and control
	// characters (to test that every page escapes payload excerpts); the
	// default payloads hold none.
	Hostile bool

	// Sources, when positive, makes the capture hold this many distinct
	// source addresses at darknet scale: the usual traffic, sized for the
	// packets left to it, and a swarm of Mirai-like bots making up the
	// rest, each sending on one day only (so sources are source-days). The
	// swarm gets at least half the packets, and at least Sources times
	// PortsPerSource. It needs a Pool that implements AddrPoolSize and
	// cannot be combined with planted events. The total is exact: the
	// swarm makes up for sources of the usual traffic that send nothing.
	Sources int
	// PortsPerSource is how many destination ports each swarm bot probes
	// (1..MaxPortsPerSource; default 1 when Sources is set).
	PortsPerSource int

	Progress func(done int) // optional: called with the packets written so far
}

// Defaults used for zero Config fields.
var (
	// DefaultStart is day 0 when Config.Start is zero.
	DefaultStart = time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	// DefaultSensorNet is TEST-NET-1 (RFC 5737), the IPv4 darknet /24.
	DefaultSensorNet = netip.MustParsePrefix("192.0.2.0/24")
	// DefaultSensorNet6 is a /64 of the IPv6 documentation range (RFC 3849).
	DefaultSensorNet6 = netip.MustParsePrefix("2001:db8:4e:100::/64")
)

// DefaultDays is the number of days when Config.Days is 0.
const DefaultDays = 7

// maxDays bounds Config.Days (ten years) to keep memory predictable.
const maxDays = 3660

// normalize returns cfg with defaults filled in and checks it.
func (cfg Config) normalize() (Config, error) {
	if cfg.Pool == nil {
		return cfg, errors.New("synth: Config.Pool is required (source addresses by country)")
	}
	if cfg.Packets < 0 {
		return cfg, fmt.Errorf("synth: packets %d is negative", cfg.Packets)
	}
	if cfg.Days == 0 {
		cfg.Days = DefaultDays
	}
	if cfg.Days < 0 || cfg.Days > maxDays {
		return cfg, fmt.Errorf("synth: days %d out of range 1..%d", cfg.Days, maxDays)
	}
	if cfg.Start.IsZero() {
		cfg.Start = DefaultStart
	}
	u := cfg.Start.UTC()
	cfg.Start = time.Date(u.Year(), u.Month(), u.Day(), 0, 0, 0, 0, time.UTC)
	if cfg.Start.Unix() < 0 || cfg.Start.AddDate(0, 0, cfg.Days).Unix() > math.MaxUint32 {
		return cfg, fmt.Errorf("synth: start %s: pcap timestamps cover 1970 to 2106 only", cfg.Start.Format(time.DateOnly))
	}
	switch cfg.Format {
	case "":
		cfg.Format = "pcap"
	case "pcap", "pcapng":
	default:
		return cfg, fmt.Errorf("synth: format %q: want pcap or pcapng", cfg.Format)
	}
	if !cfg.SensorNet.IsValid() {
		cfg.SensorNet = DefaultSensorNet
	}
	if !cfg.SensorNet.Addr().Is4() || cfg.SensorNet.Bits() < 8 {
		return cfg, fmt.Errorf("synth: sensor net %s: want an IPv4 prefix of length 8..32", cfg.SensorNet)
	}
	cfg.SensorNet = cfg.SensorNet.Masked()
	if !cfg.SensorNet6.IsValid() {
		cfg.SensorNet6 = DefaultSensorNet6
	}
	if !cfg.SensorNet6.Addr().Is6() || cfg.SensorNet6.Addr().Is4In6() || cfg.SensorNet6.Bits() < 16 {
		return cfg, fmt.Errorf("synth: sensor net6 %s: want an IPv6 prefix of length 16..128", cfg.SensorNet6)
	}
	cfg.SensorNet6 = cfg.SensorNet6.Masked()
	for i, sp := range cfg.Spikes {
		if !(sp.Factor > 0) || math.IsInf(sp.Factor, 0) {
			return cfg, fmt.Errorf("synth: spike %d (%s): factor %v must be positive", i, sp.Country, sp.Factor)
		}
		if !sp.Date.IsZero() {
			d := sp.Date.UTC()
			day := time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, time.UTC)
			sp.Day = int(day.Sub(cfg.Start).Hours()) / 24
			if day.Before(cfg.Start) {
				sp.Day = -1
			}
		}
		if sp.Day < 0 || sp.Day >= cfg.Days {
			return cfg, fmt.Errorf("synth: spike %d (%s): day outside the %d days from %s", i, sp.Country, cfg.Days, cfg.Start.Format(time.DateOnly))
		}
		sp.Date = time.Time{}
		cfg.Spikes[i] = sp
	}
	if err := cfg.normalizeEvents(); err != nil {
		return cfg, err
	}
	if err := cfg.checkSwarm(); err != nil {
		return cfg, err
	}
	return cfg, nil
}

// Check reports whether cfg is valid as far as can be told without
// building the population (which Write also checks).
func (cfg Config) Check() error {
	cfg.Spikes = append([]Spike(nil), cfg.Spikes...)
	cfg.Rises = append([]Rise(nil), cfg.Rises...)
	cfg.Scanners = append([]Scanner(nil), cfg.Scanners...)
	cfg.Outages = append([]Outage(nil), cfg.Outages...)
	_, err := cfg.normalize()
	return err
}

// Write writes a capture described by cfg to w and returns its truth.
func Write(w io.Writer, cfg Config) (*Truth, error) {
	return write(w, cfg, nil)
}

// write is Write; split, when not nil, is called before the first packet
// of each stretch of captured days after an outage and returns the writer
// of the next part (its header is written here).
func write(w io.Writer, cfg Config, split func(part int) (io.Writer, error)) (*Truth, error) {
	cfg.Spikes = append([]Spike(nil), cfg.Spikes...)
	cfg.Rises = append([]Rise(nil), cfg.Rises...)
	cfg.Scanners = append([]Scanner(nil), cfg.Scanners...)
	cfg.Outages = append([]Outage(nil), cfg.Outages...)
	cfg, err := cfg.normalize()
	if err != nil {
		return nil, err
	}
	g, err := newGen(cfg)
	if err != nil {
		return nil, err
	}
	g.bw = bufio.NewWriterSize(w, 1<<20)
	if split != nil {
		g.split = func(part int) error {
			if err := g.bw.Flush(); err != nil {
				return fmt.Errorf("synth: write capture: %w", err)
			}
			nw, err := split(part)
			if err != nil {
				return err
			}
			g.bw.Reset(nw)
			return g.writeHeader()
		}
	}
	if err := g.run(); err != nil {
		return nil, err
	}
	if err := g.bw.Flush(); err != nil {
		return nil, fmt.Errorf("synth: write capture: %w", err)
	}
	return g.truth(), nil
}

// PartPath is the file WriteFile writes part n (1-based) of a capture to:
// path itself for part 1, "x-part2.pcap" for part 2 of "x.pcap".
func PartPath(path string, n int) string {
	if n <= 1 {
		return path
	}
	ext := filepath.Ext(path)
	return strings.TrimSuffix(path, ext) + "-part" + strconv.Itoa(n) + ext
}

// WriteFile writes the capture to path and its truth as JSON to
// path+".truth.json". With outages, each stretch of captured days after an
// outage goes to a file of its own (PartPath: path, then "x-part2.pcap",
// ...), as a sensor that was down and came back writes a new capture; the
// truth's Files lists them all.
func WriteFile(path string, cfg Config) (*Truth, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("synth: %w", err)
	}
	files := []string{path}
	cur := f
	t, err := write(f, cfg, func(part int) (io.Writer, error) {
		if err := cur.Close(); err != nil {
			return nil, fmt.Errorf("synth: close %s: %w", files[len(files)-1], err)
		}
		p := PartPath(path, part)
		nf, err := os.Create(p)
		if err != nil {
			return nil, fmt.Errorf("synth: %w", err)
		}
		cur = nf
		files = append(files, p)
		return nf, nil
	})
	if cerr := cur.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("synth: close %s: %w", files[len(files)-1], cerr)
	}
	if err != nil {
		return nil, fmt.Errorf("synth: write %s: %w", path, err)
	}
	for _, p := range files {
		t.Files = append(t.Files, filepath.Base(p))
	}
	if err := t.WriteFile(path + ".truth.json"); err != nil {
		return nil, err
	}
	return t, nil
}
