package config

import (
	"fmt"
	"maps"
	"slices"
)

// QuickStart holds the honeypot flags of `honeyscope serve` (quick start
// without a file, or overriding one): --honeypot, --bind, --telnet, --ssh,
// --http, --https, --generic, --name, --allow-countries, and the API's
// --listen. Empty values are flags not given.
type QuickStart struct {
	Honeypot       bool     // --honeypot: enable the honeypot
	Bind           []string // --bind ADDR,...
	Telnet         []uint16 // --telnet PORT,...
	SSH            []uint16 // --ssh PORT,...
	HTTP           []uint16 // --http PORT,... (plain HTTP)
	HTTPS          []uint16 // --https PORT,... (HTTP over TLS)
	Generic        []uint16 // --generic PORT,...
	Name           string   // --name SENSOR
	AllowCountries []string // --allow-countries JP,...
	// Listen is serve's --listen (the API's address), given here so that
	// the honeypot's ports are checked against the address in force.
	Listen string
}

// anyPorts reports whether a port flag was given.
func (q *QuickStart) anyPorts() bool {
	return len(q.Telnet)+len(q.SSH)+len(q.HTTP)+len(q.HTTPS)+len(q.Generic) > 0
}

// FromFlags merges the quick-start flags over base (a File from Load, or
// nil for none), applies the defaults and validates the result; base is
// not changed. Flags win over the file:
//
//   - --honeypot, or any port flag, enables the honeypot;
//   - --bind, --name, --allow-countries and --listen replace the file's values;
//   - a port flag replaces that service's ports (--http and --https
//     together are the HTTP ports, --https the TLS ones); when any port
//     flag is given, a service that neither a flag nor the file gave
//     ports is off, so `--telnet 2323` alone listens on 2323 only; with no
//     port flag, the file's ports (or the default set) stay.
//
// Errors name the flag a value came from, or the file's key and line.
func FromFlags(base *File, q QuickStart) (*File, error) {
	f := &File{}
	if base != nil {
		*f = *base
	}
	src := newSource()
	if base != nil && base.src != nil {
		maps.Copy(src.lines, base.src.lines)
		maps.Copy(src.set, base.src.set)
		maps.Copy(src.flags, base.src.flags)
	} else if base != nil {
		// A File made in code: everything it holds counts as given.
		markGiven(src, &base.Honeypot)
	}
	f.src = src
	h := &f.Honeypot
	const hp = "honeypot."
	if q.Listen != "" {
		f.Listen = q.Listen
		src.flags["listen"] = "--listen"
	}
	if q.Honeypot {
		h.Enabled = true
		src.flags[hp+"enabled"] = "--honeypot"
	}
	if len(q.Bind) > 0 {
		h.Bind = slices.Clone(q.Bind)
		src.flags[hp+"bind"] = "--bind"
	}
	if q.Name != "" {
		h.Name = q.Name
		src.flags[hp+"name"] = "--name"
	}
	if len(q.AllowCountries) > 0 {
		h.AllowCountries = slices.Clone(q.AllowCountries)
		src.flags[hp+"allow_countries"] = "--allow-countries"
	}
	if q.anyPorts() {
		if !q.Honeypot && !h.Enabled {
			h.Enabled = true
			src.flags[hp+"enabled"] = "a port flag"
		}
		set := func(name string, s *Service, ports []uint16, flag string) {
			key := hp + name + ".ports"
			switch {
			case len(ports) > 0:
				s.Ports = slices.Clone(ports)
				src.flags[key] = flag
			case !f.given(key):
				s.Ports = []uint16{} // off: only the services of the flags listen
				src.flags[key] = "no " + flag + " among the port flags"
			}
		}
		set(ServiceTelnet, &h.Telnet, q.Telnet, "--telnet")
		set(ServiceSSH, &h.SSH, q.SSH, "--ssh")
		set(ServiceGeneric, &h.Generic, q.Generic, "--generic")
		if len(q.HTTP)+len(q.HTTPS) > 0 {
			key := hp + "http.ports"
			h.HTTP.Ports = append(slices.Clone(q.HTTP), q.HTTPS...)
			h.HTTP.TLSPorts = slices.Clone(q.HTTPS)
			if h.HTTP.TLSPorts == nil {
				h.HTTP.TLSPorts = []uint16{}
			}
			if len(q.HTTP) > 0 {
				src.flags[key] = "--http"
			} else {
				src.flags[key] = "--https"
			}
			for i := range q.HTTPS {
				src.flags[fmt.Sprintf("%s[%d]", key, len(q.HTTP)+i)] = "--https"
			}
			src.flags[hp+"http.tls_ports"] = "--https"
		} else if !f.given(hp + "http.ports") {
			h.HTTP.Ports, h.HTTP.TLSPorts = []uint16{}, []uint16{}
			src.flags[hp+"http.ports"] = "no --http among the port flags"
		}
	}
	h.ApplyDefaults()
	f.Capture.Archive.ApplyDefaults()
	if err := f.Validate(); err != nil {
		return nil, err
	}
	return f, nil
}

// markGiven records the port lists a File made in code holds as given.
func markGiven(src *source, h *Honeypot) {
	for _, s := range h.Services() {
		if s.Ports != nil {
			src.set["honeypot."+s.Name+".ports"] = true
		}
	}
}
