package api

import (
	"fmt"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/honeyscope/honeyscope/internal/classify"
	"github.com/honeyscope/honeyscope/internal/queryparam"
	"github.com/honeyscope/honeyscope/internal/store"
)

// Limits on query strings. Every value of every parameter is checked
// against them before anything reaches the store.
const (
	maxQueryLen = 4096 // bytes of the raw query string
	maxValueLen = 512  // bytes of one parameter value (a comma list counts as one)
	maxItems    = 64   // items of one list parameter, over its repetitions
	maxPorts    = 1024 // ports after expanding ranges
	maxDays     = 3660 // days a series may span (ten years)
	maxIPLen    = 64   // bytes of an address in /source/{ip}
)

// ParamError is a rejected query parameter; the API answers it with 400.
type ParamError struct {
	Param   string // the parameter ("query" for the query string as a whole)
	Message string
}

func (e *ParamError) Error() string { return e.Param + ": " + e.Message }

func perr(param, format string, args ...any) *ParamError {
	return &ParamError{Param: param, Message: fmt.Sprintf(format, args...)}
}

// params are the validated query parameters of one request.
type params struct {
	By        []string
	Classes   []string
	Sensors   []string
	Countries []string
	Ports     []int
	Protos    []string
	ASNs      []uint32
	From, To  string
	Day       string // day=YYYY-MM-DD ("" when not given)
	Top       int
	TopSet    bool
	Order     string // "" when not given
	Unit      string // "packets" unless given
	All       bool   // all=true: findings below the significance threshold too
	RuleSet   int32  // ruleset=: store.StatsQuery.RuleSet (0 when not given)
}

// statsQuery is the store query the filters of p select (no grouping).
func (p *params) statsQuery() store.StatsQuery {
	return store.StatsQuery{
		Classes: p.Classes, Sensors: p.Sensors, Countries: p.Countries, Ports: p.Ports,
		Protos: p.Protos, ASNs: p.ASNs, From: p.From, To: p.To, RuleSet: p.RuleSet,
	}
}

// Parameter names.
const (
	pBy, pClass, pSensor, pCountry, pPort, pProto, pASN = "by", "class", "sensor", "country", "port", "proto", "asn"
	pFrom, pTo, pTop, pOrder, pUnit                     = "from", "to", "top", "order", "unit"
	pAll, pDay, pRuleSet                                = "all", "day", "ruleset"
)

// filterParams are accepted by every data endpoint.
var filterParams = []string{pClass, pSensor, pCountry, pPort, pProto, pASN, pFrom, pTo}

// parseRawQuery parses a raw query string, checking its size and syntax.
func parseRawQuery(raw string) (url.Values, *ParamError) {
	if len(raw) > maxQueryLen {
		return nil, perr("query", "query string of %d bytes, at most %d accepted", len(raw), maxQueryLen)
	}
	v, err := url.ParseQuery(raw)
	if err != nil {
		return nil, perr("query", "malformed query string: %v", err)
	}
	return v, nil
}

// parseParams validates vals, accepting only the parameters in allowed.
func parseParams(vals url.Values, allowed []string) (params, *ParamError) {
	p := params{Unit: "packets"}
	// Sorted, so the first bad parameter reported does not depend on map order.
	names := queryparam.Names(vals)
	for _, k := range names {
		if k == "" {
			return p, perr("query", "a parameter without a name")
		}
		if !slices.Contains(allowed, k) {
			if len(k) > 64 {
				k = k[:64] + "…"
			}
			return p, perr(sanitize(k), "unknown parameter (this endpoint accepts %s)", strings.Join(allowed, ", "))
		}
		if err := queryparam.Values(vals[k], maxValueLen); err != nil {
			return p, perr(k, "%s", err)
		}
	}
	var e *ParamError
	for _, k := range names {
		vs := vals[k]
		switch k {
		case pBy:
			e = parseBy(&p, vs)
		case pClass:
			e = parseClasses(&p, vs)
		case pSensor:
			e = parseSensors(&p, vs)
		case pCountry:
			e = parseCountries(&p, vs)
		case pPort:
			e = parsePorts(&p, vs)
		case pProto:
			e = parseProtos(&p, vs)
		case pASN:
			e = parseASNs(&p, vs)
		case pFrom:
			p.From, e = parseDay(k, vs)
		case pTo:
			p.To, e = parseDay(k, vs)
		case pDay:
			p.Day, e = parseDay(k, vs)
		case pTop:
			e = parseTop(&p, vs)
		case pOrder:
			p.Order, e = parseEnum(k, vs, "packets", "sources", "key")
		case pUnit:
			p.Unit, e = parseEnum(k, vs, "packets", "sources")
		case pRuleSet:
			p.RuleSet, e = parseRuleSet(k, vs)
		case pAll:
			var v string
			v, e = parseEnum(k, vs, "true", "false")
			p.All = v == "true"
		}
		if e != nil {
			return p, e
		}
	}
	if p.From != "" && p.To != "" && p.From > p.To {
		return p, perr(pTo, "%s is before from %s", p.To, p.From)
	}
	if p.RuleSet != 0 {
		for _, c := range p.Classes {
			if c != classify.Exploit.String() {
				return p, perr(pClass, "under a rule set only the exploit class can be asked, not %q", c)
			}
		}
	}
	return p, nil
}

// parseRuleSet reads ruleset=: "builtin" (the built-in rules alone) or a
// stored rule set's id, N or #N.
func parseRuleSet(k string, vs []string) (int32, *ParamError) {
	v, e := single(k, vs)
	if e != nil {
		return 0, e
	}
	if v == "builtin" {
		return store.BuiltinRuleSet, nil
	}
	n, err := strconv.ParseInt(strings.TrimPrefix(v, "#"), 10, 32)
	if err != nil || n < 1 {
		return 0, perr(k, "want \"builtin\" or a rule set id (N or #N, as honeyscope rules list shows)")
	}
	return int32(n), nil
}

// items splits the repetitions and comma lists of a parameter.
func items(param string, vs []string) ([]string, *ParamError) {
	var out []string
	for _, v := range vs {
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s == "" {
				continue
			}
			if len(out) == maxItems {
				return nil, perr(param, "more than %d values", maxItems)
			}
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		return nil, perr(param, "empty value")
	}
	return out, nil
}

func single(param string, vs []string) (string, *ParamError) {
	if len(vs) != 1 {
		return "", perr(param, "given %d times, want once", len(vs))
	}
	s := strings.TrimSpace(vs[0])
	if s == "" {
		return "", perr(param, "empty value")
	}
	return s, nil
}

func parseBy(p *params, vs []string) *ParamError {
	ds, e := items(pBy, vs)
	if e != nil {
		return e
	}
	for _, d := range ds {
		if !slices.Contains(store.Dimensions, d) {
			return perr(pBy, "unknown dimension %q (one or more of %s)", sanitize(d), strings.Join(store.Dimensions, ", "))
		}
		if slices.Contains(p.By, d) {
			return perr(pBy, "dimension %q given twice", d)
		}
		p.By = append(p.By, d)
	}
	return nil
}

func parseClasses(p *params, vs []string) *ParamError {
	cs, e := items(pClass, vs)
	if e != nil {
		return e
	}
	for _, c := range cs {
		if _, ok := classify.ParseClass(c); !ok {
			return perr(pClass, "unknown class %q (one or more of %s)", sanitize(c), strings.Join(classify.Names(), ", "))
		}
		if !slices.Contains(p.Classes, c) {
			p.Classes = append(p.Classes, c)
		}
	}
	return nil
}

func parseSensors(p *params, vs []string) *ParamError {
	ss, e := items(pSensor, vs)
	if e != nil {
		return e
	}
	for _, s := range ss {
		if err := queryparam.Sensor(s); err != nil {
			return perr(pSensor, "%s", err)
		}
	}
	p.Sensors = ss
	return nil
}

func parseCountries(p *params, vs []string) *ParamError {
	cs, e := items(pCountry, vs)
	if e != nil {
		return e
	}
	for _, c := range cs {
		cc, ok := queryparam.Country(c)
		if !ok {
			return perr(pCountry, "%q: country codes are two letters (ISO 3166-1 alpha-2, ZZ special-purpose) or ?? (unknown)", sanitize(c))
		}
		p.Countries = append(p.Countries, cc)
	}
	return nil
}

// parsePorts reads ports and ranges ("23", "8000-8100").
func parsePorts(p *params, vs []string) *ParamError {
	ps, e := items(pPort, vs)
	if e != nil {
		return e
	}
	seen := map[int]bool{}
	for _, s := range ps {
		lo, hi, isRange := strings.Cut(s, "-")
		a, err := strconv.ParseUint(lo, 10, 16)
		if err != nil {
			return perr(pPort, "%q: not a port number (0-65535) or range (1000-1010)", sanitize(s))
		}
		b := a
		if isRange {
			if b, err = strconv.ParseUint(hi, 10, 16); err != nil {
				return perr(pPort, "%q: not a port range (two numbers 0-65535, e.g. 1000-1010)", sanitize(s))
			}
			if b < a {
				return perr(pPort, "%q: range ends before it starts", sanitize(s))
			}
		}
		if b-a >= maxPorts {
			return perr(pPort, "%q: more than %d ports", sanitize(s), maxPorts)
		}
		for x := int(a); x <= int(b); x++ {
			if seen[x] {
				continue
			}
			if len(p.Ports) == maxPorts {
				return perr(pPort, "more than %d ports", maxPorts)
			}
			seen[x] = true
			p.Ports = append(p.Ports, x)
		}
	}
	return nil
}

// protoNames are the protocols known by name; others are numbers 0-255.
var protoNames = []string{"tcp", "udp", "icmp", "icmpv6", "gre"}

func parseProtos(p *params, vs []string) *ParamError {
	ps, e := items(pProto, vs)
	if e != nil {
		return e
	}
	for _, s := range ps {
		s = strings.ToLower(s)
		if !slices.Contains(protoNames, s) {
			n, err := strconv.ParseUint(s, 10, 8)
			if err != nil {
				return perr(pProto, "%q: want %s or a protocol number 0-255", sanitize(s), strings.Join(protoNames, ", "))
			}
			s = store.ProtoName(uint8(n))
		}
		if !slices.Contains(p.Protos, s) {
			p.Protos = append(p.Protos, s)
		}
	}
	return nil
}

func parseASNs(p *params, vs []string) *ParamError {
	as, e := items(pASN, vs)
	if e != nil {
		return e
	}
	for _, s := range as {
		n, err := queryparam.ASN(s)
		if err != nil {
			return perr(pASN, "%s", err)
		}
		p.ASNs = append(p.ASNs, n)
	}
	return nil
}

func parseDay(param string, vs []string) (string, *ParamError) {
	s, e := single(param, vs)
	if e != nil {
		return "", e
	}
	if _, err := queryparam.Day(s); err != nil {
		return "", perr(param, "%s", err)
	}
	return s, nil
}

// maxTop bounds top: a request never asks for more rows than this.
const maxTop = 10000

func parseTop(p *params, vs []string) *ParamError {
	s, e := single(pTop, vs)
	if e != nil {
		return e
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > maxTop {
		return perr(pTop, "%q: want a number 0-%d", sanitize(s), maxTop)
	}
	p.Top, p.TopSet = n, true
	return nil
}

func parseEnum(param string, vs []string, allowed ...string) (string, *ParamError) {
	s, e := single(param, vs)
	if e != nil {
		return "", e
	}
	if !slices.Contains(allowed, s) {
		return "", perr(param, "%q: want %s", sanitize(s), strings.Join(allowed, ", "))
	}
	return s, nil
}

// parseAddr reads the {ip} of /source/{ip}.
func parseAddr(s string) (netip.Addr, *ParamError) {
	if len(s) > maxIPLen {
		return netip.Addr{}, perr("ip", "address of %d bytes, at most %d", len(s), maxIPLen)
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, perr("ip", "%q: want an IPv4 or IPv6 address without zone", sanitize(s))
	}
	return a.Unmap(), nil
}

// sanitize shortens a rejected value for an error message and replaces
// what is not printable (queryparam.Clean).
func sanitize(s string) string { return queryparam.Clean(s) }
