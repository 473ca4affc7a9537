package main

import (
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/pflag"

	svcconfig "github.com/honeyscope/honeyscope/internal/config"
	"github.com/honeyscope/honeyscope/internal/cowrie"
	"github.com/honeyscope/honeyscope/internal/daemon"
	"github.com/honeyscope/honeyscope/internal/honeypot"
	geocomp "github.com/honeyscope/honeyscope/internal/locator"
	"github.com/honeyscope/honeyscope/internal/samplestore"
	"github.com/honeyscope/honeyscope/internal/session"
	"github.com/honeyscope/honeyscope/internal/store"
)

// honeypotOptions are serve's honeypot flags: the quick start without a
// config file, and the two printing helpers.
type honeypotOptions struct {
	enable         bool
	bind           []string
	telnet, ssh    []int
	http, https    []int
	generic        []int
	name           string
	allow          []string
	commitInterval time.Duration
	sampleDir      string
	eventLog       string

	exampleConfig bool
	exampleFormat string
	printNFT      bool
	nftIface      string
}

func (o *honeypotOptions) register(f *pflag.FlagSet) {
	f.BoolVar(&o.enable, "honeypot", false, "run the honeypot listeners (default ports unless port flags or the config's honeypot section say otherwise; docs/honeypot.md)")
	f.StringSliceVar(&o.bind, "bind", nil, "honeypot listen `ADDR`s, comma-separated (default 0.0.0.0 and ::)")
	f.IntSliceVar(&o.telnet, "telnet", nil, "honeypot telnet `PORTS` (default 23,2323)")
	f.IntSliceVar(&o.ssh, "ssh", nil, "honeypot SSH `PORTS` (default 22)")
	f.IntSliceVar(&o.http, "http", nil, "honeypot HTTP `PORTS` (default 80,8080,81,8000,7547,37215,52869)")
	f.IntSliceVar(&o.https, "https", nil, "honeypot HTTP-over-TLS `PORTS` (default 8443)")
	f.IntSliceVar(&o.generic, "generic", nil, "honeypot generic `PORTS` that record the first bytes (default 445,5555,6379,9000,1433,3389)")
	f.StringVar(&o.name, "name", "", "honeypot sensor `NAME` every row carries (default honeypot)")
	f.StringSliceVar(&o.allow, "allow-countries", nil, "domestic-only mode: answer only sources placed in these `CC`s (e.g. JP); others are recorded, not answered")
	f.DurationVar(&o.commitInterval, "commit-interval", 0, "how often honeypot sessions and live-captured packets are committed (default 10s)")
	f.StringVar(&o.sampleDir, "sample-dir", "", "`DIR` of dropped samples (default: samples beside the store)")
	f.StringVar(&o.eventLog, "event-log", "", "append every honeypot event to `FILE` as Cowrie-format JSON lines (docs/cowrie.md)")
	f.BoolVar(&o.exampleConfig, "example-config", false, "print a documented example configuration file and exit")
	f.StringVar(&o.exampleFormat, "format", "yaml", "format of --example-config: yaml or toml")
	f.BoolVar(&o.printNFT, "print-nft", false, "print the nftables ruleset that sends every other TCP port to the redirect listener, and exit")
	f.StringVar(&o.nftIface, "nft-iface", "", "with --print-nft: only redirect traffic arriving on `IFACE`")
}

// ports converts a port flag's values.
func ports(flag string, v []int) ([]uint16, error) {
	if v == nil {
		return nil, nil
	}
	out := make([]uint16, 0, len(v))
	for _, p := range v {
		if p < 1 || p > 65535 {
			return nil, fmt.Errorf("--%s %d: not a port (1-65535)", flag, p)
		}
		out = append(out, uint16(p))
	}
	return out, nil
}

// serviceFile is the service configuration serve runs with: the YAML/TOML
// file given with --config (if any) with the quick-start flags over it.
// listenSet says whether --listen was given; when it was not and the
// honeypot takes the API's default port, the API moves to 127.0.0.1:9180.
func (o *honeypotOptions) serviceFile(g *globals, listen *string, listenSet bool, stderr io.Writer) (*svcconfig.File, error) {
	var base *svcconfig.File
	if g.cfg != nil && g.cfg.svc != nil {
		base = g.cfg.svc
		if !listenSet && base.Listen != "" {
			*listen = base.Listen
			listenSet = true
		}
	}
	q := svcconfig.QuickStart{Honeypot: o.enable, Bind: o.bind, Name: o.name, AllowCountries: o.allow, Listen: *listen}
	var err error
	for _, p := range []struct {
		flag string
		v    []int
		dst  *[]uint16
	}{{"telnet", o.telnet, &q.Telnet}, {"ssh", o.ssh, &q.SSH}, {"http", o.http, &q.HTTP}, {"https", o.https, &q.HTTPS}, {"generic", o.generic, &q.Generic}} {
		if *p.dst, err = ports(p.flag, p.v); err != nil {
			return nil, err
		}
	}
	hpWanted := o.enable || q.Telnet != nil || q.SSH != nil || q.HTTP != nil || q.HTTPS != nil || q.Generic != nil ||
		(base != nil && base.Honeypot.Enabled)
	if hpWanted && !listenSet && apiClashes(base, q) {
		*listen = "127.0.0.1:9180"
		q.Listen = *listen
		fmt.Fprintf(stderr, "honeyscope serve: the honeypot listens on port 8080, so the API listens on %s (give --listen to choose)\n", *listen)
	}
	f, err := svcconfig.FromFlags(base, q)
	if err != nil {
		return nil, err
	}
	if o.commitInterval < 0 {
		return nil, fmt.Errorf("--commit-interval %s: want a positive duration", o.commitInterval)
	}
	if o.commitInterval > 0 {
		f.Honeypot.CommitInterval = o.commitInterval
	}
	if o.sampleDir != "" {
		f.Honeypot.SampleDir = o.sampleDir
	}
	if o.eventLog != "" {
		f.Honeypot.EventLog = o.eventLog
	}
	return f, nil
}

// apiClashes reports whether the honeypot the flags and file ask for would
// take the API's default port.
func apiClashes(base *svcconfig.File, q svcconfig.QuickStart) bool {
	q.Listen = "127.0.0.1:1" // a port honeypots do not take, so the merge validates
	f, err := svcconfig.FromFlags(base, q)
	if err != nil {
		return false // the real merge reports it
	}
	_, port, _ := strings.Cut(svcconfig.DefaultAPIListen, ":")
	for _, s := range f.Honeypot.Services() {
		for _, p := range s.Service.Ports {
			if fmt.Sprint(p) == port {
				return true
			}
		}
	}
	return false
}

// printHoneypotHelp handles --example-config and --print-nft; done is true
// when one of them ran.
func (o *honeypotOptions) printHelpers(w io.Writer, f func() (*svcconfig.File, error)) (done bool, err error) {
	switch {
	case o.exampleConfig:
		switch o.exampleFormat {
		case "yaml", "yml":
			fmt.Fprint(w, svcconfig.Example())
		case "toml":
			fmt.Fprint(w, svcconfig.ExampleTOML())
		default:
			return true, fmt.Errorf("--format %q: want yaml or toml", o.exampleFormat)
		}
		return true, nil
	case o.printNFT:
		file, err := f()
		if err != nil {
			return true, err
		}
		h := file.Honeypot
		h.ApplyDefaults()
		text, err := svcconfig.NFT(&h, o.nftIface)
		if err != nil {
			return true, fmt.Errorf("--nft-iface: %w", err)
		}
		fmt.Fprint(w, text)
		fmt.Fprintf(w, "# to remove it:\n#   %s", svcconfig.NFTRemove())
		return true, nil
	}
	return false, nil
}

// newHoneypot builds the honeypot component of serve, or nil when the
// configuration does not enable it. The sample store and the event log it
// opens are closed by the returned cleanup. Every session event also goes
// to the extra sinks (the URL fetcher).
func newHoneypot(r *daemon.Reporter, f *svcconfig.File, st store.Store, geoC *geocomp.Component, dbPath string, extra ...session.Sink) (*honeypot.Component, func(), error) {
	if f == nil || !f.Honeypot.Enabled {
		return nil, func() {}, nil
	}
	h := f.Honeypot
	dir := filepath.Dir(dbPath)
	sampleDir := h.SampleDir
	if sampleDir == "" {
		sampleDir = filepath.Join(dir, "samples")
	}
	samples, err := samplestore.Open(sampleDir, samplestore.Options{})
	if err != nil {
		return nil, nil, fmt.Errorf("honeypot sample store: %w", err)
	}
	stateDir := filepath.Join(dir, "honeypot-state")
	if err := os.MkdirAll(stateDir, 0o700); err != nil {
		return nil, nil, fmt.Errorf("honeypot state: %w", err)
	}
	var events session.Sink
	var ew *cowrie.Writer
	if h.EventLog != "" {
		ew, err = cowrie.OpenFile(h.EventLog, cowrie.WriterConfig{})
		if err != nil {
			return nil, nil, fmt.Errorf("honeypot event_log: %w", err)
		}
		events = ew
	}
	if len(extra) > 0 {
		if events != nil {
			extra = append([]session.Sink{events}, extra...)
		}
		events = teeSink(extra)
	}
	// The samples the honeypot commits are triaged in the background.
	tst, stopTriage := startTriager(st, samples, r.Logger("triage"))
	cleanup := func() {
		stopTriage()
		if ew != nil {
			ew.Close()
		}
	}
	var locate func(netip.Addr) store.Place
	if geoC != nil {
		locate = func(a netip.Addr) store.Place {
			i := geoC.Lookup(a)
			return store.Place{Country: i.Country, ASN: i.ASN, Org: i.Org, Special: i.Special}
		}
	}
	hp, err := honeypot.New(r, h, honeypot.Dependencies{
		Store:    tst,
		Samples:  samples,
		Locate:   locate,
		Events:   events,
		StateDir: stateDir,
	})
	if err != nil {
		cleanup()
		return nil, nil, err
	}
	return hp, cleanup, nil
}
