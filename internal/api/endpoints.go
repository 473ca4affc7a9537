package api

import (
	"cmp"
	"fmt"
	"net/http"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/honeyscope/honeyscope/internal/geo"
	"github.com/honeyscope/honeyscope/internal/store"
)

func with(base []string, extra ...string) []string {
	return append(append([]string(nil), base...), extra...)
}

// rowJSON is a stats row as JSON: one field per dimension (named as the
// dimension), as_org when grouped by asn, packets and sources; the field
// names of `honeyscope stats --format json`.
func rowJSON(dims []string, r store.StatsRow) map[string]any {
	m := make(map[string]any, len(dims)+3)
	for i, d := range dims {
		m[d] = r.Keys[i]
		if d == "asn" {
			m["as_org"] = r.Org
		}
	}
	m["packets"] = r.Packets
	m["sources"] = r.Sources
	return m
}

// unitValue is a row's count in unit.
func unitValue(r store.StatsRow, unit string) uint64 {
	if unit == "sources" {
		return r.Sources
	}
	return r.Packets
}

// orderFor is the stats order: order when given, else the unit.
func orderFor(p params) string { return cmp.Or(p.Order, p.Unit) }

// StatsAnswer is the JSON of /api/v1/stats.
type StatsAnswer struct {
	Dims      []string         `json:"dims"`
	Rows      []map[string]any `json:"rows"`
	Truncated bool             `json:"truncated"`
}

func (c *Component) stats(r *http.Request) (any, error) {
	p, err := requestParams(r, with(filterParams, pBy, pTop, pOrder, pUnit, pRuleSet)...)
	if err != nil {
		return nil, err
	}
	q := p.statsQuery()
	q.By, q.OrderBy = p.By, orderFor(p)
	limit := c.config.MaxRows
	q.Top = limit + 1
	if p.Top > 0 && p.Top <= limit {
		q.Top = p.Top
	}
	rows, err := c.query(r.Context(), "stats", q)
	if err != nil {
		return nil, err
	}
	out := StatsAnswer{Dims: q.Dims(), Rows: make([]map[string]any, 0, min(len(rows), limit))}
	if len(rows) > limit {
		rows, out.Truncated = rows[:limit], true
	}
	for _, row := range rows {
		out.Rows = append(out.Rows, rowJSON(out.Dims, row))
	}
	return out, nil
}

// keyDims are the dimensions that /series and /top rank keys of.
var (
	seriesDims = []string{"country", "port", "asn", "sensor"}
	topDims    = []string{"country", "port", "asn", "sensor", "class", "proto", "src"}
)

// oneDim reads by as a single dimension among allowed.
func oneDim(p params, allowed []string) (string, error) {
	if len(p.By) != 1 || !slices.Contains(allowed, p.By[0]) {
		return "", perr(pBy, "want one of %v", allowed)
	}
	return p.By[0], nil
}

// keyOf is the string key of a row grouped by dims = [.., dim(, proto)]
// from index i: "23/tcp" for ports, the value otherwise.
func keyOf(dim string, keys []any, i int) string {
	if dim == "port" && i+1 < len(keys) {
		return fmt.Sprintf("%v/%v", keys[i], keys[i+1])
	}
	return fmt.Sprint(keys[i])
}

// labelOf names a key for people: country names in English, AS
// organisations.
func labelOf(dim, key, org string) string {
	switch dim {
	case "country":
		return geo.CountryName(key, "en")
	case "asn":
		if org != "" {
			return org
		}
	}
	return key
}

// Series is one key's values per day; nil where the day has no data.
type Series struct {
	Key    string    `json:"key"`
	Label  string    `json:"label"`
	Values []*uint64 `json:"values"`
}

// SeriesAnswer is the JSON of /api/v1/series.
type SeriesAnswer struct {
	Class  string    `json:"class"`
	By     string    `json:"by"`
	Unit   string    `json:"unit"`
	Days   []string  `json:"days"`
	Series []Series  `json:"series"`
	Total  []*uint64 `json:"total"`
	// Note says why "other" has no values (distinct sources by port).
	Note string `json:"note,omitempty"`
}

func (c *Component) series(r *http.Request) (any, error) {
	p, err := requestParams(r, with(filterParams, pBy, pTop, pUnit)...)
	if err != nil {
		return nil, err
	}
	dim, err := oneDim(p, seriesDims)
	if err != nil {
		return nil, err
	}
	if len(p.Classes) > 1 {
		return nil, perr(pClass, "a series is of one class")
	}
	if len(p.Classes) == 0 {
		p.Classes = []string{"access"}
	}
	top := 5
	if p.TopSet {
		if p.Top < 1 || p.Top > 50 {
			return nil, perr(pTop, "want 1-50 keys")
		}
		top = p.Top
	}
	ctx := r.Context()
	// Days with data at all (any class, any key) of the sensors asked.
	covered, err := c.query(ctx, "series", store.StatsQuery{By: []string{"day"}, Sensors: p.Sensors, From: p.From, To: p.To, NoSources: true})
	if err != nil {
		return nil, err
	}
	// In packets, no distinct counts are needed: the rollups answer.
	packetsOnly := p.Unit == "packets"
	q := p.statsQuery()
	q.By, q.NoSources = []string{"day"}, packetsOnly
	totals, err := c.query(ctx, "series", q)
	if err != nil {
		return nil, err
	}
	// The top keys over the period, in the unit.
	// (with distinct sources: they break ties in packets)
	q.By, q.Top, q.OrderBy, q.NoSources = []string{dim}, top, p.Unit, false
	topRows, err := c.topByPackets(ctx, "series", q, dim, false)
	if err != nil {
		return nil, err
	}
	days, err := dayAxis(p.From, p.To, covered, totals)
	if err != nil {
		return nil, err
	}
	idx := make(map[string]int, len(days))
	for i, d := range days {
		idx[d] = i
	}
	has := make([]bool, len(days))
	for _, rows := range [][]store.StatsRow{covered, totals} {
		for _, row := range rows {
			if i, ok := idx[fmt.Sprint(row.Keys[0])]; ok {
				has[i] = true
			}
		}
	}
	column := func() []*uint64 {
		v := make([]*uint64, len(days))
		for i := range v {
			if has[i] {
				v[i] = new(uint64)
			}
		}
		return v
	}
	add := func(v []*uint64, day string, x uint64) {
		if i, ok := idx[day]; ok && v[i] != nil {
			*v[i] += x
		}
	}
	out := SeriesAnswer{Class: p.Classes[0], By: dim, Unit: p.Unit, Days: days, Series: []Series{}, Total: column()}
	for _, row := range totals {
		add(out.Total, fmt.Sprint(row.Keys[0]), unitValue(row, p.Unit))
	}
	pos := map[string]int{}
	for _, row := range topRows {
		key := keyOf(dim, row.Keys, 0)
		pos[key] = len(out.Series)
		out.Series = append(out.Series, Series{Key: key, Label: labelOf(dim, key, row.Org), Values: column()})
	}
	// The top keys per day: the filters narrowed to them.
	if len(topRows) > 0 {
		q := p.statsQuery()
		q.By, q.NoSources = []string{"day", dim}, packetsOnly
		switch dim {
		case "country":
			q.Countries = nil
		case "asn":
			q.ASNs = nil
		case "sensor":
			q.Sensors = nil
		case "port":
			q.Ports, q.Protos = nil, nil
		}
		for _, row := range topRows {
			switch dim {
			case "country":
				q.Countries = append(q.Countries, fmt.Sprint(row.Keys[0]))
			case "asn":
				if a, ok := row.Keys[0].(int64); ok {
					q.ASNs = append(q.ASNs, uint32(a))
				}
			case "sensor":
				q.Sensors = append(q.Sensors, fmt.Sprint(row.Keys[0]))
			case "port":
				if n, ok := row.Keys[0].(int64); ok {
					q.Ports, q.Protos = append(q.Ports, int(n)), append(q.Protos, fmt.Sprint(row.Keys[1]))
				}
			}
		}
		var cells []store.StatsRow
		if dim == "port" {
			cells, err = c.queryPorts(ctx, "series", q)
		} else {
			cells, err = c.query(ctx, "series", q)
		}
		if err != nil {
			return nil, err
		}
		for _, row := range cells {
			// Ports: 23/udp comes along with 23/tcp; only the top pairs count.
			if i, ok := pos[keyOf(dim, row.Keys, 1)]; ok {
				add(out.Series[i].Values, fmt.Sprint(row.Keys[0]), unitValue(row, p.Unit))
			}
		}
	}
	other := Series{Key: "other", Label: "other", Values: column()}
	switch {
	case p.Unit == "packets" || dim == "country" || dim == "asn":
		// A packet has one key of each dimension, and a source one country
		// and one AS a day: the rest is the total less the top keys.
		for d, t := range out.Total {
			if t == nil {
				continue
			}
			var sum uint64
			for _, s := range out.Series {
				sum += *s.Values[d]
			}
			if *t > sum {
				*other.Values[d] = *t - sum
			}
		}
	case dim == "sensor":
		// A source seen by several sensors counts at each: the other
		// sensors' distinct sources are added up (sensors are few).
		q := p.statsQuery()
		q.By = []string{"day", "sensor"}
		rows, err := c.query(ctx, "series", q)
		if err != nil {
			return nil, err
		}
		for _, row := range rows {
			if _, isTop := pos[fmt.Sprint(row.Keys[1])]; !isTop {
				add(other.Values, fmt.Sprint(row.Keys[0]), row.Sources)
			}
		}
	default:
		// Distinct sources by port: a source probes many ports, and the
		// ports outside the top are too many to add up per day.
		for i := range other.Values {
			other.Values[i] = nil
		}
		out.Note = "other is not given for distinct sources by port: a source counts under every port it probed; total is the day's distinct sources"
	}
	out.Series = append(out.Series, other)
	return out, nil
}

// dayAxis is every day from from (or the first day with data) to to (or the
// last day with data).
func dayAxis(from, to string, sets ...[]store.StatsRow) ([]string, error) {
	first, last := from, to
	for _, rows := range sets {
		for _, r := range rows {
			d := fmt.Sprint(r.Keys[0])
			if from == "" && (first == "" || d < first) {
				first = d
			}
			if to == "" && (last == "" || d > last) {
				last = d
			}
		}
	}
	if first == "" || last == "" {
		return []string{}, nil
	}
	f, err1 := store.ParseDay(first)
	l, err2 := store.ParseDay(last)
	if err1 != nil || err2 != nil {
		return nil, fmt.Errorf("day axis %s..%s: %v %v", first, last, err1, err2)
	}
	if l.Before(f) {
		return []string{}, nil
	}
	if n := int(l.Sub(f).Hours()/24) + 1; n > maxDays {
		return nil, perr(pFrom, "a series spans at most %d days, this one %d", maxDays, n)
	}
	var days []string
	for d := f; !d.After(l); d = d.AddDate(0, 0, 1) {
		days = append(days, d.Format("2006-01-02"))
	}
	return days, nil
}

// Count is a packets and distinct-sources pair.
type Count struct {
	Packets uint64 `json:"packets"`
	Sources uint64 `json:"sources"`
}

func countOf(rows []store.StatsRow) Count {
	if len(rows) == 0 {
		return Count{}
	}
	return Count{Packets: rows[0].Packets, Sources: rows[0].Sources}
}

// TopRow is one key of /api/v1/top.
type TopRow struct {
	Key   string         `json:"key"`
	Label string         `json:"label"`
	Value uint64         `json:"value"`
	Share float64        `json:"share"`
	Row   map[string]any `json:"row"`
}

// TopAnswer is the JSON of /api/v1/top.
type TopAnswer struct {
	By    string   `json:"by"`
	Unit  string   `json:"unit"`
	Total Count    `json:"total"`
	Rows  []TopRow `json:"rows"`
}

func (c *Component) top(r *http.Request) (any, error) {
	p, err := requestParams(r, with(filterParams, pBy, pTop, pUnit)...)
	if err != nil {
		return nil, err
	}
	dim, err := oneDim(p, topDims)
	if err != nil {
		return nil, err
	}
	n := 10
	if p.TopSet {
		if p.Top < 1 || p.Top > 1000 {
			return nil, perr(pTop, "want 1-1000 keys")
		}
		n = p.Top
	}
	q := p.statsQuery()
	total, err := c.query(r.Context(), "top", q)
	if err != nil {
		return nil, err
	}
	q.By, q.Top, q.OrderBy = []string{dim}, n, p.Unit
	rows, err := c.topByPackets(r.Context(), "top", q, dim, true)
	if err != nil {
		return nil, err
	}
	out := TopAnswer{By: dim, Unit: p.Unit, Total: countOf(total), Rows: make([]TopRow, 0, len(rows))}
	denom := float64(out.Total.Packets)
	if p.Unit == "sources" {
		denom = float64(out.Total.Sources)
	}
	dims := q.Dims()
	for _, row := range rows {
		key := keyOf(dim, row.Keys, 0)
		v := unitValue(row, p.Unit)
		t := TopRow{Key: key, Label: labelOf(dim, key, row.Org), Value: v, Row: rowJSON(dims, row)}
		if denom > 0 {
			t.Share = float64(v) / denom
		}
		out.Rows = append(out.Rows, t)
	}
	return out, nil
}

// TotalsAnswer is the JSON of /api/v1/totals.
type TotalsAnswer struct {
	Count
	Days     int              `json:"days"`
	FirstDay string           `json:"first_day"`
	LastDay  string           `json:"last_day"`
	Classes  []map[string]any `json:"classes"`
	Sensors  []map[string]any `json:"sensors"`
}

func (c *Component) totals(r *http.Request) (any, error) {
	p, err := requestParams(r, filterParams...)
	if err != nil {
		return nil, err
	}
	ctx := r.Context()
	q := p.statsQuery()
	all, err := c.query(ctx, "totals", q)
	if err != nil {
		return nil, err
	}
	out := TotalsAnswer{Count: countOf(all), Classes: []map[string]any{}, Sensors: []map[string]any{}}
	q.OrderBy = "key"
	for _, g := range []struct {
		dim string
		dst *[]map[string]any
	}{{"class", &out.Classes}, {"sensor", &out.Sensors}} {
		q.By = []string{g.dim}
		rows, err := c.query(ctx, "totals", q)
		if err != nil {
			return nil, err
		}
		for _, row := range rows {
			*g.dst = append(*g.dst, rowJSON(q.By, row))
		}
	}
	q.By = []string{"day"}
	days, err := c.query(ctx, "totals", q)
	if err != nil {
		return nil, err
	}
	out.Days = len(days)
	if len(days) > 0 {
		out.FirstDay, out.LastDay = fmt.Sprint(days[0].Keys[0]), fmt.Sprint(days[len(days)-1].Keys[0])
	}
	return out, nil
}

// SourceDay is one day (and sensor) of a source.
type SourceDay struct {
	Day     string            `json:"day"`
	Sensor  string            `json:"sensor"`
	Country string            `json:"country"`
	ASN     any               `json:"asn"`
	ASOrg   string            `json:"as_org"`
	Packets uint64            `json:"packets"`
	Classes map[string]uint64 `json:"classes"`
}

// SourceAnswer is the JSON of /api/v1/source/{ip}.
type SourceAnswer struct {
	IP       string           `json:"ip"`
	Packets  uint64           `json:"packets"`
	Days     []SourceDay      `json:"days"`
	TopPorts []map[string]any `json:"top_ports"`
}

// sourceTopPorts is the number of ports /source lists.
const sourceTopPorts = 20

func (c *Component) source(r *http.Request) (any, error) {
	addr, pe := parseAddr(r.PathValue("ip"))
	if pe != nil {
		return nil, pe
	}
	p, err := requestParams(r, pSensor, pFrom, pTo)
	if err != nil {
		return nil, err
	}
	ctx := r.Context()
	q := p.statsQuery()
	q.Srcs = []netip.Addr{addr}
	// Its days, classes and ports: three small questions, asked at once.
	q.By, q.OrderBy, q.Top = []string{"day", "sensor", "country", "asn"}, "key", c.config.MaxRows
	qc := q
	qc.By = []string{"day", "sensor", "class"}
	qp := q
	qp.By, qp.OrderBy, qp.Top = []string{"port"}, "packets", sourceTopPorts
	var days, classes, ports []store.StatsRow
	var errs [3]error
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); classes, errs[1] = c.query(ctx, "source", qc) }()
	go func() { defer wg.Done(); ports, errs[2] = c.query(ctx, "source", qp) }()
	days, errs[0] = c.query(ctx, "source", q)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err // one error, as a single question would give
		}
	}
	// Its packets are those of its days, unless the rows were cut.
	var packets uint64
	for _, row := range days {
		packets += row.Packets
	}
	if len(days) >= q.Top {
		tq := q
		tq.By, tq.OrderBy, tq.Top = nil, "", 0
		total, err := c.query(ctx, "source", tq)
		if err != nil {
			return nil, err
		}
		packets = countOf(total).Packets
	}
	out := SourceAnswer{IP: addr.String(), Packets: packets, Days: []SourceDay{}, TopPorts: []map[string]any{}}
	if out.Packets == 0 {
		return nil, &statusError{code: http.StatusNotFound, param: "ip", message: "no packets from " + addr.String() + " in the store (for these filters)"}
	}
	type ds struct{ day, sensor string }
	at := map[ds][]int{}
	for _, row := range days {
		d := SourceDay{Day: fmt.Sprint(row.Keys[0]), Sensor: fmt.Sprint(row.Keys[1]), Country: fmt.Sprint(row.Keys[2]),
			ASN: row.Keys[3], ASOrg: row.Org, Packets: row.Packets, Classes: map[string]uint64{}}
		k := ds{d.Day, d.Sensor}
		at[k] = append(at[k], len(out.Days))
		out.Days = append(out.Days, d)
	}
	for _, row := range classes {
		// A day with two places (re-geolocated between ingests) shows its
		// classes on each of them.
		for _, i := range at[ds{fmt.Sprint(row.Keys[0]), fmt.Sprint(row.Keys[1])}] {
			out.Days[i].Classes[fmt.Sprint(row.Keys[2])] = row.Packets
		}
	}
	for _, row := range ports {
		out.TopPorts = append(out.TopPorts, rowJSON(qp.Dims(), row))
	}
	return out, nil
}

// periodQuery validates the parameters of /spikes and /coverage.
func periodQuery(r *http.Request) (PeriodQuery, error) {
	p, err := requestParams(r, pClass, pSensor, pBy, pFrom, pTo, pUnit, pTop, pAll)
	if err != nil {
		return PeriodQuery{}, err
	}
	q := PeriodQuery{Classes: p.Classes, Sensors: p.Sensors, From: p.From, To: p.To, Unit: p.Unit, Top: p.Top, All: p.All}
	if len(p.By) > 0 {
		if q.By, err = oneDim(p, seriesDims); err != nil {
			return q, err
		}
	}
	return q, nil
}

func (c *Component) notImplemented(what string) error {
	return &statusError{code: http.StatusNotImplemented, message: what + " need the period layer, which this build does not serve yet"}
}

func (c *Component) spikes(r *http.Request) (any, error) {
	q, err := periodQuery(r)
	if err != nil {
		return nil, err
	}
	if c.deps.Period == nil {
		return nil, c.notImplemented("spikes")
	}
	return c.deps.Period.Spikes(r.Context(), q)
}

func (c *Component) coverage(r *http.Request) (any, error) {
	q, err := periodQuery(r)
	if err != nil {
		return nil, err
	}
	if c.deps.Period == nil {
		return nil, c.notImplemented("coverage")
	}
	return c.deps.Period.Coverage(r.Context(), q)
}

func (c *Component) minutes(r *http.Request) (any, error) {
	p, err := requestParams(r, pSensor, pDay)
	if err != nil {
		return nil, err
	}
	if len(p.Sensors) != 1 {
		return nil, perr(pSensor, "give one sensor")
	}
	if c.deps.Period == nil {
		return nil, c.notImplemented("minute coverage")
	}
	return c.deps.Period.Minutes(r.Context(), p.Sensors[0], p.Day)
}

// HealthAnswer is the JSON of /api/v1/health.
type HealthAnswer struct {
	Status string `json:"status"`
	Error  string `json:"error,omitempty"`
}

func (c *Component) health(r *http.Request) (any, error) {
	if _, err := requestParams(r); err != nil {
		return nil, err
	}
	if c.deps.Ready != nil {
		if err := c.deps.Ready(); err != nil {
			return nil, &statusError{code: http.StatusServiceUnavailable, message: "store unavailable: " + err.Error()}
		}
	}
	return HealthAnswer{Status: "ok"}, nil
}

// GeoDatabase describes a GeoIP database in use.
type GeoDatabase struct {
	Kind      string `json:"kind"`
	Name      string `json:"name"`
	Type      string `json:"type"`
	BuildDate string `json:"build_date,omitempty"`
	SHA256    string `json:"sha256"`
}

// InfoAnswer is the JSON of /api/v1/info.
type InfoAnswer struct {
	Version   string        `json:"version"`
	Store     StoreInfo     `json:"store"`
	Geo       []GeoDatabase `json:"geo"`
	Started   string        `json:"started"`
	Uptime    float64       `json:"uptime_seconds"`
	Endpoints []string      `json:"endpoints"`
	Period    bool          `json:"period"`
}

// StoreInfo is the store part of /api/v1/info.
type StoreInfo struct {
	Path     string `json:"path"`
	TimeZone string `json:"time_zone"`
	Schema   int    `json:"schema"`
}

func (c *Component) info(r *http.Request) (any, error) {
	if _, err := requestParams(r); err != nil {
		return nil, err
	}
	out := InfoAnswer{
		Version: c.deps.Info.Version,
		Store:   StoreInfo{Path: c.deps.Store.Path(), TimeZone: c.deps.Store.TimeZone(), Schema: c.deps.Info.Schema},
		Geo:     []GeoDatabase{},
		Started: c.start.UTC().Format(time.RFC3339),
		Uptime:  time.Since(c.start).Seconds(),
		Period:  c.deps.Period != nil,
	}
	for _, rt := range routes {
		out.Endpoints = append(out.Endpoints, rt.pattern)
	}
	if c.deps.GeoDatabases != nil {
		for _, d := range c.deps.GeoDatabases() {
			g := GeoDatabase{Kind: d.Kind, Name: d.Name, Type: d.Type, SHA256: d.SHA256}
			if !d.BuildDate.IsZero() {
				g.BuildDate = d.BuildDate.UTC().Format("2006-01-02")
			}
			out.Geo = append(out.Geo, g)
		}
	}
	return out, nil
}
