package config

import (
	"slices"
	"strings"
	"time"
)

// Defaults of the honeypot section.
const (
	DefaultName           = "honeypot"
	DefaultCommitInterval = 10 * time.Second
	DefaultFilter         = FilterDrop
	DefaultPolicy         = PolicyAfter
	DefaultAfterTries     = 2
	// DefaultRedirect is the redirect port NFT uses when redirect_port is
	// not set (it then says to set it).
	DefaultRedirect uint16 = 65000
)

// Filter values: what a source outside allow_countries gets.
const (
	FilterDrop   = "drop"   // accepted and closed without a byte
	FilterRefuse = "refuse" // reset
)

// Credential policies (Credentials.Policy).
const (
	PolicyList  = "list"  // only the pairs of Accept
	PolicyAny   = "any"   // every attempt succeeds
	PolicyAfter = "after" // any pair after AfterTries failures in the session
	PolicyMirai = "mirai" // the Mirai bot's credential table, plus Accept
)

// Policies lists the credential policies.
var Policies = []string{PolicyList, PolicyAny, PolicyAfter, PolicyMirai}

// Arches lists the CPU architectures the shell can emulate.
var Arches = []string{"arm", "arm5", "arm6", "arm7", "aarch64", "mips", "mipsel", "mips64", "x86", "x86_64", "powerpc", "sh4", "m68k", "sparc"}

// Service names, in the order listeners are described.
const (
	ServiceTelnet  = "telnet"
	ServiceSSH     = "ssh"
	ServiceHTTP    = "http"
	ServiceGeneric = "generic"
)

// DefaultPorts returns a new copy of a service's default ports.
func DefaultPorts(service string) []uint16 {
	switch service {
	case ServiceTelnet:
		return []uint16{23, 2323}
	case ServiceSSH:
		return []uint16{22}
	case ServiceHTTP:
		return []uint16{80, 8080, 81, 8000, 8443, 7547, 37215, 52869}
	case ServiceGeneric:
		return []uint16{445, 5555, 6379, 9000, 1433, 3389}
	}
	return nil
}

// DefaultTLSPorts are the HTTP ports that speak TLS by default (when listened).
func DefaultTLSPorts() []uint16 { return []uint16{8443} }

// DefaultArch returns the default emulated architectures (telnet and SSH).
func DefaultArch() []string { return []string{"arm7", "mips", "mipsel", "x86_64"} }

// DefaultBind returns the default listen addresses: every IPv4 and IPv6 address.
func DefaultBind() []string { return []string{"0.0.0.0", "::"} }

// DefaultLimits returns the default limits.
func DefaultLimits() Limits {
	return Limits{
		Connections:     20000,
		PerSource:       32,
		SessionBytes:    4 << 20,
		LineBytes:       16 << 10,
		Commands:        5000,
		FSBytes:         8 << 20,
		Idle:            3 * time.Minute,
		Session:         15 * time.Minute,
		HTTPBody:        64 << 10,
		FirstBytes:      4 << 10,
		PendingSessions: 100000,
	}
}

// shellService reports whether a service runs the emulated shell.
func shellService(name string) bool { return name == ServiceTelnet || name == ServiceSSH }

// Services returns the four services by name, in order (pointers into h).
func (h *Honeypot) Services() []NamedService {
	return []NamedService{
		{ServiceTelnet, &h.Telnet},
		{ServiceSSH, &h.SSH},
		{ServiceHTTP, &h.HTTP},
		{ServiceGeneric, &h.Generic},
	}
}

// NamedService is a service of a Honeypot with its name.
type NamedService struct {
	Name string
	*Service
}

// ApplyDefaults fills every unset value of h with its default: name
// "honeypot", bind 0.0.0.0 and ::, commit interval 10s, filter "drop",
// each service's default ports when its Ports is nil (an empty, non-nil
// list keeps the service off), HTTP's TLS port 8443 when listened and
// tls_ports is not set, the default architectures for telnet and SSH,
// credentials policy "after" with 2 tries, and the limits of
// DefaultLimits. Country codes are upper-cased. Values already set are
// kept; Redirect 0 stays 0 (no redirect listener), empty allow_countries
// stays empty (every country), an empty banner or hostname leaves the
// listener's own.
func (h *Honeypot) ApplyDefaults() {
	if h.Name == "" {
		h.Name = DefaultName
	}
	if len(h.Bind) == 0 {
		h.Bind = DefaultBind()
	}
	if h.CommitInterval == 0 {
		h.CommitInterval = DefaultCommitInterval
	}
	if h.Filter == "" {
		h.Filter = DefaultFilter
	}
	h.AllowCountries = upperAll(h.AllowCountries)
	for _, s := range h.Services() {
		if s.Ports == nil {
			s.Ports = DefaultPorts(s.Name)
		}
		if s.TLSPorts == nil {
			s.TLSPorts = []uint16{}
			if s.Name == ServiceHTTP {
				for _, p := range DefaultTLSPorts() {
					if slices.Contains(s.Ports, p) {
						s.TLSPorts = append(s.TLSPorts, p)
					}
				}
			}
		}
		if len(s.Arch) == 0 && shellService(s.Name) {
			s.Arch = DefaultArch()
		}
		s.AllowCountries = upperAll(s.AllowCountries)
	}
	c := &h.Credentials
	if c.Policy == "" {
		c.Policy = DefaultPolicy
	}
	if c.AfterTries == 0 {
		c.AfterTries = DefaultAfterTries
	}
	h.Limits.applyDefaults()
}

func (l *Limits) applyDefaults() {
	d := DefaultLimits()
	set := func(v *int, def int) {
		if *v == 0 {
			*v = def
		}
	}
	set64 := func(v *int64, def int64) {
		if *v == 0 {
			*v = def
		}
	}
	setDur := func(v *time.Duration, def time.Duration) {
		if *v == 0 {
			*v = def
		}
	}
	set(&l.Connections, d.Connections)
	set(&l.PerSource, d.PerSource)
	set64(&l.SessionBytes, d.SessionBytes)
	set(&l.LineBytes, d.LineBytes)
	set(&l.Commands, d.Commands)
	set64(&l.FSBytes, d.FSBytes)
	setDur(&l.Idle, d.Idle)
	setDur(&l.Session, d.Session)
	set(&l.HTTPBody, d.HTTPBody)
	set(&l.FirstBytes, d.FirstBytes)
	set(&l.PendingSessions, d.PendingSessions)
}

// upperAll returns a new slice of the codes upper-cased (nil stays nil).
func upperAll(codes []string) []string {
	if codes == nil {
		return nil
	}
	out := make([]string, len(codes))
	for i, c := range codes {
		out[i] = strings.ToUpper(strings.TrimSpace(c))
	}
	return out
}

// Countries returns the allow list in force for a service: its own when
// set, else the sensor-wide one (empty: every country).
func (h *Honeypot) Countries(s *Service) []string {
	if len(s.AllowCountries) > 0 {
		return s.AllowCountries
	}
	return h.AllowCountries
}

// DefaultArchive returns the capture archive's defaults (no directory:
// no archive until one is given).
func DefaultArchive() Archive {
	return Archive{FileBytes: 256 << 20, FileAge: time.Hour, KeepAge: 30 * 24 * time.Hour, KeepBytes: 10 << 30}
}

// ApplyDefaults fills the archive settings left out.
func (a *Archive) ApplyDefaults() {
	d := DefaultArchive()
	if a.FileBytes == 0 {
		a.FileBytes = d.FileBytes
	}
	if a.FileAge == 0 {
		a.FileAge = d.FileAge
	}
	if a.KeepAge == 0 {
		a.KeepAge = d.KeepAge
	}
	if a.KeepBytes == 0 {
		a.KeepBytes = d.KeepBytes
	}
}
