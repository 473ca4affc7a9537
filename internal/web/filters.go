package web

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/honeyscope/honeyscope/internal/civil"
	"github.com/honeyscope/honeyscope/internal/classify"
	"github.com/honeyscope/honeyscope/internal/period"
	"github.com/honeyscope/honeyscope/internal/queryparam"
	"github.com/honeyscope/honeyscope/internal/store"
)

// Limits on query strings: every value is checked against them before
// anything reaches the period layer.
const (
	maxQueryLen = 2048 // bytes of the raw query string
	maxValueLen = 256  // bytes of one parameter value
	maxSensors  = 16   // sensors of one view
	minRefresh  = 5    // seconds between auto-refreshes, at least
	maxRefresh  = 3600 // and at most
)

// Filter parameter names, as they appear in URLs.
const (
	qFrom, qTo, qSensor, qClass, qCountry = "from", "to", "sensor", "class", "country"
	qPort, qASN, qUnit, qLang, qRefresh   = "port", "asn", "unit", "lang", "refresh"
)

// filterNames are the parameters every page and download accepts, in the
// order links write them.
var filterNames = []string{qFrom, qTo, qSensor, qClass, qCountry, qPort, qASN, qUnit, qLang, qRefresh}

// Port is a destination port under one protocol ("23/tcp").
type Port struct {
	Proto uint8
	Port  uint16
}

// String is the port's analysis key, "23/tcp".
func (p Port) String() string { return period.PortKey(p.Proto, int(p.Port)) }

// Filters are the validated filters of one request: what a view shows. The
// zero value is the default view (the last days with data, every sensor,
// packets, English).
type Filters struct {
	// From and To are the period's first and last day; HasFrom and HasTo
	// say whether they were given (see period.Spec).
	From, To       civil.Day
	HasFrom, HasTo bool
	// Sensors limits the view (nil: every sensor).
	Sensors []string
	// Class is one class name ("" = every class).
	Class string
	// Country is an ISO 3166-1 alpha-2 code, "ZZ" or "??" ("" = any).
	Country string
	// Port is the destination port (HasPort: given).
	Port    Port
	HasPort bool
	// ASN is the source AS (HasASN: given).
	ASN    uint32
	HasASN bool
	// Unit is "packets" or "sources"; "" is packets.
	Unit string
	// Lang is "en" or "ja", as given by ?lang= (LangSet) or chosen from
	// Accept-Language.
	Lang    string
	LangSet bool
	// Refresh is the auto-refresh interval in seconds (0: none).
	Refresh int
}

// FilterError is a rejected query parameter: a 400 page naming it.
type FilterError struct {
	Param   string // the parameter ("query" for the query string as a whole)
	Message string
}

func (e *FilterError) Error() string { return e.Param + ": " + e.Message }

func ferr(param, format string, args ...any) *FilterError {
	return &FilterError{Param: param, Message: fmt.Sprintf(format, args...)}
}

// ParseFilters validates a raw query string. Unknown parameters, repeated
// single-valued ones, over-long values and malformed values are errors
// naming the parameter; nothing in them reaches the store unchecked.
// extra names further parameters a page accepts; their values are checked
// for size and UTF-8 only and returned in rest.
func ParseFilters(raw string, extra ...string) (f Filters, rest url.Values, err error) {
	if len(raw) > maxQueryLen {
		return f, nil, ferr("query", "query string of %d bytes, at most %d accepted", len(raw), maxQueryLen)
	}
	vals, perr := url.ParseQuery(raw)
	if perr != nil {
		return f, nil, ferr("query", "malformed query string")
	}
	names := queryparam.Names(vals)
	rest = url.Values{}
	for _, k := range names {
		if k == "" {
			return f, nil, ferr("query", "a parameter without a name")
		}
		known := slices.Contains(filterNames, k)
		if !known && !slices.Contains(extra, k) {
			return f, nil, ferr(clean(k), "unknown parameter (pages accept %s)", strings.Join(append(slices.Clone(filterNames), extra...), ", "))
		}
		vs := vals[k]
		if len(vs) > maxSensors {
			return f, nil, ferr(k, "given %d times, at most %d", len(vs), maxSensors)
		}
		if err := queryparam.Values(vs, maxValueLen); err != nil {
			return f, nil, ferr(k, "%s", err)
		}
		if !known {
			rest[k] = vs
			continue
		}
		if e := f.set(k, vs); e != nil {
			return f, nil, e
		}
	}
	if f.HasFrom && f.HasTo && f.To < f.From {
		return f, nil, ferr(qTo, "%s is before from %s", f.To, f.From)
	}
	if f.HasFrom && f.HasTo && f.To.Sub(f.From)+1 > period.MaxDays {
		return f, nil, ferr(qTo, "period of %d days, at most %d", f.To.Sub(f.From)+1, period.MaxDays)
	}
	return f, rest, nil
}

// set parses the values of one known parameter into f.
func (f *Filters) set(k string, vs []string) *FilterError {
	if k == qSensor {
		return f.setSensors(vs)
	}
	if len(vs) != 1 {
		return ferr(k, "given %d times, want once", len(vs))
	}
	v := strings.TrimSpace(vs[0])
	if v == "" {
		// An empty value is the default (a form's empty field).
		return nil
	}
	switch k {
	case qFrom, qTo:
		d, err := queryparam.Day(v)
		if err != nil {
			return ferr(k, "%s", err)
		}
		if k == qFrom {
			f.From, f.HasFrom = d, true
		} else {
			f.To, f.HasTo = d, true
		}
	case qClass:
		if _, ok := classify.ParseClass(v); !ok {
			return ferr(k, "unknown class %q (one of %s)", clean(v), strings.Join(classify.Names(), ", "))
		}
		f.Class = v
	case qCountry:
		c, ok := queryparam.Country(v)
		if !ok {
			return ferr(k, "%q: want a two-letter country code (ISO 3166-1 alpha-2, ZZ special-purpose) or ?? (unknown)", clean(v))
		}
		f.Country = c
	case qPort:
		p, ok := parsePort(v)
		if !ok {
			return ferr(k, "%q: want a port 0-65535 with an optional protocol (23, 23/tcp, 53/udp, 8/icmp)", clean(v))
		}
		f.Port, f.HasPort = p, true
	case qASN:
		n, err := queryparam.ASN(v)
		if err != nil {
			return ferr(k, "%s", err)
		}
		f.ASN, f.HasASN = n, true
	case qUnit:
		if v != "packets" && v != "sources" {
			return ferr(k, "%q: want packets or sources", clean(v))
		}
		f.Unit = v
		if v == "packets" {
			f.Unit = ""
		}
	case qLang:
		if v != "en" && v != "ja" {
			return ferr(k, "%q: want en or ja", clean(v))
		}
		f.Lang, f.LangSet = v, true
	case qRefresh:
		n, err := strconv.Atoi(v)
		if err != nil || n != 0 && (n < minRefresh || n > maxRefresh) {
			return ferr(k, "%q: want 0 (off) or seconds %d-%d", clean(v), minRefresh, maxRefresh)
		}
		f.Refresh = n
	}
	return nil
}

// setPath sets a filter from a path value (an error naming it when bad).
func (f *Filters) setPath(k, v string) error {
	if strings.TrimSpace(v) == "" {
		return ferr(k, "empty value")
	}
	if e := f.set(k, []string{v}); e != nil {
		return e
	}
	return nil
}

func (f *Filters) setSensors(vs []string) *FilterError {
	var out []string
	for _, v := range vs {
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s == "" {
				continue
			}
			if err := queryparam.Sensor(s); err != nil {
				return ferr(qSensor, "%s", err)
			}
			if slices.Contains(out, s) {
				continue
			}
			if len(out) == maxSensors {
				return ferr(qSensor, "more than %d sensors", maxSensors)
			}
			out = append(out, s)
		}
	}
	f.Sensors = out
	return nil
}

// parsePort reads "23", "23/tcp" or "8/icmp" (TCP when no protocol).
func parsePort(v string) (Port, bool) {
	num, proto, hasProto := strings.Cut(v, "/")
	n, err := strconv.ParseUint(num, 10, 16)
	if err != nil {
		return Port{}, false
	}
	p := Port{Proto: 6, Port: uint16(n)}
	if hasProto {
		if len(proto) > 8 {
			return Port{}, false
		}
		pn, err := store.ProtoNumber(proto)
		if err != nil {
			return Port{}, false
		}
		p.Proto = pn
	}
	return p, true
}

// clean shortens a rejected value for a message and replaces what is not
// printable (queryparam.Clean; the message is escaped when shown, this only
// keeps it short).
func clean(s string) string { return queryparam.Clean(s) }

// Spec is the period the filters ask for.
func (f Filters) Spec() period.Spec {
	return period.Spec{From: f.From, To: f.To, HasFrom: f.HasFrom, HasTo: f.HasTo}
}

// UnitName is "packets" or "sources".
func (f Filters) UnitName() string {
	if f.Unit == "" {
		return "packets"
	}
	return f.Unit
}

// Query is the filters as URL parameters: only those that differ from the
// default, so links stay short (the language only when it was chosen).
func (f Filters) Query() url.Values {
	q := url.Values{}
	if f.HasFrom {
		q.Set(qFrom, f.From.String())
	}
	if f.HasTo {
		q.Set(qTo, f.To.String())
	}
	if len(f.Sensors) > 0 {
		q.Set(qSensor, strings.Join(f.Sensors, ","))
	}
	if f.Class != "" {
		q.Set(qClass, f.Class)
	}
	if f.Country != "" {
		q.Set(qCountry, f.Country)
	}
	if f.HasPort {
		q.Set(qPort, f.Port.String())
	}
	if f.HasASN {
		q.Set(qASN, "AS"+strconv.FormatUint(uint64(f.ASN), 10))
	}
	if f.Unit != "" {
		q.Set(qUnit, f.Unit)
	}
	if f.LangSet {
		q.Set(qLang, f.Lang)
	}
	if f.Refresh > 0 {
		q.Set(qRefresh, strconv.Itoa(f.Refresh))
	}
	return q
}

// URL is path with the filters as its query: the link that shows the same
// view on another page. Overrides change a copy first, e.g.
// f.URL("/country/US", func(g *Filters) { g.Country = "" }).
func (f Filters) URL(path string, overrides ...func(*Filters)) string {
	g := f.clone()
	for _, o := range overrides {
		o(&g)
	}
	q := g.Query().Encode()
	if q == "" {
		return path
	}
	return path + "?" + q
}

func (f Filters) clone() Filters {
	f.Sensors = slices.Clone(f.Sensors)
	return f
}

// Day narrows the filters to one day.
func Day(d civil.Day) func(*Filters) {
	return func(f *Filters) { f.From, f.To, f.HasFrom, f.HasTo = d, d, true, true }
}

// Days sets the period.
func Days(from, to civil.Day) func(*Filters) {
	return func(f *Filters) { f.From, f.To, f.HasFrom, f.HasTo = from, to, true, true }
}

// Drop clears the named filters (parameter names: "country", "port", ...).
func Drop(names ...string) func(*Filters) {
	return func(f *Filters) {
		for _, n := range names {
			switch n {
			case qFrom:
				f.From, f.HasFrom = 0, false
			case qTo:
				f.To, f.HasTo = 0, false
			case qSensor:
				f.Sensors = nil
			case qClass:
				f.Class = ""
			case qCountry:
				f.Country = ""
			case qPort:
				f.Port, f.HasPort = Port{}, false
			case qASN:
				f.ASN, f.HasASN = 0, false
			case qUnit:
				f.Unit = ""
			case qLang:
				f.Lang, f.LangSet = "", false
			case qRefresh:
				f.Refresh = 0
			}
		}
	}
}
