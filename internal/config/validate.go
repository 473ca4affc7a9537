package config

import (
	"fmt"
	"net"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/honeyscope/honeyscope/internal/bpfexpr"
)

// DefaultAPIListen is the API's address when the file and the flags give
// none (the api package's default): Validate checks the honeypot's ports
// against it.
const DefaultAPIListen = "127.0.0.1:8080"

// Bounds on text values.
const (
	MaxSensorLen = 64   // characters of a sensor name
	MaxBanner    = 4096 // bytes of a banner
	maxAccept    = 256  // bytes of one "user:password" pair
)

// Validate checks a File whose defaults are applied (Load and FromFlags
// call it): ports 1-65535 and none used twice (by two services, the
// redirect port, an admin port or the API), bind addresses that are IP
// addresses, known architectures and credential policies, "user:password"
// pairs, two-letter country codes, filter drop or refuse, positive limits.
// The *Error it returns names the key and the line (or the flag) of each
// problem.
func (f *File) Validate() error {
	v := &validator{f: f}
	v.file()
	if len(v.problems) == 0 {
		return nil
	}
	return &Error{Path: f.Path, Problems: v.problems, More: v.more}
}

type validator struct {
	f        *File
	problems []*Problem
	more     int
}

// where says where the value at path came from: a flag, else the line of
// the nearest key the file held.
func (f *File) where(path string) (line int, flag string) {
	if f.src == nil {
		return 0, ""
	}
	for p := path; p != ""; p = parentKey(p) {
		if fl, ok := f.src.flags[p]; ok {
			return 0, fl
		}
	}
	for p := path; p != ""; p = parentKey(p) {
		if l, ok := f.src.lines[p]; ok {
			return l, ""
		}
	}
	return 0, ""
}

// given reports whether the file or a flag set the value at path (not a default).
func (f *File) given(path string) bool {
	if f.src == nil {
		return true
	}
	for p := path; p != ""; p = parentKey(p) {
		if _, ok := f.src.flags[p]; ok {
			return true
		}
	}
	return f.src.set[path]
}

// at says, for a message about another value, where the value at path
// came from: " (line 9: honeypot.http.ports[1])", " (--http)", or "" for
// a default.
func (f *File) at(path string) string {
	line, flag := f.where(path)
	switch {
	case flag != "":
		return " (" + flag + ")"
	case f.src == nil:
		return ""
	case f.src.lines[path] > 0:
		return fmt.Sprintf(" (line %d: %s)", line, path)
	}
	return ""
}

// parentKey strips the last element of a key path: "a.b[1]" -> "a.b" -> "a".
func parentKey(p string) string {
	if strings.HasSuffix(p, "]") {
		if i := strings.LastIndexByte(p, '['); i >= 0 {
			return p[:i]
		}
	}
	if i := strings.LastIndexByte(p, '.'); i >= 0 {
		return p[:i]
	}
	return ""
}

func (v *validator) fail(path, format string, args ...any) {
	if len(v.problems) >= maxProblems {
		v.more++
		return
	}
	line, flag := v.f.where(path)
	v.problems = append(v.problems, &Problem{Line: line, Flag: flag, Key: path, Msg: fmt.Sprintf(format, args...)})
}

func (v *validator) file() {
	f := v.f
	apiHost, apiPort, apiOK := "", uint16(0), false
	listen := "listen " + f.Listen
	// Without listen the API's address is serve's to choose: it keeps
	// the default unless a listener takes that port, and then moves.
	if f.Listen != "" {
		apiHost, apiPort, apiOK = v.hostPort("listen", f.Listen)
	}
	if f.Lang != "" && f.Lang != "en" && f.Lang != "ja" {
		v.fail("lang", "%q: give en or ja", f.Lang)
	}
	seenRules := map[string]int{}
	for i, r := range f.Rules {
		p := fmt.Sprintf("rules[%d]", i)
		if j, dup := seenRules[r]; dup {
			v.fail(p, "%q is listed twice%s", r, v.f.at(fmt.Sprintf("rules[%d]", j)))
			continue
		}
		seenRules[r] = i
		if strings.TrimSpace(r) == "" || strings.ContainsRune(r, 0) {
			v.fail(p, "%q is not a path to a rule file or directory", r)
		}
	}
	h := &f.Honeypot
	v.honeypot(h)
	v.capture(&f.Capture)
	v.fetcher(&f.Fetcher)
	v.sandbox(&f.Sandbox)
	if h.Enabled && apiOK {
		for _, o := range v.portOwners(h) {
			if o.port == apiPort && overlaps(apiHost, h.Bind) {
				v.fail("listen", "the API's port %d (%s) is also %s%s: set listen to another port (like 127.0.0.1:9180)", apiPort, listen, o.what, f.at(o.path))
				break
			}
		}
	}
}

func (v *validator) hostPort(path, s string) (string, uint16, bool) {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		v.fail(path, "%q is not HOST:PORT (like 127.0.0.1:8080)", s)
		return "", 0, false
	}
	p, err := strconv.Atoi(port)
	// Port 0 (the system picks one) is allowed for the API.
	if err != nil || p < 0 || p > 65535 {
		v.fail(path, "%q: %q is not a port (0-65535)", s, port)
		return "", 0, false
	}
	return host, uint16(p), true
}

// overlaps reports whether an API bound to host would share addresses
// with listeners bound to binds (conservatively: a name overlaps all).
func overlaps(host string, binds []string) bool {
	hosts := []string{host}
	if host == "localhost" {
		hosts = []string{"127.0.0.1", "::1"}
	}
	for _, h := range hosts {
		a, err := netip.ParseAddr(h)
		if err != nil || a.IsUnspecified() {
			return true
		}
		for _, b := range binds {
			ba, err := netip.ParseAddr(b)
			if err != nil || ba.IsUnspecified() || ba.Unmap() == a.Unmap() {
				return true
			}
		}
	}
	return false
}

var userName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.-]{0,31}\$?$`)
var hostName = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9.-]{0,62})$`)

func (v *validator) capture(c *Capture) {
	const cp = "capture"
	if c.CommitInterval != 0 && c.CommitInterval < time.Second {
		v.fail(cp+".commit_interval", "%v: give at least 1s", c.CommitInterval)
	}
	if c.Workers < 0 || c.Workers > 64 {
		v.fail(cp+".workers", "%d: give 1 to 64 capture sockets per interface", c.Workers)
	}
	if a := c.Archive; a.Dir != "" {
		if a.FileBytes < 0 || (a.FileBytes > 0 && a.FileBytes < 1<<20) {
			v.fail(cp+".archive.file_bytes", "%d: give at least 1MiB", a.FileBytes)
		}
		if a.FileAge < 0 || (a.FileAge > 0 && a.FileAge < time.Minute) {
			v.fail(cp+".archive.file_age", "%v: give at least 1m", a.FileAge)
		}
		if a.KeepAge < 0 || (a.KeepAge > 0 && a.KeepAge < a.FileAge) {
			v.fail(cp+".archive.keep_age", "%v: give at least the file age", a.KeepAge)
		}
		if a.KeepBytes < 0 || (a.KeepBytes > 0 && a.FileBytes > 0 && a.KeepBytes < a.FileBytes) {
			v.fail(cp+".archive.keep_bytes", "%d: give at least file_bytes", a.KeepBytes)
		}
	}
	seen := map[string]int{}
	for i, ifc := range c.Interfaces {
		p := fmt.Sprintf("%s.interfaces[%d]", cp, i)
		switch {
		case ifc.Name == "":
			v.fail(p+".name", "no interface name (like eth0)")
		case len(ifc.Name) > 15 || strings.ContainsAny(ifc.Name, "/ \t\n\x00"):
			v.fail(p+".name", "%q is not an interface name", ifc.Name)
		}
		if j, dup := seen[ifc.Name]; dup && ifc.Name != "" {
			v.fail(p+".name", "%s is listed twice%s", ifc.Name, v.f.at(fmt.Sprintf("%s.interfaces[%d].name", cp, j)))
		}
		seen[ifc.Name] = i
		if ifc.Sensor != "" {
			if err := checkSensor(ifc.Sensor); err != "" {
				v.fail(p+".sensor", "%s", err)
			}
		}
		if ifc.Filter != "" {
			if strings.HasPrefix(ifc.Name, "nflog:") {
				v.fail(p+".filter", "an NFLOG group takes no capture filter: select the packets in the nftables rule that logs them")
			} else if _, err := bpfexpr.Compile(ifc.Filter, bpfexpr.LinkEthernet); err != nil {
				v.fail(p+".filter", "%v", err)
			}
		}
		for j, n := range ifc.SensorNet {
			s := strings.TrimSpace(n)
			_, perr := netip.ParsePrefix(s)
			_, aerr := netip.ParseAddr(s)
			if perr != nil && aerr != nil {
				v.fail(fmt.Sprintf("%s.sensor_net[%d]", p, j), "%q is not an address or CIDR (like 192.0.2.0/24)", n)
			}
		}
	}
}

func (v *validator) honeypot(h *Honeypot) {
	const hp = "honeypot"
	if err := checkSensor(h.Name); err != "" {
		v.fail(hp+".name", "%s", err)
	}
	seenBind := map[netip.Addr]int{}
	for i, b := range h.Bind {
		p := fmt.Sprintf("%s.bind[%d]", hp, i)
		a, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(b, "["), "]"))
		if err != nil {
			v.fail(p, "%q is not an IP address (like 0.0.0.0, ::, 192.0.2.1)", b)
			continue
		}
		if j, dup := seenBind[a]; dup {
			v.fail(p, "%s is listed twice%s", b, v.f.at(fmt.Sprintf("%s.bind[%d]", hp, j)))
		}
		seenBind[a] = i
	}
	if h.User != "" && !userName.MatchString(h.User) {
		v.fail(hp+".user", "%q is not an account name (letters, digits, _ . -, at most 32)", h.User)
	}
	if h.CommitInterval <= 0 {
		v.fail(hp+".commit_interval", "%s: must be positive", h.CommitInterval)
	}
	if h.Filter != FilterDrop && h.Filter != FilterRefuse {
		v.fail(hp+".filter", "%q: give drop (accept and close without a byte) or refuse (reset)", h.Filter)
	}
	v.countries(hp+".allow_countries", h.AllowCountries)
	for _, s := range h.Services() {
		v.service(h, s)
	}
	v.ports(h)
	v.credentials(&h.Credentials)
	v.limits(&h.Limits)
}

// checkSensor applies the sensor name rule of the ingest package: 1-64
// letters, digits and - _ . : @ + (any script).
func checkSensor(name string) string {
	const rule = "allowed: letters, digits and - _ . : @ +, at most 64 characters"
	switch {
	case name == "":
		return "the sensor name is empty (" + rule + ")"
	case !utf8.ValidString(name):
		return fmt.Sprintf("%q is not valid UTF-8 (%s)", name, rule)
	case utf8.RuneCountInString(name) > MaxSensorLen:
		return fmt.Sprintf("%q is %d characters long (%s)", name, utf8.RuneCountInString(name), rule)
	}
	for _, r := range name {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.IsMark(r) && !strings.ContainsRune("-_.:@+", r) {
			return fmt.Sprintf("%q: %q is not allowed (%s)", name, r, rule)
		}
	}
	return ""
}

func (v *validator) countries(path string, codes []string) {
	for i, c := range codes {
		if len(c) != 2 || c[0] < 'A' || c[0] > 'Z' || c[1] < 'A' || c[1] > 'Z' {
			v.fail(fmt.Sprintf("%s[%d]", path, i), "%q is not a two-letter country code (ISO 3166, like JP)", c)
		}
	}
}

func (v *validator) service(h *Honeypot, s NamedService) {
	p := "honeypot." + s.Name
	seen := map[uint16]int{}
	for i, port := range s.Ports {
		if port == 0 {
			v.fail(fmt.Sprintf("%s.ports[%d]", p, i), `"0" is not a port (1-65535)`)
		}
		if j, dup := seen[port]; dup {
			v.fail(fmt.Sprintf("%s.ports[%d]", p, i), "port %d is listed twice%s", port, v.f.at(fmt.Sprintf("%s.ports[%d]", p, j)))
		}
		seen[port] = i
	}
	for i, port := range s.TLSPorts {
		k := fmt.Sprintf("%s.tls_ports[%d]", p, i)
		switch {
		case s.Name != ServiceHTTP:
			v.fail(k, "only the http service speaks TLS")
		case !slices.Contains(s.Ports, port):
			v.fail(k, "port %d is not one of %s.ports (%s): list it there too", port, p, portList(s.Ports))
		}
	}
	for i, a := range s.Arch {
		k := fmt.Sprintf("%s.arch[%d]", p, i)
		switch {
		case !shellService(s.Name):
			v.fail(k, "only telnet and ssh emulate a device's shell; arch is theirs")
		case !slices.Contains(Arches, a):
			msg := fmt.Sprintf("%q is not an architecture", a)
			if m := didYouMean(a, Arches); m != "" {
				msg += fmt.Sprintf("; did you mean %q?", m)
			}
			v.fail(k, "%s (known: %s)", msg, strings.Join(Arches, ", "))
		}
	}
	if len(s.Banner) > MaxBanner {
		v.fail(p+".banner", "%d bytes, at most %d", len(s.Banner), MaxBanner)
	}
	if s.Hostname != "" && !hostName.MatchString(s.Hostname) {
		v.fail(p+".hostname", "%q is not a host name (letters, digits, - and ., at most 64)", s.Hostname)
	}
	v.countries(p+".allow_countries", s.AllowCountries)
	for _, key := range sortedKeys(s.PortBanners) {
		k := p + ".port_banners." + key
		if s.Name != ServiceGeneric {
			v.fail(k, "port banners are the generic service's")
			continue
		}
		port, err := strconv.Atoi(key)
		switch {
		case err != nil || port < 1 || port > 65535:
			v.fail(k, "%q is not a port (1-65535)", key)
		case h.Redirect == 0 && !slices.Contains(s.Ports, uint16(port)):
			v.fail(k, "port %d is not one of honeypot.generic.ports (%s), and there is no redirect_port to receive other ports", port, portList(s.Ports))
		}
		if len(s.PortBanners[key]) > MaxBanner {
			v.fail(k, "%d bytes, at most %d", len(s.PortBanners[key]), MaxBanner)
		}
	}
}

func portList(ports []uint16) string {
	if len(ports) == 0 {
		return "none"
	}
	s := make([]string, len(ports))
	for i, p := range ports {
		s[i] = strconv.Itoa(int(p))
	}
	return strings.Join(s, ", ")
}

// portOwner is one port the honeypot takes, and why.
type portOwner struct {
	port uint16
	path string // the key that gave it
	what string // "a telnet port", "the redirect port"
}

// portOwners lists every port the honeypot listens on, in order.
func (v *validator) portOwners(h *Honeypot) []portOwner {
	var o []portOwner
	for _, s := range h.Services() {
		for i, p := range s.Ports {
			what := "a " + s.Name + " port"
			if !v.f.given("honeypot." + s.Name + ".ports") {
				what = "a default " + s.Name + " port"
			}
			o = append(o, portOwner{p, fmt.Sprintf("honeypot.%s.ports[%d]", s.Name, i), what})
		}
	}
	if h.Redirect != 0 {
		o = append(o, portOwner{h.Redirect, "honeypot.redirect_port", "the redirect port"})
	}
	return o
}

// ports checks that no port is taken twice across services, the redirect
// port and the admin ports.
func (v *validator) ports(h *Honeypot) {
	first := map[uint16]portOwner{}
	for _, o := range v.portOwners(h) {
		if prev, dup := first[o.port]; dup {
			if parentKey(prev.path) == parentKey(o.path) {
				continue // listed twice in one service: said by service()
			}
			// Speak at the value the file or a flag gave, not at a default.
			at, other := o, prev
			if !v.f.given(parentKey(o.path)) && v.f.given(parentKey(prev.path)) {
				at, other = prev, o
			}
			v.fail(at.path, "port %d is also %s%s", o.port, other.what, v.f.at(other.path))
			continue
		}
		first[o.port] = o
	}
	for i, p := range h.AdminPorts {
		k := fmt.Sprintf("honeypot.admin_ports[%d]", i)
		if p == 0 {
			v.fail(k, `"0" is not a port (1-65535)`)
		}
		if o, taken := first[p]; taken {
			v.fail(k, "port %d is also %s%s: a listener cannot share the machine's admin port", p, o.what, v.f.at(o.path))
		}
	}
}

func (v *validator) credentials(c *Credentials) {
	const p = "honeypot.credentials"
	if !slices.Contains(Policies, c.Policy) {
		msg := fmt.Sprintf("%q is not a policy", c.Policy)
		if m := didYouMean(c.Policy, Policies); m != "" {
			msg += fmt.Sprintf("; did you mean %q?", m)
		}
		v.fail(p+".policy", "%s (give list: only accept's pairs; any: every attempt; after: any after after_tries failures; mirai: the Mirai table plus accept)", msg)
	}
	if c.AfterTries < 0 {
		v.fail(p+".after_tries", "%d: must be positive", c.AfterTries)
	}
	if c.Policy == PolicyList && len(c.Accept) == 0 {
		v.fail(p+".policy", "policy list lets in only the pairs of accept, and accept is empty: give pairs like \"root:admin\"")
	}
	for i, a := range c.Accept {
		k := fmt.Sprintf("%s.accept[%d]", p, i)
		user, _, ok := strings.Cut(a, ":")
		switch {
		case len(a) > maxAccept:
			v.fail(k, "%d bytes, at most %d", len(a), maxAccept)
		case !ok || user == "":
			v.fail(k, "%q is not user:password (like \"root:xc3511\", \"admin:*\", \"root:\" for an empty password)", a)
		case strings.ContainsFunc(a, unicode.IsControl) || !utf8.ValidString(a):
			v.fail(k, "%q has a control character", a)
		}
	}
}

func (v *validator) limits(l *Limits) {
	const p = "honeypot.limits."
	pos := func(key string, n int64) {
		if n <= 0 {
			v.fail(p+key, "%d: must be positive", n)
		}
	}
	pos("connections", int64(l.Connections))
	pos("per_source", int64(l.PerSource))
	pos("session_bytes", l.SessionBytes)
	pos("line_bytes", int64(l.LineBytes))
	pos("commands", int64(l.Commands))
	pos("fs_bytes", l.FSBytes)
	pos("http_body", int64(l.HTTPBody))
	pos("first_bytes", int64(l.FirstBytes))
	pos("pending_sessions", int64(l.PendingSessions))
	if l.Idle <= 0 {
		v.fail(p+"idle", "%s: must be positive", l.Idle)
	}
	if l.Session <= 0 {
		v.fail(p+"session", "%s: must be positive", l.Session)
	}
	if l.PerSource > l.Connections && l.Connections > 0 {
		v.fail(p+"per_source", "%d is more than connections (%d)", l.PerSource, l.Connections)
	}
}
