package main

import (
	"context"
	"fmt"
	"io"
	"net/netip"
	"strings"

	"github.com/spf13/pflag"

	"github.com/honeyscope/honeyscope/internal/classify"
	svcconfig "github.com/honeyscope/honeyscope/internal/config"
	"github.com/honeyscope/honeyscope/internal/daemon"
	"github.com/honeyscope/honeyscope/internal/livecap"
	geocomp "github.com/honeyscope/honeyscope/internal/locator"
	"github.com/honeyscope/honeyscope/internal/ruleset"
	"github.com/honeyscope/honeyscope/internal/store"
)

// captureOptions are serve's live capture flags (the config file's
// capture section says the same for several interfaces).
type captureOptions struct {
	interfaces []string
	sensorNet  []string
	sensor     string
	promisc    bool
	workers    int
	filter     string
	archiveDir string
	rules      []string
}

func (o *captureOptions) register(f *pflag.FlagSet) {
	f.StringSliceVar(&o.interfaces, "interface", nil, "capture every inbound packet on `IF` live (AF_PACKET; repeat or comma-separate for several) and commit it each --commit-interval, as files are ingested")
	f.StringSliceVar(&o.sensorNet, "sensor-net", nil, "with --interface: the sensor's `CIDRs` (only packets addressed to them count; default every packet)")
	f.StringVar(&o.sensor, "sensor", "", "with --interface: the sensor `NAME` the captured rows carry (default the interface name)")
	f.BoolVar(&o.promisc, "promisc", false, "with --interface: capture in promiscuous mode")
	f.StringVar(&o.filter, "filter", "", "with --interface: a capture filter `EXPR` in tcpdump's language (\"not port 22\"), compiled with tcpdump")
	f.StringVar(&o.archiveDir, "archive-dir", "", "with --interface: keep the raw packets in rotating gzip pcapng files in `DIR` (ingest recognises them as already counted)")
	f.StringSliceVar(&o.rules, "rules", nil, "live capture classifies exploits with these rule `PATHS` (files or directories, Suricata syntax) and the built-in rules; replaces the configuration's rules")
	f.IntVar(&o.workers, "capture-workers", 0, "with --interface: capture sockets per interface, spread by the kernel (default 1)")
}

// apply merges the flags into the configuration's capture section.
func (o *captureOptions) apply(f *svcconfig.File) error {
	if len(o.rules) > 0 {
		f.Rules = o.rules
	}
	if len(o.interfaces) == 0 {
		if len(o.sensorNet) > 0 || o.sensor != "" || o.promisc || o.workers != 0 || o.filter != "" || o.archiveDir != "" {
			return fmt.Errorf("--sensor-net, --sensor, --promisc, --filter, --archive-dir and --capture-workers need --interface")
		}
		return nil
	}
	for _, n := range o.sensorNet {
		if _, err := netip.ParsePrefix(n); err != nil {
			if _, err2 := netip.ParseAddr(n); err2 != nil {
				return fmt.Errorf("--sensor-net %q: not a CIDR or address", n)
			}
		}
	}
	if o.workers < 0 {
		return fmt.Errorf("--capture-workers %d: want at least 1", o.workers)
	}
	for _, name := range o.interfaces {
		name = strings.TrimSpace(name)
		if name == "" {
			return fmt.Errorf("--interface: empty interface name")
		}
		f.Capture.Interfaces = append(f.Capture.Interfaces, svcconfig.CaptureInterface{
			Name: name, Sensor: o.sensor, SensorNet: o.sensorNet, Promisc: o.promisc, Filter: o.filter,
		})
	}
	if o.archiveDir != "" {
		f.Capture.Archive.Dir = o.archiveDir
	}
	if o.workers > 0 {
		f.Capture.Workers = o.workers
	}
	return nil
}

// newCapture builds the live capture component, or nil when no interface
// is configured.
func newCapture(r *daemon.Reporter, section svcconfig.Capture, st store.Store, geoC *geocomp.Component, exploits classify.ExploitMatcher, ruleSet int32) (*livecap.Component, error) {
	if len(section.Interfaces) == 0 {
		return nil, nil
	}
	cfg := livecap.FromConfig(section)
	deps := livecap.Dependencies{Store: st, Version: version, Exploits: exploits, RuleSet: ruleSet}
	if geoC != nil {
		deps.Locate = func(a netip.Addr) store.Place {
			i := geoC.Lookup(a)
			return store.Place{Country: i.Country, ASN: i.ASN, Org: i.Org, Special: i.Special}
		}
		deps.GeoDatabases = func() (country, asn string) {
			for _, d := range geoC.Databases() {
				switch d.Kind {
				case "country":
					country = dbDesc(d)
				case "asn":
					asn = dbDesc(d)
				}
			}
			return country, asn
		}
	}
	return livecap.New(r, cfg, deps)
}

// captureRules compiles the configuration's rules (rules: or --rules) with
// the built-in rules into live capture's exploit matcher and stores their
// files in st as an ad-hoc rule set (once per content, as ingest --rules
// does), whose id live intervals record; without rules, the built-in rule
// file alone (as ingest uses) and no rule set (0).
func captureRules(ctx context.Context, f *svcconfig.File, st store.Store, errw io.Writer) (classify.ExploitMatcher, int32, error) {
	if f == nil || len(f.Rules) == 0 {
		m, err := ruleset.Builtin()
		return m, 0, err
	}
	m, files, err := loadPipelineRules(f.Rules, errw)
	if err != nil {
		return nil, 0, fmt.Errorf("config \"rules\": %w", err)
	}
	id, err := addAdHocRuleSet(ctx, st, files)
	if err != nil {
		return nil, 0, fmt.Errorf("config \"rules\": storing the rule set: %w", err)
	}
	return m, id, nil
}
