package honeypot

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/honeyscope/honeyscope/internal/config"
	"github.com/honeyscope/honeyscope/internal/session"
)

// Default settings used where the configuration is silent.
var (
	// DefaultPorts are the ports of each service when its list is nil.
	DefaultPorts = map[string][]uint16{
		session.Telnet:  {23, 2323},
		session.SSH:     {22},
		session.HTTP:    {80, 8080, 81, 8000, 8443, 7547, 37215, 52869},
		session.Generic: {445, 5555, 6379, 9000, 1433, 3389},
	}
	// DefaultTLSPorts are the HTTP ports speaking TLS when TLSPorts is nil.
	DefaultTLSPorts = []uint16{8443}
	// DefaultBind are the addresses listened on when Bind is empty.
	DefaultBind = []string{"0.0.0.0", "::"}
	// DefaultArch are the architectures of telnet and SSH sessions.
	DefaultArch = []string{"arm7", "mips", "mipsel", "x86_64"}
)

// Defaults of the scalar settings.
const (
	DefaultName           = "honeypot"
	DefaultCommitInterval = 10 * time.Second
	DefaultConnections    = 20000
	DefaultPerSource      = 32
)

// services in the order listeners are opened.
var services = []string{session.Telnet, session.SSH, session.HTTP, session.Generic}

// settings is a validated configuration.
type settings struct {
	cfg         config.Honeypot
	limits      session.Limits
	connections int
	perSource   int
	refuse      bool // filtered sources get a reset (else: dropped)
	specs       []spec
	portBanners map[uint16]string
}

// spec is one listened port of a service on one address.
type spec struct {
	service  string
	addr     netip.Addr
	port     uint16
	tls      bool
	redirect bool     // the redirect port: recover the original destination
	allow    []string // allowed countries (empty: all)
	bindSet  bool     // the address was configured (not a default)
}

func serviceConfig(c *config.Honeypot, svc string) *config.Service {
	switch svc {
	case session.Telnet:
		return &c.Telnet
	case session.SSH:
		return &c.SSH
	case session.HTTP:
		return &c.HTTP
	}
	return &c.Generic
}

func countries(list []string) []string {
	var out []string
	for _, c := range list {
		c = strings.ToUpper(strings.TrimSpace(c))
		if c != "" && !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out
}

// resolve validates c and fills in defaults.
func resolve(c config.Honeypot) (*settings, error) {
	if c.Name == "" {
		c.Name = DefaultName
	}
	if c.CommitInterval <= 0 {
		c.CommitInterval = DefaultCommitInterval
	}
	s := &settings{cfg: c, connections: c.Limits.Connections, perSource: c.Limits.PerSource}
	if s.connections <= 0 {
		s.connections = DefaultConnections
	}
	if s.perSource <= 0 {
		s.perSource = DefaultPerSource
	}
	switch c.Filter {
	case "", "drop":
	case "refuse":
		s.refuse = true
	default:
		return nil, fmt.Errorf("honeypot.filter %q: want drop or refuse", c.Filter)
	}
	s.limits = limitsOf(c.Limits)

	bind := c.Bind
	bindSet := len(bind) > 0
	if !bindSet {
		bind = DefaultBind
	}
	var addrs []netip.Addr
	for _, b := range bind {
		a, err := netip.ParseAddr(strings.Trim(b, "[]"))
		if err != nil {
			return nil, fmt.Errorf("honeypot.bind %q: not an IP address", b)
		}
		addrs = append(addrs, a.Unmap())
	}
	sensorAllow := countries(c.AllowCountries)
	seen := map[netip.AddrPort]string{}
	add := func(sp spec) error {
		k := netip.AddrPortFrom(sp.addr, sp.port)
		if other, dup := seen[k]; dup && sp.port != 0 {
			return fmt.Errorf("honeypot: port %d is both %s and %s", sp.port, other, sp.service)
		}
		seen[k] = sp.service
		s.specs = append(s.specs, sp)
		return nil
	}
	for _, svc := range services {
		sc := serviceConfig(&c, svc)
		ports := sc.Ports
		if ports == nil {
			ports = DefaultPorts[svc]
		}
		tlsPorts := sc.TLSPorts
		if tlsPorts == nil && svc == session.HTTP {
			tlsPorts = DefaultTLSPorts
		}
		allow := sensorAllow
		if len(sc.AllowCountries) > 0 {
			allow = countries(sc.AllowCountries)
		}
		for _, p := range ports {
			for _, a := range addrs {
				if err := add(spec{service: svc, addr: a, port: p, tls: slices.Contains(tlsPorts, p), allow: allow, bindSet: bindSet}); err != nil {
					return nil, err
				}
			}
		}
	}
	if c.Redirect != 0 {
		allow := sensorAllow
		if len(c.Generic.AllowCountries) > 0 {
			allow = countries(c.Generic.AllowCountries)
		}
		for _, a := range addrs {
			if err := add(spec{service: session.Generic, addr: a, port: c.Redirect, redirect: true, allow: allow, bindSet: bindSet}); err != nil {
				return nil, err
			}
		}
	}
	s.portBanners = map[uint16]string{}
	for k, v := range c.Generic.PortBanners {
		p, err := strconv.ParseUint(k, 10, 16)
		if err != nil {
			return nil, fmt.Errorf("honeypot.generic.port_banners: %q is not a port", k)
		}
		s.portBanners[uint16(p)] = v
	}
	if len(s.specs) == 0 {
		return nil, errors.New("honeypot: no port to listen on")
	}
	return s, nil
}

// limitsOf returns the session limits of a configuration (defaults where zero).
func limitsOf(l config.Limits) session.Limits {
	lim := session.DefaultLimits()
	if l.SessionBytes > 0 {
		lim.Bytes = l.SessionBytes
	}
	if l.LineBytes > 0 {
		lim.Line = l.LineBytes
	}
	if l.Commands > 0 {
		lim.Commands = l.Commands
	}
	if l.FSBytes > 0 {
		lim.FSBytes = l.FSBytes
	}
	if l.Idle > 0 {
		lim.Idle = l.Idle
	}
	if l.Session > 0 {
		lim.Total = l.Session
	}
	if l.HTTPBody > 0 {
		lim.Body = l.HTTPBody
	}
	if l.FirstBytes > 0 {
		lim.FirstBytes = l.FirstBytes
	}
	return lim
}
