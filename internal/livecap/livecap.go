// Package livecap is the live capture component of `honeyscope serve`: it
// reads every packet arriving on the configured interfaces (AF_PACKET,
// TPACKET_V3, optionally spread over several sockets with kernel fanout),
// sends each through the same decode → classify → aggregate pipeline that
// capture files go through, and commits what each commit interval counted
// to the store as one ingest per interface, in one transaction.
//
// An interval is committed even when nothing arrived, so that coverage
// tells "the sensor was up and saw nothing" from "no data". The kernel's
// drop counters and the packets the pipeline itself lost are recorded with
// each interval (store.Ingest.KernelDrops, QueueDrops).
//
// The capture path never sends a packet.
package livecap

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gopacket/gopacket/layers"
	"golang.org/x/net/bpf"

	"github.com/honeyscope/honeyscope/internal/bpfexpr"
	"github.com/honeyscope/honeyscope/internal/classify"
	"github.com/honeyscope/honeyscope/internal/config"
	"github.com/honeyscope/honeyscope/internal/daemon"
	"github.com/honeyscope/honeyscope/internal/evidence"
	"github.com/honeyscope/honeyscope/internal/ingest"
	"github.com/honeyscope/honeyscope/internal/pcaparchive"
	"github.com/honeyscope/honeyscope/internal/store"
)

// Interface is one captured interface.
type Interface struct {
	Name   string // network interface ("eth0")
	Sensor string // sensor name its rows carry (default: the interface name)
	// SensorNets are the sensor's addresses on it (CIDRs or addresses):
	// only packets addressed to them count. Empty: every packet counts.
	SensorNets []string
	Promisc    bool // put the interface in promiscuous mode while capturing
	// Filter is a capture filter in tcpdump's language, compiled when the
	// capture is made (New) with internal/bpfexpr; BPF, when set, is used
	// instead.
	Filter string
	// BPF is an optional classic BPF program, already compiled
	// (tcpdump -dd gives one), attached to the capture sockets.
	BPF []bpf.RawInstruction
}

// Configuration of the live capture.
type Configuration struct {
	Interfaces []Interface
	// CommitInterval is the length of an interval (default 10s): what a
	// crash can lose at most.
	CommitInterval time.Duration
	// Workers is the number of capture sockets per interface, joined in
	// one fanout group so the kernel spreads packets over them (default 1).
	Workers int
	// BlockSize and NumBlocks size each socket's TPACKET_V3 ring (defaults
	// 512 KiB and 128: 64 MiB per socket). BlockSize must be a multiple of
	// the page size.
	BlockSize, NumBlocks int
	// Archive, when its Dir is set, keeps every frame the capture sockets
	// return in rotating gzip pcapng files (internal/pcaparchive), one
	// Writer per capture worker, marked so that ingest skips them.
	Archive Archive
	// Pending is how many intervals whose commit failed are kept to be
	// retried at the next interval (default 30); beyond it the oldest is
	// given up and its packets are counted as queue drops of the next
	// interval committed.
	Pending int
	// Evidence bounds the evidence each worker keeps of an interval: the
	// payloads the exploit classifier inspected, with their counts
	// (package evidence, docs/rules.md "Evidence"), committed with the
	// interval so that `rules backfill` can re-run rule sets over live
	// traffic. NoEvidence keeps none.
	Evidence   evidence.Options
	NoEvidence bool
}

// Archive configures the raw packet archive (zero limits: the
// pcaparchive defaults).
type Archive struct {
	Dir                  string
	FileBytes, KeepBytes int64
	FileAge, KeepAge     time.Duration
}

// Store is what the capture needs of the store (a store.Store fits).
type Store interface {
	store.Writer
	// Location is the zone the store's days are in.
	Location() *time.Location
}

// Dependencies of the live capture.
type Dependencies struct {
	Store  Store                        // where intervals are committed (required)
	Locate func(netip.Addr) store.Place // geolocation (nil: every country "??")
	// Exploits is the exploit matcher (nil: the built-in pattern set).
	Exploits classify.ExploitMatcher
	// RuleSet is the id of the stored rule set Exploits classifies with,
	// recorded in each interval's ingest log (store.Ingest.RuleSet; 0: the
	// built-in rules or patterns alone).
	RuleSet int32
	// CountryDB, ASNDB name the geolocation databases in the ingest log;
	// Version is honeyscope's version.
	CountryDB, ASNDB, Version string
	// GeoDatabases, when set, names the databases in use at each commit
	// instead of CountryDB and ASNDB (they change when serve reloads them).
	GeoDatabases func() (countryDB, asnDB string)
	// Now is the clock (nil: time.Now).
	Now func() time.Time
	// Open opens one capture socket of an interface: worker w of n (nil:
	// AF_PACKET). Tests feed frames through it.
	Open func(ifc Interface, w, n int, cfg Configuration) (Source, error)
}

// Component is the live capture.
type Component struct {
	r    *daemon.Reporter
	log  *slog.Logger
	cfg  Configuration
	deps Dependencies
	ifcs []*capIface
	m    metrics

	gen   atomic.Uint64 // interval generation: workers hand over their counts when it changes
	final atomic.Uint64 // the last generation, set before it begins: workers stop after handing it over

	// tick, when set (tests), ends an interval instead of the timer.
	tick chan struct{}

	mu      sync.Mutex
	started bool
	stopped bool
	stop    chan struct{}
	done    chan struct{}
	workers sync.WaitGroup
}

// capIface is one interface's capture: its sockets' workers and what is
// waiting to be committed.
type capIface struct {
	Interface
	nets    []netip.Prefix
	sensor  store.Sensor
	workers []*worker
	parts   chan part // each worker's counts at a generation change
	pending []*interval
	carry   drops // counts of intervals given up, added to the next one committed
}

// New returns the live capture for cfg. Nothing is opened until Start.
func New(r *daemon.Reporter, cfg Configuration, deps Dependencies) (*Component, error) {
	if r == nil {
		r = daemon.NewReporter(nil)
	}
	if deps.Store == nil {
		return nil, errors.New("live capture: no store")
	}
	if len(cfg.Interfaces) == 0 {
		return nil, errors.New("live capture: no interface")
	}
	if cfg.CommitInterval <= 0 {
		cfg.CommitInterval = 10 * time.Second
	}
	if cfg.CommitInterval < time.Second {
		return nil, fmt.Errorf("live capture: commit interval %v is shorter than a second", cfg.CommitInterval)
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 1
	}
	if cfg.Workers > 64 {
		return nil, fmt.Errorf("live capture: %d workers per interface (at most 64)", cfg.Workers)
	}
	if cfg.Pending <= 0 {
		cfg.Pending = 30
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	if deps.Exploits == nil {
		deps.Exploits = classify.NewBuiltinExploits()
	}
	if deps.Open == nil {
		deps.Open = openSource
	}
	c := &Component{r: r, log: r.Logger("capture"), cfg: cfg, deps: deps}
	seen := map[string]bool{}
	for _, ifc := range cfg.Interfaces {
		if ifc.Name == "" || strings.ContainsAny(ifc.Name, "/ \t\n\x00") || len(ifc.Name) > 15 {
			return nil, fmt.Errorf("live capture: interface name %q", ifc.Name)
		}
		if seen[ifc.Name] {
			return nil, fmt.Errorf("live capture: interface %s given twice", ifc.Name)
		}
		seen[ifc.Name] = true
		if ifc.Sensor == "" {
			ifc.Sensor = ifc.Name
		}
		if err := ingest.CheckSensor(ifc.Sensor); err != nil {
			return nil, fmt.Errorf("live capture: interface %s: %w", ifc.Name, err)
		}
		if ifc.Filter != "" && ifc.BPF == nil {
			if _, nf, _ := nflogGroup(ifc.Name); nf {
				return nil, fmt.Errorf("live capture: interface %s: an NFLOG group takes no capture filter", ifc.Name)
			}
			prog, err := bpfexpr.Compile(ifc.Filter, bpfexpr.LinkEthernet)
			if err != nil {
				return nil, fmt.Errorf("live capture: interface %s: %w", ifc.Name, err)
			}
			ifc.BPF = prog
		}
		nets, err := ingest.ParseNets(ifc.SensorNets)
		if err != nil {
			return nil, fmt.Errorf("live capture: interface %s: %w", ifc.Name, err)
		}
		c.ifcs = append(c.ifcs, &capIface{
			Interface: ifc, nets: nets,
			sensor: ingest.SensorOf(ifc.Sensor, nets),
			parts:  make(chan part, cfg.Workers),
		})
	}
	if err := c.initMetrics(); err != nil {
		return nil, err
	}
	return c, nil
}

// Start opens every capture socket and starts capturing; the first
// interval begins now. An interface that cannot be opened fails Start,
// with every socket already opened closed again.
func (c *Component) Start(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.started {
		return errors.New("live capture: started twice")
	}
	loc := c.deps.Store.Location()
	if dir := c.cfg.Archive.Dir; dir != "" {
		if left, err := pcaparchive.Leftovers(dir); err == nil && len(left) > 0 {
			c.log.Warn("incomplete archive files from an earlier run (kept under .part; gzip -dc recovers what they hold)", "dir", dir, "files", len(left), "first", left[0])
		}
	}
	for _, ci := range c.ifcs {
		for w := 0; w < c.cfg.Workers; w++ {
			src, err := c.deps.Open(ci.Interface, w, c.cfg.Workers, c.cfg)
			if err != nil {
				c.closeSources()
				return fmt.Errorf("live capture on %s: %w", ci.Name, err)
			}
			wk := newWorker(c, ci, src, loc)
			ci.workers = append(ci.workers, wk)
			if c.cfg.Archive.Dir != "" {
				a := c.cfg.Archive
				wk.arc, err = pcaparchive.New(pcaparchive.Config{
					Dir: a.Dir, Prefix: ci.Name, Sensor: ci.Sensor, Interface: ci.Name, Version: c.deps.Version,
					LinkType: layers.LinkType(src.Link()), MaxFileBytes: a.FileBytes, MaxFileAge: a.FileAge,
					Location: loc, MaxAge: a.KeepAge, MaxTotalBytes: a.KeepBytes, Now: c.deps.Now, Log: c.log,
				})
				if err != nil {
					c.closeSources()
					return fmt.Errorf("live capture on %s: archive: %w", ci.Name, err)
				}
			}
		}
	}
	c.started = true
	c.stop = make(chan struct{})
	c.done = make(chan struct{})
	start := c.deps.Now()
	for _, ci := range c.ifcs {
		for _, w := range ci.workers {
			c.workers.Add(1)
			go func() {
				defer c.workers.Done()
				w.run()
			}()
		}
		c.log.Info("capturing", "interface", ci.Name, "sensor", ci.Sensor, "sensor_net", ci.sensor.Nets, "workers", len(ci.workers))
	}
	go c.loop(start, loc)
	return nil
}

func (c *Component) closeSources() {
	for _, ci := range c.ifcs {
		for _, w := range ci.workers {
			w.src.Close()
			if w.arc != nil {
				w.arc.Close()
			}
		}
		ci.workers = nil
	}
}

// Stop ends the capture: the current interval is committed (up to now),
// with the intervals still waiting, and the sockets are closed. It
// returns when that is done or ctx ends.
func (c *Component) Stop(ctx context.Context) error {
	c.mu.Lock()
	if !c.started || c.stopped {
		c.mu.Unlock()
		return nil
	}
	c.stopped = true
	close(c.stop)
	c.mu.Unlock()
	select {
	case <-c.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// FromConfig returns the Configuration of the config file's capture
// section (ring sizes and retries at their defaults).
func FromConfig(c config.Capture) Configuration {
	out := Configuration{CommitInterval: c.CommitInterval, Workers: c.Workers}
	if c.Archive.On() {
		a := c.Archive
		out.Archive = Archive{Dir: a.Dir, FileBytes: a.FileBytes, FileAge: a.FileAge, KeepAge: a.KeepAge, KeepBytes: a.KeepBytes}
	}
	for _, ifc := range c.Interfaces {
		out.Interfaces = append(out.Interfaces, Interface{
			Name: ifc.Name, Sensor: ifc.Sensor, SensorNets: ifc.SensorNet, Promisc: ifc.Promisc,
			Filter: ifc.Filter,
		})
	}
	return out
}

// openSource opens an interface's capture socket: an NFLOG group for
// "nflog:N", else AF_PACKET.
func openSource(ifc Interface, w, n int, cfg Configuration) (Source, error) {
	group, isNFLOG, err := nflogGroup(ifc.Name)
	if err != nil {
		return nil, err
	}
	if !isNFLOG {
		return openAFPacket(ifc, w, n, cfg)
	}
	if n > 1 {
		return nil, fmt.Errorf("interface %s: an NFLOG group has one reader; set workers to 1", ifc.Name)
	}
	return openNFLOG(group)
}
