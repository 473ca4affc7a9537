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
	"github.com/honeyscope/honeyscope/internal/store/duckstore"
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
func NewLoader(st *duckstore.Store, sensors []string) *Loader {
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

// SensorPresent returns each sensor's presence flags over the first days
// days of gaps: a day is present when the sensor captured part of it.
func SensorPresent(gaps []analysis.SensorGaps, days int) map[string][]bool {
	out := make(map[string][]bool, len(gaps))
	for _, g := range gaps {
		p := make([]bool, days)
		for i, d := range g.Days {
			if i < days {
				p[i] = d.State != analysis.NoData
			}
		}
		out[g.Sensor] = p
	}
	return out
}

// PresentAll is the presence flag of series combining several sensors:
// day i of [0, days) is present when every sensor that has data on some
// day of [lo, hi) (the period the series are about) captured part of it.
// A day one of those sensors missed is incomplete: its combined count
// would fall by that sensor's share and read as a drop, so it is treated
// as a day without data (drawn as a gap, skipped by baselines). Sensors
// with no data at all in [lo, hi) do not count, so a sensor that was not
// yet deployed does not blank the period.
func PresentAll(gaps []analysis.SensorGaps, days, lo, hi int) []bool {
	p := make([]bool, days)
	active := activeSensors(gaps, lo, hi)
	if len(active) == 0 {
		return p
	}
	for i := range p {
		p[i] = true
		for _, g := range active {
			if i >= len(g.Days) || g.Days[i].State == analysis.NoData {
				p[i] = false
				break
			}
		}
	}
	return p
}

// activeSensors returns the sensors with data on some day of [lo, hi).
func activeSensors(gaps []analysis.SensorGaps, lo, hi int) []analysis.SensorGaps {
	var active []analysis.SensorGaps
	for _, g := range gaps {
		for i := max(lo, 0); i < min(hi, len(g.Days)); i++ {
			if g.Days[i].State != analysis.NoData {
				active = append(active, g)
				break
			}
		}
	}
	return active
}

// PresentAny is the presence flag of merged series: a day is present when
// at least one sensor captured part of it. Reports use PresentAll.
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
// Keep left out: "other" for AS numbers, "other/<proto>" for ports below
// FoldFrom; left-out ports from FoldFrom up are summed into a range key
// (see RangeKey).
const OtherKey = "other"

// FoldFrom is the lowest port a SeriesQuery with Keep folds into the high
// range, analysis.DefaultPortConfig's FoldFrom.
var FoldFrom = analysis.DefaultPortConfig().FoldFrom

// RangeKey is the key of the series of left-out ports from FoldFrom up of
// one protocol: "1024-65535/tcp".
func RangeKey(proto string) string { return strconv.Itoa(FoldFrom) + "-65535/" + proto }

// IsOther reports whether key is a folded key: "other", "other/<proto>" or
// a port range ("1024-65535/tcp").
func IsOther(key string) bool {
	if key == OtherKey || strings.HasPrefix(key, OtherKey+"/") {
		return true
	}
	_, _, _, ok := analysis.ParsePortRange(key)
	return ok
}

// Series returns the daily series of q, one per class and key (and sensor
// with BySensor), ordered by class (display order), sensor and key. Days
// without rows are 0; Present is left nil for the caller to fill from
// Coverage.
//
// With Keep > 0 only the Keep keys of each class with most packets over
// the period, and the Keep keys with the highest single-day packet count
// (so that a one-day burst on an otherwise quiet key is kept), get their
// own series; the others are summed into OtherKey series (for ports: one
// per protocol below FoldFrom, and one RangeKey series per protocol from
// FoldFrom up). Destination ports and AS numbers run into the tens
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
		if q.Dim == analysis.DimPort {
			// Left-out high ports get -1: the RangeKey series.
			high := "WHEN h.port >= " + strconv.Itoa(FoldFrom) + " THEN -1 "
			if len(kept) == 0 {
				fk[len(fk)-1] = "CASE " + high + "END"
			} else {
				fk[len(fk)-1] = "CASE WHEN k.port IS NOT NULL THEN CAST(h.port AS INTEGER) " + high + "END"
			}
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
			sensor     sql.NullString
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
			switch {
			case !num.Valid:
				k = OtherKey + "/" + store.ProtoName(uint8(proto.Int64))
			case num.Int64 < 0:
				k = RangeKey(store.ProtoName(uint8(proto.Int64)))
			default:
				k = PortKey(uint8(proto.Int64), int(num.Int64))
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
				add(c, sensor.String, k, d, vals[i].Float64)
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

// HighPorts returns, per class and protocol, how many distinct destination
// ports from FoldFrom up were hit over [from, to] at the selected sensors:
// the size of the folded high-port range.
func (l *Loader) HighPorts(ctx context.Context, from, to time.Time) (map[string]map[string]int, error) {
	sf, sargs := l.sensorFilter("h.sensor")
	args := append([]any{dateArg(l.Day(from)), dateArg(l.Day(to)), FoldFrom}, sargs...)
	rows, err := l.db.QueryContext(ctx, `SELECT c.name, h.proto, count(DISTINCT h.port)`+portClassJoin+
		`WHERE h.day BETWEEN CAST(? AS DATE) AND CAST(? AS DATE) AND h.port >= ?`+sf+` GROUP BY ALL`, args...)
	if err != nil {
		return nil, fmt.Errorf("high ports: %w", err)
	}
	defer rows.Close()
	out := map[string]map[string]int{}
	for rows.Next() {
		var class string
		var proto uint8
		var n int
		if err := rows.Scan(&class, &proto, &n); err != nil {
			return nil, fmt.Errorf("high ports: %w", err)
		}
		if out[class] == nil {
			out[class] = map[string]int{}
		}
		out[class][store.ProtoName(proto)] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("high ports: %w", err)
	}
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

// driverLead is the least share of the finding's excess over its baseline
// a driver's own excess must reach to lead the list.
const driverLead = 0.1

// Drivers returns what drove a finding: within the finding's series (its
// class and key) on its day (over its days for a rise), the top ASNs,
// destination ports, IPv4 /24 prefixes and sources, each with its value and
// its own baseline (the median over the finding's baseline window, absent
// days of the key counting as 0). A dimension equal to the finding's own is
// skipped, and AS 0 (unknown) is never a driver.
//
// A finding of one sensor (Finding.Sensor set) is explained by that
// sensor's traffic only.
//
// Order is by contribution, the driver's excess over its own baseline
// (value − baseline): the key of each dimension with the largest excess
// comes first when that excess is at least a tenth of the finding's (these
// are the ones a sentence names, one per dimension so that they say
// different things), largest excess first; then the remaining keys, largest
// excess first.
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
	sf, sargs := l.findingFilter(f)
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
	// A driver's baseline is its median over the window's days with data
	// (at the finding's sensor, or at every sensor for combined series), as
	// for the finding itself: days without data are skipped, not zeros.
	cov, err := l.Coverage(ctx, baseFrom, first.AddDate(0, 0, -1))
	if err != nil {
		return nil, fmt.Errorf("drivers: %w", err)
	}
	present := PresentAll(cov, window, 0, window)
	if f.Sensor != "" {
		present = SensorPresent(cov, window)[f.Sensor] // nil (no day) for an unknown sensor
	}
	srcs, err := l.topSources(ctx, f, first, last, keyWhere, keyArgs, topN)
	if err != nil {
		return nil, err
	}
	excess := f.Value - f.Baseline
	if !(excess > 0) {
		excess = f.Value
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
				var base []float64
				for i, ok := range present {
					if ok {
						base = append(base, a.base[i-window]) // day i of the window is d = i-window
					}
				}
				slices.Sort(base)
				ds = append(ds, analysis.Driver{Dim: dim, Key: k, Value: a.now, Baseline: median(base)})
			}
		}
		slices.SortFunc(ds, byExcess)
		ds = ds[:min(len(ds), topN)]
		if len(ds) > 0 && ds[0].Value-ds[0].Baseline >= driverLead*excess {
			lead = append(lead, ds[0])
			ds = ds[1:]
		}
		rest = append(rest, ds...)
	}
	slices.SortStableFunc(lead, byExcess)
	slices.SortStableFunc(rest, byExcess)
	return append(lead, rest...), nil
}

// findingFilter restricts a query to the finding's sensor, or to the
// selected sensors for a finding of all of them.
func (l *Loader) findingFilter(f analysis.Finding) (string, []any) {
	if f.Sensor != "" {
		return " AND h.sensor = ?", []any{f.Sensor}
	}
	return l.sensorFilter("h.sensor")
}

// byExcess orders drivers by excess over their baseline, largest first,
// then by value and key.
func byExcess(a, b analysis.Driver) int {
	return cmp.Or(cmp.Compare(b.Value-b.Baseline, a.Value-a.Baseline), cmp.Compare(b.Value, a.Value),
		cmp.Compare(a.Dim, b.Dim), cmp.Compare(a.Key, b.Key))
}

// topSources returns the sources that sent most over the finding's days.
func (l *Loader) topSources(ctx context.Context, f analysis.Finding, first, last time.Time, keyWhere string, keyArgs []any, n int) ([]analysis.Driver, error) {
	sf, sargs := l.findingFilter(f)
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

// FindingSources sets Finding.Sources of the packet findings among fs: the
// distinct sources of the finding's class and key (at its sensor, or at the
// selected sensors) over its days. One query answers them all.
func (l *Loader) FindingSources(ctx context.Context, fs []analysis.Finding) error {
	sf, sargs := l.sensorFilter("h.sensor")
	var parts []string
	var args []any
	add := func(table, cols, on string, vals [][]any) {
		if len(vals) == 0 {
			return
		}
		tuple := "(?, ?, ?, CAST(? AS DATE), CAST(? AS DATE)" + strings.Repeat(", ?", strings.Count(cols, ",")+1) + ")"
		list := strings.TrimSuffix(strings.Repeat(tuple+", ", len(vals)), ", ")
		parts = append(parts, `SELECT w.i, CAST(count(DISTINCT h.skey) AS DOUBLE) FROM `+table+
			` h JOIN classes c ON (h.classes & c.bit) <> 0 JOIN (VALUES `+list+`) w(i, class, sensor, first, last, `+cols+`)
			ON w.class = c.name AND `+on+` AND h.day BETWEEN w.first AND w.last AND (w.sensor = '' OR w.sensor = h.sensor)
			WHERE true`+sf+` GROUP BY w.i`)
		for _, v := range vals {
			args = append(args, v...)
		}
		args = append(args, sargs...)
	}
	var cc, pp, aa [][]any
	for i, f := range fs {
		if f.Unit == analysis.UnitSources {
			continue
		}
		head := []any{i, f.Class, f.Sensor, dateArg(l.Day(f.Day)), dateArg(l.Day(f.LastDay))}
		switch f.Dim {
		case analysis.DimCountry:
			cc = append(cc, append(head, f.Key))
		case analysis.DimPort:
			proto, port, ok := analysis.ParsePortKey(f.Key)
			if !ok {
				continue
			}
			pn, err := store.ProtoNumber(proto)
			if err != nil {
				continue
			}
			pp = append(pp, append(head, int(pn), port))
		case analysis.DimASN:
			n, err := strconv.ParseUint(strings.TrimPrefix(f.Key, "AS"), 10, 32)
			if err != nil {
				continue
			}
			aa = append(aa, append(head, int64(n)))
		}
	}
	// Country and AS belong to a source-day: the sources table answers.
	add("sources", "country", "w.country = h.country", cc)
	add("port_hits", "proto, port", "w.proto = h.proto AND w.port = h.port", pp)
	add("sources", "asn", "w.asn = h.asn", aa)
	if len(parts) == 0 {
		return nil
	}
	rows, err := l.db.QueryContext(ctx, strings.Join(parts, " UNION ALL "), args...)
	if err != nil {
		return fmt.Errorf("distinct sources of findings: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var i int
		var v float64
		if err := rows.Scan(&i, &v); err != nil {
			return fmt.Errorf("distinct sources of findings: %w", err)
		}
		if i >= 0 && i < len(fs) {
			fs[i].Sources = v
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("distinct sources of findings: %w", err)
	}
	return nil
}

// PeriodTotals answers the summary in one scan: packets and distinct
// sources per class over [from, to] (cur) and over [prevFrom, from) (prev),
// and the distinct sources per class and day over [prevFrom, to] (index 0
// is prevFrom).
func (l *Loader) PeriodTotals(ctx context.Context, prevFrom, from, to time.Time) (cur, prev map[string]Total, daily map[string][]float64, err error) {
	prevFrom, from, to = l.Day(prevFrom), l.Day(from), l.Day(to)
	n := daysBetween(prevFrom, to) + 1
	cur, prev, daily = map[string]Total{}, map[string]Total{}, map[string][]float64{}
	if n <= 0 {
		return cur, prev, daily, nil
	}
	sf, sargs := l.sensorFilter("h.sensor")
	args := append([]any{dateArg(from), dateArg(prevFrom), dateArg(to)}, sargs...)
	rows, err := l.db.QueryContext(ctx, `SELECT c.name, GROUPING(h.day) = 0, h.day, cur,
		CAST(sum(h.packets) AS DOUBLE), CAST(count(DISTINCT h.skey) AS DOUBLE)
		FROM (SELECT h.*, h.day >= CAST(? AS DATE) AS cur FROM port_hits h) h JOIN classes c ON (h.classes & c.bit) <> 0
		WHERE h.day BETWEEN CAST(? AS DATE) AND CAST(? AS DATE)`+sf+`
		GROUP BY GROUPING SETS ((c.name, cur), (c.name, h.day))`, args...)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("totals: %w", err)
	}
	defer rows.Close()
	start := civil(prevFrom)
	for rows.Next() {
		var (
			class   string
			byDay   bool
			day     sql.NullTime
			isCur   sql.NullBool
			packets float64
			sources float64
		)
		if err := rows.Scan(&class, &byDay, &day, &isCur, &packets, &sources); err != nil {
			return nil, nil, nil, fmt.Errorf("totals: %w", err)
		}
		switch {
		case byDay && day.Valid:
			d := int(civil(day.Time) - start)
			if d < 0 || d >= n {
				continue
			}
			if daily[class] == nil {
				daily[class] = make([]float64, n)
			}
			daily[class][d] = sources
		case isCur.Valid && isCur.Bool:
			cur[class] = Total{Packets: packets, Sources: sources}
		case isCur.Valid:
			prev[class] = Total{Packets: packets, Sources: sources}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, nil, nil, fmt.Errorf("totals: %w", err)
	}
	return cur, prev, daily, nil
}
