package report

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"maps"
	"math"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/honeyscope/honeyscope/internal/analysis"
	"github.com/honeyscope/honeyscope/internal/classify"
	"github.com/honeyscope/honeyscope/internal/store"
)

// Loader reads the inputs of the analyses from a store, restricted to a set
// of sensors. Every method runs one or two aggregated queries; none reads
// rows one by one.
type Loader struct {
	db      *sql.DB
	loc     *time.Location
	sensors []string

	keptMu sync.Mutex
	kept   map[string][][]any // keptKeys answers by query text and arguments
}

// NewLoader returns a loader over st restricted to sensors (nil or empty:
// every sensor).
func NewLoader(st *store.Store, sensors []string) *Loader {
	loc := st.Location()
	if loc == nil {
		loc = time.UTC
	}
	return &Loader{db: st.DB(), loc: loc, sensors: slices.Clone(sensors)}
}

// Location is the time zone the store's days are in.
func (l *Loader) Location() *time.Location { return l.loc }

// Day returns midnight (in the store's zone) of the calendar day t falls on
// in that zone.
func (l *Loader) Day(t time.Time) time.Time {
	y, m, d := t.In(l.loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, l.loc)
}

// ParseDay reads a YYYY-MM-DD day as midnight in the store's zone.
func (l *Loader) ParseDay(s string) (time.Time, error) {
	t, err := time.ParseInLocation(time.DateOnly, strings.TrimSpace(s), l.loc)
	if err != nil {
		return time.Time{}, fmt.Errorf("day %q: want YYYY-MM-DD", s)
	}
	return t, nil
}

// civil is the day number (days since 1970-01-01) of the calendar date of t
// in its own location; dates read from DuckDB come back as UTC midnights.
func civil(t time.Time) int64 {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400
}

// daysBetween is the number of calendar days from a to b (b − a).
func daysBetween(a, b time.Time) int { return int(civil(b) - civil(a)) }

func dateArg(t time.Time) string { return t.Format(time.DateOnly) }

// sensorFilter returns " AND <col> IN (?, ...)" and its arguments, or
// nothing when every sensor is selected.
func (l *Loader) sensorFilter(col string) (string, []any) {
	if len(l.sensors) == 0 {
		return "", nil
	}
	args := make([]any, len(l.sensors))
	for i, s := range l.sensors {
		args[i] = s
	}
	return " AND " + col + " IN (" + strings.TrimSuffix(strings.Repeat("?,", len(args)), ",") + ")", args
}

// SensorInfo describes one sensor of the store.
type SensorInfo struct {
	Name string
	// Addresses is the number of monitored addresses (0 when unknown).
	Addresses int
}

// Sensors lists the selected sensors that have at least one ingested
// capture, by name. A sensor asked for but absent from the store is an
// error naming the sensors that exist.
func (l *Loader) Sensors(ctx context.Context) ([]SensorInfo, error) {
	rows, err := l.db.QueryContext(ctx, `SELECT i.sensor, coalesce(max(s.addresses), 0)
		FROM ingests i LEFT JOIN sensors s ON s.name = i.sensor
		GROUP BY i.sensor ORDER BY i.sensor`)
	if err != nil {
		return nil, fmt.Errorf("list sensors: %w", err)
	}
	defer rows.Close()
	var all []SensorInfo
	for rows.Next() {
		var s SensorInfo
		var addr float64
		if err := rows.Scan(&s.Name, &addr); err != nil {
			return nil, fmt.Errorf("list sensors: %w", err)
		}
		if addr > 0 && addr < math.MaxInt32 {
			s.Addresses = int(addr)
		}
		all = append(all, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list sensors: %w", err)
	}
	if len(l.sensors) == 0 {
		return all, nil
	}
	var out []SensorInfo
	for _, want := range l.sensors {
		i := slices.IndexFunc(all, func(s SensorInfo) bool { return s.Name == want })
		if i < 0 {
			names := make([]string, len(all))
			for j, s := range all {
				names[j] = s.Name
			}
			return nil, fmt.Errorf("sensor %q has no data in the store (sensors: %s)", want, strings.Join(names, ", "))
		}
		out = append(out, all[i])
	}
	return out, nil
}

// DataRange returns the first and last day holding data of the selected
// sensors; ok is false when there is none.
func (l *Loader) DataRange(ctx context.Context) (first, last time.Time, ok bool, err error) {
	f, args := l.sensorFilter("sensor")
	var lo, hi sql.NullTime
	err = l.db.QueryRowContext(ctx, `SELECT min(day), max(day) FROM sources WHERE true`+f, args...).Scan(&lo, &hi)
	if err != nil {
		return first, last, false, fmt.Errorf("data range: %w", err)
	}
	if !lo.Valid || !hi.Valid {
		return first, last, false, nil
	}
	conv := func(t time.Time) time.Time {
		y, m, d := t.Date()
		return time.Date(y, m, d, 0, 0, 0, 0, l.loc)
	}
	return conv(lo.Time), conv(hi.Time), true, nil
}

// Coverage returns, per selected sensor, which days of [from, to] were
// captured, from the first and last packet time of each ingested file.
func (l *Loader) Coverage(ctx context.Context, from, to time.Time) ([]analysis.SensorGaps, error) {
	sensors, err := l.Sensors(ctx)
	if err != nil {
		return nil, err
	}
	f, args := l.sensorFilter("sensor")
	rows, err := l.db.QueryContext(ctx, `SELECT sensor, first_ts, last_ts FROM ingests
		WHERE first_ts IS NOT NULL AND last_ts IS NOT NULL`+f, args...)
	if err != nil {
		return nil, fmt.Errorf("coverage: %w", err)
	}
	defer rows.Close()
	ivs := map[string][]analysis.Interval{}
	for rows.Next() {
		var s string
		var a, b time.Time
		if err := rows.Scan(&s, &a, &b); err != nil {
			return nil, fmt.Errorf("coverage: %w", err)
		}
		if b.Before(a) {
			a, b = b, a
		}
		ivs[s] = append(ivs[s], analysis.Interval{Start: a.UTC(), End: b.UTC()})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("coverage: %w", err)
	}
	cov := make([]analysis.SensorCoverage, len(sensors))
	for i, s := range sensors {
		cov[i] = analysis.SensorCoverage{Sensor: s.Name, Intervals: ivs[s.Name]}
	}
	r := analysis.DayRange{Start: l.Day(from), Days: daysBetween(l.Day(from), l.Day(to)) + 1, Loc: l.loc}
	if r.Days < 0 {
		r.Days = 0
	}
	return analysis.Gaps(cov, r, analysis.DefaultGapConfig())
}

// PresentAny is the presence flag of merged series: a day is present when
// at least one sensor captured part of it.
func PresentAny(gaps []analysis.SensorGaps, days int) []bool {
	p := make([]bool, days)
	for _, g := range gaps {
		for i, d := range g.Days {
			if i < days && d.State != analysis.NoData {
				p[i] = true
			}
		}
	}
	return p
}

// SeriesQuery selects daily series.
type SeriesQuery struct {
	// From and To are the first and last day (inclusive): any instant of
	// those days in the store's time zone.
	From, To time.Time
	// Dim is analysis.DimCountry, DimPort or DimASN.
	Dim string
	// Unit is packets or distinct sources.
	Unit analysis.Unit
	// Classes limits the classes (nil: all).
	Classes []string
	// Country limits the sources to one country ("" = all), e.g. "JP".
	Country string
	// BySensor returns one series per sensor instead of merged series.
	// Distinct sources are counted per sensor then.
	BySensor bool
	// Keep > 0 limits the keys of each class; see Series.
	Keep int
}

// SensorSeries is a daily series of one sensor, or of all selected sensors
// when Sensor is "".
type SensorSeries struct {
	Sensor string
	analysis.Series
}

// classJoin joins hits with the classes each row carries. It is the
// class_hits view spelled out, so that filters on class names reach the
// join.
const classJoin = ` FROM hits h JOIN classes c ON (h.classes & c.bit) <> 0 `

// portClassJoin is classJoin for questions that need neither the source
// address nor its country or AS: port_hits has the source key, so the
// sources table is not joined.
const portClassJoin = ` FROM port_hits h JOIN classes c ON (h.classes & c.bit) <> 0 `

func (l *Loader) classFilter(classes []string) (string, []any, error) {
	if len(classes) == 0 {
		return "", nil, nil
	}
	args := make([]any, len(classes))
	for i, c := range classes {
		if _, ok := classify.ParseClass(c); !ok {
			return "", nil, fmt.Errorf("unknown class %q (one of %s)", c, strings.Join(classify.Names(), ", "))
		}
		args[i] = c
	}
	return " AND c.name IN (" + strings.TrimSuffix(strings.Repeat("?,", len(args)), ",") + ")", args, nil
}

func measureSQL(u analysis.Unit) (string, error) {
	switch u {
	case analysis.UnitPackets, "":
		return "CAST(sum(h.packets) AS DOUBLE)", nil
	case analysis.UnitSources:
		return "CAST(count(DISTINCT h.skey) AS DOUBLE)", nil
	}
	return "", fmt.Errorf("unknown unit %q (packets or sources)", u)
}

// PortKey formats a protocol number and port as an analysis port key
// ("23/tcp").
func PortKey(proto uint8, port int) string {
	return strconv.Itoa(port) + "/" + store.ProtoName(proto)
}

// ASNKey formats an AS number as an analysis key ("AS12345").
func ASNKey(asn uint32) string { return "AS" + strconv.FormatUint(uint64(asn), 10) }

// OtherKey is the key of the series that sums the keys a SeriesQuery with
// Keep left out: "other" for AS numbers, "other/<proto>" for ports.
const OtherKey = "other"

// IsOther reports whether key is a folded "other" key.
func IsOther(key string) bool { return key == OtherKey || strings.HasPrefix(key, OtherKey+"/") }

// Series returns the daily series of q, one per class and key (and sensor
// with BySensor), ordered by class (display order), sensor and key. Days
// without rows are 0; Present is left nil for the caller to fill from
// Coverage.
//
// With Keep > 0 only the Keep keys of each class with most packets over
// the period, and the Keep keys with the highest single-day packet count
// (so that a one-day burst on an otherwise quiet key is kept), get their
// own series; the others are summed into OtherKey series (one per
// protocol for ports). Destination ports and AS numbers run into the tens
// of thousands (a masscan sweep hits every port), and the database
// answers the folded question far faster than Go can receive every key.
func (l *Loader) Series(ctx context.Context, q SeriesQuery) ([]SensorSeries, error) {
	from, to := l.Day(q.From), l.Day(q.To)
	n := daysBetween(from, to) + 1
	if n <= 0 {
		return nil, fmt.Errorf("series: period ends (%s) before it starts (%s)", dateArg(to), dateArg(from))
	}
	var keyCols []string
	switch q.Dim {
	case analysis.DimCountry:
		keyCols = []string{"country"}
	case analysis.DimPort:
		keyCols = []string{"proto", "port"}
	case analysis.DimASN:
		keyCols = []string{"asn"}
	default:
		return nil, fmt.Errorf("series: unknown dimension %q (country, port or asn)", q.Dim)
	}
	if q.Unit != analysis.UnitPackets && q.Unit != analysis.UnitSources && q.Unit != "" {
		return nil, fmt.Errorf("series: unknown unit %q (packets or sources)", q.Unit)
	}
	classes := classify.Names()
	if len(q.Classes) > 0 {
		if _, _, err := l.classFilter(q.Classes); err != nil {
			return nil, fmt.Errorf("series: %w", err)
		}
		classes = q.Classes
	}
	sf, sargs := l.sensorFilter("h.sensor")
	sensorCol := "''"
	if q.BySensor {
		sensorCol = "h.sensor"
	}
	where := ` WHERE h.day BETWEEN CAST(? AS DATE) AND CAST(? AS DATE)` + sf
	whereArgs := append([]any{dateArg(from), dateArg(to)}, sargs...)
	if q.Country != "" {
		where += " AND h.country = ?"
		whereArgs = append(whereArgs, q.Country)
	}
	hk := make([]string, len(keyCols))
	for i, c := range keyCols {
		hk[i] = "h." + c
	}
	// One filtered sum per class: the class bits are tested inside the
	// aggregation, so hits are scanned once and never joined.
	bitOf := func(c string) int {
		cl, _ := classify.ParseClass(c)
		return int(cl.Bit())
	}
	var sums []string
	for _, c := range classes {
		sums = append(sums, fmt.Sprintf("CAST(sum(h.packets) FILTER (WHERE h.classes & %d <> 0) AS DOUBLE)", bitOf(c)))
	}
	keyExpr := strings.Join(hk, ", ")
	// Packet counts by port need neither the source address nor its
	// country: port_hits reads them without joining the sources table.
	packetTable := "hits"
	if q.Dim == analysis.DimPort && q.Country == "" {
		packetTable = "port_hits"
	}
	join := ""
	var joinArgs []any
	if q.Keep > 0 {
		kept, err := l.keptKeys(ctx, packetTable, keyCols, classes, where, whereArgs, sums, q.Keep)
		if err != nil {
			return nil, fmt.Errorf("series by %s: %w", q.Dim, err)
		}
		last := keyCols[len(keyCols)-1]
		fk := make([]string, len(keyCols))
		copy(fk, hk)
		if len(kept) == 0 {
			fk[len(fk)-1] = "NULL"
		} else {
			var on []string
			for _, c := range keyCols {
				on = append(on, "k."+c+" = h."+c)
			}
			tuple := "(?" + strings.Repeat(", ?", len(keyCols)-1) + ")"
			join = ` LEFT JOIN (VALUES ` + strings.TrimSuffix(strings.Repeat(tuple+", ", len(kept)), ", ") +
				`) k(` + strings.Join(keyCols, ", ") + `) ON ` + strings.Join(on, " AND ")
			for _, k := range kept {
				joinArgs = append(joinArgs, k...)
			}
			fk[len(fk)-1] = "CASE WHEN k." + last + " IS NULL THEN NULL ELSE h." + last + " END"
		}
		keyExpr = strings.Join(fk, ", ")
	}
	args := append(joinArgs, whereArgs...)
	measures, table := sums, packetTable
	if q.Unit == analysis.UnitSources {
		// Distinct sources: one filtered distinct count of the integer
		// source key per class, in one scan. Country and AS are properties
		// of a source-day, so the much smaller sources table answers
		// exactly (its classes column is the OR over the source-day's
		// packets); ports need the hits, which carry the key themselves.
		measures = nil
		for _, c := range classes {
			measures = append(measures, fmt.Sprintf("CAST(count(DISTINCT h.skey) FILTER (WHERE h.classes & %d <> 0) AS DOUBLE)", bitOf(c)))
		}
		if q.Dim != analysis.DimPort {
			table = "sources"
		}
	}
	sqlText := `SELECT h.day, ` + sensorCol + `, ` + keyExpr + `, ` + strings.Join(measures, ", ") +
		` FROM ` + table + ` h` + join + where + ` GROUP BY ALL`
	rows, err := l.db.QueryContext(ctx, sqlText, args...)
	if err != nil {
		return nil, fmt.Errorf("series by %s: %w", q.Dim, err)
	}
	defer rows.Close()
	type id struct{ class, sensor, key string }
	idx := map[id]int{}
	var out []SensorSeries
	start := civil(from)
	add := func(class, sensor, k string, d int, v float64) {
		if d < 0 || d >= n || v == 0 {
			return
		}
		i, ok := idx[id{class, sensor, k}]
		if !ok {
			i = len(out)
			idx[id{class, sensor, k}] = i
			out = append(out, SensorSeries{Sensor: sensor, Series: analysis.Series{
				Class: class, Dim: q.Dim, Key: k, Values: make([]float64, n)}})
		}
		out[i].Values[d] += v
	}
	for rows.Next() {
		var (
			sensor     string
			day        time.Time
			country    sql.NullString
			proto, num sql.NullInt64
			vals       = make([]sql.NullFloat64, len(classes))
		)
		dest := []any{&day, &sensor}
		switch q.Dim {
		case analysis.DimCountry:
			dest = append(dest, &country)
		case analysis.DimPort:
			dest = append(dest, &proto, &num)
		case analysis.DimASN:
			dest = append(dest, &num)
		}
		for i := range vals {
			dest = append(dest, &vals[i])
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("series by %s: %w", q.Dim, err)
		}
		var k string
		switch q.Dim {
		case analysis.DimCountry:
			k = country.String
		case analysis.DimPort:
			if num.Valid {
				k = PortKey(uint8(proto.Int64), int(num.Int64))
			} else {
				k = OtherKey + "/" + store.ProtoName(uint8(proto.Int64))
			}
		case analysis.DimASN:
			if num.Valid {
				k = ASNKey(uint32(num.Int64))
			} else {
				k = OtherKey
			}
		}
		d := int(civil(day) - start)
		for i, c := range classes {
			if vals[i].Valid {
				add(c, sensor, k, d, vals[i].Float64)
			}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("series by %s: %w", q.Dim, err)
	}
	slices.SortFunc(out, func(a, b SensorSeries) int {
		return cmp.Or(cmp.Compare(classOrder(a.Class), classOrder(b.Class)), cmp.Compare(a.Class, b.Class),
			cmp.Compare(a.Sensor, b.Sensor), cmp.Compare(a.Key, b.Key))
	})
	return out, nil
}

// keptKeys returns the keys (values of keyCols) that are among the keep
// largest of some class by total packets or by packets on one day.
func (l *Loader) keptKeys(ctx context.Context, table string, keyCols, classes []string, where string, whereArgs []any, sums []string, keep int) ([][]any, error) {
	kc := strings.Join(keyCols, ", ")
	hk := make([]string, len(keyCols))
	for i, c := range keyCols {
		hk[i] = "h." + c
	}
	var cols, ranks []string
	for i := range classes {
		cols = append(cols, fmt.Sprintf("%s AS v%d", sums[i], i))
		ranks = append(ranks, fmt.Sprintf(`SELECT %[1]s FROM t WHERE t%[2]d > 0
			QUALIFY row_number() OVER (ORDER BY t%[2]d DESC, %[1]s) <= %[3]d OR row_number() OVER (ORDER BY p%[2]d DESC, %[1]s) <= %[3]d`, kc, i, keep))
	}
	var agg []string
	for i := range classes {
		agg = append(agg, fmt.Sprintf("coalesce(sum(v%[1]d), 0) AS t%[1]d, coalesce(max(v%[1]d), 0) AS p%[1]d", i))
	}
	q := `WITH d AS (SELECT h.day, ` + strings.Join(hk, ", ") + `, ` + strings.Join(cols, ", ") + ` FROM ` + table + ` h` + where + ` GROUP BY ALL),
		t AS (SELECT ` + kc + `, ` + strings.Join(agg, ", ") + ` FROM d GROUP BY ALL)
		` + strings.Join(ranks, " UNION ") + ` ORDER BY ALL`
	// A report asks for the same keys once per unit: the answer is kept.
	memo := q + fmt.Sprintf("%#v", whereArgs)
	l.keptMu.Lock()
	done, ok := l.kept[memo]
	l.keptMu.Unlock()
	if ok {
		return done, nil
	}
	rows, err := l.db.QueryContext(ctx, q, whereArgs...)
	if err != nil {
		return nil, fmt.Errorf("top keys: %w", err)
	}
	defer rows.Close()
	var out [][]any
	for rows.Next() {
		vals := make([]any, len(keyCols))
		ptrs := make([]any, len(keyCols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, fmt.Errorf("top keys: %w", err)
		}
		out = append(out, vals)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	l.keptMu.Lock()
	if l.kept == nil {
		l.kept = map[string][][]any{}
	}
	l.kept[memo] = out
	l.keptMu.Unlock()
	return out, nil
}

// classOrder is the display position of a class (unknown names last).
func classOrder(name string) int {
	if c, ok := classify.ParseClass(name); ok {
		return int(c)
	}
	return int(classify.NumClasses)
}

// Merge adds per-sensor series of packets into one series per class and
// key (Sensor ""). Distinct sources cannot be added up this way; query them
// merged instead.
func Merge(in []SensorSeries) []SensorSeries {
	type id struct{ class, key string }
	idx := map[id]int{}
	var out []SensorSeries
	for _, s := range in {
		i, ok := idx[id{s.Class, s.Key}]
		if !ok {
			i = len(out)
			idx[id{s.Class, s.Key}] = i
			out = append(out, SensorSeries{Series: analysis.Series{Class: s.Class, Dim: s.Dim, Key: s.Key,
				Values: make([]float64, len(s.Values))}})
		}
		for d, v := range s.Values {
			if d < len(out[i].Values) {
				out[i].Values[d] += v
			}
		}
	}
	return out
}

// Total is a count over a period.
type Total struct {
	Packets float64
	Sources float64 // distinct source addresses
}

// Totals returns packets and distinct sources per class over [from, to].
func (l *Loader) Totals(ctx context.Context, from, to time.Time) (map[string]Total, error) {
	sf, sargs := l.sensorFilter("h.sensor")
	args := append([]any{dateArg(l.Day(from)), dateArg(l.Day(to))}, sargs...)
	rows, err := l.db.QueryContext(ctx, `SELECT c.name, CAST(sum(h.packets) AS DOUBLE), CAST(count(DISTINCT h.skey) AS DOUBLE)`+
		portClassJoin+`WHERE h.day BETWEEN CAST(? AS DATE) AND CAST(? AS DATE)`+sf+` GROUP BY c.name`, args...)
	if err != nil {
		return nil, fmt.Errorf("totals: %w", err)
	}
	defer rows.Close()
	out := map[string]Total{}
	for rows.Next() {
		var c string
		var t Total
		if err := rows.Scan(&c, &t.Packets, &t.Sources); err != nil {
			return nil, fmt.Errorf("totals: %w", err)
		}
		out[c] = t
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("totals: %w", err)
	}
	return out, nil
}

// ClassKey names one series: a class and a key of a dimension.
type ClassKey struct {
	Class, Dim, Key string
}

// KeySources returns the distinct sources over [from, to] of each wanted
// class and key (dimensions country, port and asn; other keys are
// ignored). Distinct counts cannot be added up from daily series, so top-N
// tables ask for them here, for their few keys only.
func (l *Loader) KeySources(ctx context.Context, from, to time.Time, want []ClassKey) (map[ClassKey]float64, error) {
	out := map[ClassKey]float64{}
	var parts []string
	var args []any
	sf, sargs := l.sensorFilter("h.sensor")
	// Country and AS belong to a source-day, so distinct sources by them come
	// from the sources table (its classes column is the OR over the
	// source-day's packets); ports need the hits.
	add := func(dim, cols, keySel string, vals [][]any) {
		table := portClassJoin
		if dim != analysis.DimPort {
			table = ` FROM sources h JOIN classes c ON (h.classes & c.bit) <> 0 `
		}
		if len(vals) == 0 {
			return
		}
		tuple := "(?" + strings.Repeat(", ?", strings.Count(cols, ",")) + ")"
		list := strings.TrimSuffix(strings.Repeat(tuple+", ", len(vals)), ", ")
		var on []string
		for _, c := range strings.Split(cols, ",") {
			c = strings.TrimSpace(c)
			if c == "class" {
				on = append(on, "w.class = c.name")
			} else {
				on = append(on, "w."+c+" = h."+c)
			}
		}
		parts = append(parts, `SELECT '`+dim+`' AS dim, c.name, `+keySel+`, CAST(count(DISTINCT h.skey) AS DOUBLE)`+table+
			`JOIN (VALUES `+list+`) w(`+cols+`) ON `+strings.Join(on, " AND ")+
			` WHERE h.day BETWEEN CAST(? AS DATE) AND CAST(? AS DATE)`+sf+` GROUP BY ALL`)
		for _, v := range vals {
			args = append(args, v...)
		}
		args = append(args, dateArg(l.Day(from)), dateArg(l.Day(to)))
		args = append(args, sargs...)
	}
	var cc, pp, aa [][]any
	for _, k := range want {
		switch k.Dim {
		case analysis.DimCountry:
			cc = append(cc, []any{k.Class, k.Key})
		case analysis.DimPort:
			proto, port, ok := analysis.ParsePortKey(k.Key)
			if !ok {
				continue
			}
			pn, err := store.ProtoNumber(proto)
			if err != nil {
				continue
			}
			pp = append(pp, []any{k.Class, int(pn), port})
		case analysis.DimASN:
			n, err := strconv.ParseUint(strings.TrimPrefix(k.Key, "AS"), 10, 32)
			if err != nil {
				continue
			}
			aa = append(aa, []any{k.Class, int64(n)})
		}
	}
	add(analysis.DimCountry, "class, country", "h.country, NULL::UTINYINT, NULL::USMALLINT, NULL::UINTEGER", cc)
	add(analysis.DimPort, "class, proto, port", "NULL::VARCHAR, h.proto, h.port, NULL::UINTEGER", pp)
	add(analysis.DimASN, "class, asn", "NULL::VARCHAR, NULL::UTINYINT, NULL::USMALLINT, h.asn", aa)
	if len(parts) == 0 {
		return out, nil
	}
	rows, err := l.db.QueryContext(ctx, strings.Join(parts, " UNION ALL "), args...)
	if err != nil {
		return nil, fmt.Errorf("distinct sources of top keys: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			dim, class string
			country    sql.NullString
			proto      sql.NullInt64
			port       sql.NullInt64
			asn        sql.NullInt64
			v          float64
		)
		if err := rows.Scan(&dim, &class, &country, &proto, &port, &asn, &v); err != nil {
			return nil, fmt.Errorf("distinct sources of top keys: %w", err)
		}
		k := ClassKey{Class: class, Dim: dim}
		switch dim {
		case analysis.DimCountry:
			k.Key = country.String
		case analysis.DimPort:
			k.Key = PortKey(uint8(proto.Int64), int(port.Int64))
		default:
			k.Key = ASNKey(uint32(asn.Int64))
		}
		out[k] = v
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("distinct sources of top keys: %w", err)
	}
	return out, nil
}

// ASOrgs returns the organisation of each AS seen in [from, to].
func (l *Loader) ASOrgs(ctx context.Context, from, to time.Time) (map[string]string, error) {
	sf, sargs := l.sensorFilter("sensor")
	args := append([]any{dateArg(l.Day(from)), dateArg(l.Day(to))}, sargs...)
	rows, err := l.db.QueryContext(ctx, `SELECT asn, any_value(as_org) FROM sources
		WHERE day BETWEEN CAST(? AS DATE) AND CAST(? AS DATE) AND as_org <> '' AND asn <> 0`+sf+` GROUP BY asn`, args...)
	if err != nil {
		return nil, fmt.Errorf("AS names: %w", err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var asn uint32
		var org string
		if err := rows.Scan(&asn, &org); err != nil {
			return nil, fmt.Errorf("AS names: %w", err)
		}
		out[ASNKey(asn)] = org
	}
	return out, rows.Err()
}

// DriverTopN is the default number of drivers per dimension Drivers
// returns.
const DriverTopN = 3

// driverLead is the least share of the finding's value a driver must carry
// to be named in the finding's sentence (the first drivers of the list).
const driverLead = 0.1

// Drivers returns what drove a finding: within the finding's series (its
// class and key) on its day (over its days for a rise), the top ASNs,
// destination ports, IPv4 /24 prefixes and sources, each with its value and
// its own baseline (the median over the finding's baseline window, absent
// days of the key counting as 0). A dimension equal to the finding's own is
// skipped, and AS 0 (unknown) is never a driver.
//
// Order: the largest key of each dimension carrying at least a tenth of the
// finding's value comes first (AS, then port, prefix, source: these are the
// ones a sentence names), then the remaining keys by dimension and value.
func (l *Loader) Drivers(ctx context.Context, f analysis.Finding, topN int) ([]analysis.Driver, error) {
	if topN < 1 {
		topN = DriverTopN
	}
	meas, err := measureSQL(f.Unit)
	if err != nil {
		return nil, fmt.Errorf("drivers: %w", err)
	}
	var keyWhere string
	var keyArgs []any
	switch f.Dim {
	case analysis.DimCountry:
		keyWhere, keyArgs = " AND h.country = ?", []any{f.Key}
	case analysis.DimPort:
		proto, port, ok := analysis.ParsePortKey(f.Key)
		if !ok {
			return nil, fmt.Errorf("drivers: bad port key %q", f.Key)
		}
		pn, err := store.ProtoNumber(proto)
		if err != nil {
			return nil, fmt.Errorf("drivers: %w", err)
		}
		keyWhere, keyArgs = " AND h.proto = ? AND h.port = ?", []any{pn, port}
	case analysis.DimASN:
		n, err := strconv.ParseUint(strings.TrimPrefix(f.Key, "AS"), 10, 32)
		if err != nil {
			return nil, fmt.Errorf("drivers: bad AS key %q", f.Key)
		}
		keyWhere, keyArgs = " AND h.asn = ?", []any{uint32(n)}
	default:
		return nil, fmt.Errorf("drivers: unknown dimension %q", f.Dim)
	}
	sf, sargs := l.sensorFilter("h.sensor")
	first, last := l.Day(f.Day), l.Day(f.LastDay)
	if last.Before(first) {
		last = first
	}
	days := float64(daysBetween(first, last) + 1)
	window := max(f.Window, 1)
	baseFrom := first.AddDate(0, 0, -window)
	// One query: AS, port and /24 prefix, grouped by day, over the baseline
	// window and the finding's days. Sources are asked for separately
	// (topSources) over the finding's days only: over the window there
	// would be too many rows.
	// The /24 of an IPv4 source is its source key (its 32-bit value) / 256.
	const prefixSQL = `CASE WHEN h.skey < 4294967296 THEN h.skey // 256 END`
	q := `SELECT GROUPING(h.asn) = 0, GROUPING(h.proto, h.port) = 0, GROUPING(h.pfx) = 0,
		h.day, h.asn, h.proto, h.port, h.pfx, ` + meas + `
		FROM (SELECT h.day, h.asn, h.proto, h.port, h.skey, h.packets, ` + prefixSQL + ` AS pfx` + classJoin +
		`WHERE c.name = ? AND h.day BETWEEN CAST(? AS DATE) AND CAST(? AS DATE)` + sf + keyWhere + `) h
		GROUP BY GROUPING SETS ((h.day, h.asn), (h.day, h.proto, h.port), (h.day, h.pfx))`
	args := []any{f.Class, dateArg(baseFrom), dateArg(last)}
	args = append(args, sargs...)
	args = append(args, keyArgs...)
	rows, err := l.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("drivers of %s/%s/%s: %w", f.Class, f.Dim, f.Key, err)
	}
	defer rows.Close()
	type acc struct {
		now  float64
		base map[int]float64 // window day index → value
	}
	dims := map[string]map[string]*acc{}
	firstC := civil(first)
	for rows.Next() {
		var (
			isASN, isPort, isPfx bool
			day                  time.Time
			asn, proto, port     sql.NullInt64
			pfx                  sql.NullInt64
			v                    float64
		)
		if err := rows.Scan(&isASN, &isPort, &isPfx, &day, &asn, &proto, &port, &pfx, &v); err != nil {
			return nil, fmt.Errorf("drivers: %w", err)
		}
		var dim, key string
		switch {
		case isASN:
			if !asn.Valid || asn.Int64 == 0 {
				continue
			}
			dim, key = analysis.DimASN, ASNKey(uint32(asn.Int64))
		case isPort:
			dim, key = analysis.DimPort, PortKey(uint8(proto.Int64), int(port.Int64))
		case isPfx:
			if !pfx.Valid {
				continue
			}
			p := uint32(pfx.Int64) << 8
			dim, key = analysis.DimPrefix, netip.AddrFrom4([4]byte{byte(p >> 24), byte(p >> 16), byte(p >> 8), 0}).String()+"/24"
		default:
			continue
		}
		if dim == f.Dim {
			continue
		}
		if dims[dim] == nil {
			dims[dim] = map[string]*acc{}
		}
		a := dims[dim][key]
		if a == nil {
			a = &acc{base: map[int]float64{}}
			dims[dim][key] = a
		}
		d := int(civil(day) - firstC)
		if d >= 0 {
			a.now += v / days
		} else {
			a.base[d] += v
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("drivers: %w", err)
	}
	srcs, err := l.topSources(ctx, f, first, last, keyWhere, keyArgs, topN)
	if err != nil {
		return nil, err
	}
	var lead, rest []analysis.Driver
	for _, dim := range []string{analysis.DimASN, analysis.DimPort, analysis.DimPrefix, analysis.DimSource} {
		var ds []analysis.Driver
		if dim == analysis.DimSource {
			ds = srcs
		} else {
			for k, a := range dims[dim] {
				if a.now <= 0 {
					continue
				}
				base := make([]float64, window)
				for d, v := range a.base {
					if -d <= window {
						base[window+d] = v
					}
				}
				slices.Sort(base)
				ds = append(ds, analysis.Driver{Dim: dim, Key: k, Value: a.now, Baseline: median(base)})
			}
		}
		slices.SortFunc(ds, func(a, b analysis.Driver) int {
			return cmp.Or(cmp.Compare(b.Value, a.Value), cmp.Compare(a.Key, b.Key))
		})
		ds = ds[:min(len(ds), topN)]
		if len(ds) > 0 && ds[0].Value >= driverLead*f.Value {
			lead = append(lead, ds[0])
			ds = ds[1:]
		}
		rest = append(rest, ds...)
	}
	return append(lead, rest...), nil
}

// topSources returns the sources that sent most over the finding's days.
func (l *Loader) topSources(ctx context.Context, f analysis.Finding, first, last time.Time, keyWhere string, keyArgs []any, n int) ([]analysis.Driver, error) {
	sf, sargs := l.sensorFilter("h.sensor")
	days := float64(daysBetween(first, last) + 1)
	args := []any{f.Class, dateArg(first), dateArg(last)}
	args = append(args, sargs...)
	args = append(args, keyArgs...)
	rows, err := l.db.QueryContext(ctx, `SELECT h.src, CAST(sum(h.packets) AS DOUBLE) AS p`+classJoin+
		`WHERE c.name = ? AND h.day BETWEEN CAST(? AS DATE) AND CAST(? AS DATE)`+sf+keyWhere+
		` GROUP BY h.src ORDER BY p DESC, h.src LIMIT `+strconv.Itoa(n), args...)
	if err != nil {
		return nil, fmt.Errorf("drivers: top sources: %w", err)
	}
	defer rows.Close()
	var out []analysis.Driver
	for rows.Next() {
		var src string
		var p float64
		if err := rows.Scan(&src, &p); err != nil {
			return nil, fmt.Errorf("drivers: top sources: %w", err)
		}
		v := p / days
		if f.Unit == analysis.UnitSources {
			v = 1
		}
		out = append(out, analysis.Driver{Dim: analysis.DimSource, Key: src, Value: v})
	}
	return out, rows.Err()
}

func median(sorted []float64) float64 {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	if n%2 == 1 {
		return sorted[n/2]
	}
	return (sorted[n/2-1] + sorted[n/2]) / 2
}

// CompareInput assembles one sensor's analysis.SensorData from per-sensor
// packet series by country and by port (as Series returns them with
// BySensor) over the comparison period. Daily is the access class (every
// packet); present flags the sensor's days with data.
func CompareInput(sensor SensorInfo, countries, ports []SensorSeries, days int, present []bool) analysis.SensorData {
	sd := analysis.SensorData{Name: sensor.Name, Addresses: sensor.Addresses, Daily: make([]float64, days),
		Present: present, Classes: map[string]analysis.ClassData{}}
	get := func(class string) analysis.ClassData {
		cd, ok := sd.Classes[class]
		if !ok {
			cd = analysis.ClassData{Countries: map[string]float64{}, CountryDaily: map[string][]float64{}, Ports: map[string]float64{}}
			sd.Classes[class] = cd
		}
		return cd
	}
	for _, s := range countries {
		if s.Sensor != sensor.Name {
			continue
		}
		cd := get(s.Class)
		daily := make([]float64, days)
		var t float64
		for d, v := range s.Values {
			if d >= days || (present != nil && !present[d]) {
				continue
			}
			daily[d] = v
			t += v
			if s.Class == classify.Access.String() {
				sd.Daily[d] += v
			}
		}
		cd.Countries[s.Key] += t
		cd.CountryDaily[s.Key] = daily
	}
	for _, s := range ports {
		if s.Sensor != sensor.Name {
			continue
		}
		cd := get(s.Class)
		var t float64
		for d, v := range s.Values {
			if d < days && (present == nil || present[d]) {
				t += v
			}
		}
		cd.Ports[s.Key] += t
	}
	// Classes with no traffic at this sensor are left out.
	for _, c := range slices.Collect(maps.Keys(sd.Classes)) {
		var t float64
		for _, v := range sd.Classes[c].Countries {
			t += v
		}
		if t == 0 {
			delete(sd.Classes, c)
		}
	}
	return sd
}
