// Package civil is the calendar day: a date in some zone's calendar, counted
// as days since 1970-01-01, with no time of day and no zone of its own.
//
// Stores keep days as civil dates (the day a packet fell on in the store's
// time zone); reports and analyses count, compare and step through them.
// A Day is a plain integer, so it is free to copy, compare and use as a map
// key, and the conversions here do not allocate: aggregate counts every
// packet into one.
//
// What a Day does not know: its zone. FromTime takes the zone to read the
// calendar in and Start the zone to find the day's first instant in; the
// same Day is a different stretch of time in Tokyo and in UTC.
package civil

import (
	"fmt"
	"strings"
	"time"
)

// Day is a civil date, counted in days since 1970-01-01 (negative before).
type Day int32

// FromDate returns the day of year y, month m, day d. Out-of-range months
// and days are normalised as time.Date does (31 April is 1 May).
func FromDate(y int, m time.Month, d int) Day {
	if m < time.January || m > time.December || d < 1 || d > 28 {
		// Normalise the rare cases through time.Date (no allocation).
		t := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
		y, m, d = t.Date()
	}
	return Day(daysFromCivil(int64(y), int64(m), int64(d)))
}

// daysFromCivil is Howard Hinnant's days_from_civil: the days from
// 1970-01-01 to y-m-d in the proleptic Gregorian calendar.
func daysFromCivil(y, m, d int64) int64 {
	if m <= 2 {
		y--
	}
	era := y
	if era < 0 {
		era -= 399
	}
	era /= 400
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// Date returns the year, month and day of d.
func (d Day) Date() (year int, month time.Month, day int) {
	z := int64(d) + 719468
	era := z
	if era < 0 {
		era -= 146096
	}
	era /= 146097
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y := yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	dd := doy - (153*mp+2)/5 + 1
	m := mp + 3
	if m > 12 {
		m -= 12
	}
	if m <= 2 {
		y++
	}
	return int(y), time.Month(m), int(dd)
}

// FromTime returns the calendar day instant t falls on in loc (nil: UTC).
func FromTime(t time.Time, loc *time.Location) Day {
	if loc == nil {
		loc = time.UTC
	}
	y, m, d := t.In(loc).Date()
	return Day(daysFromCivil(int64(y), int64(m), int64(d)))
}

// Of returns the calendar day of t in t's own location: for times that
// stand for dates (a DuckDB DATE comes back as a UTC midnight, a day parsed
// in a zone as that zone's midnight).
func Of(t time.Time) Day {
	y, m, d := t.Date()
	return Day(daysFromCivil(int64(y), int64(m), int64(d)))
}

// AddDays returns the day n days after d (before, for negative n).
func (d Day) AddDays(n int) Day { return d + Day(n) }

// Sub returns the number of days from e to d (d − e).
func (d Day) Sub(e Day) int { return int(d) - int(e) }

// Start returns the first instant of d in loc (nil: UTC): midnight, or
// the first instant after a daylight-saving jump that skips midnight.
func (d Day) Start(loc *time.Location) time.Time {
	if loc == nil {
		loc = time.UTC
	}
	y, m, dd := d.Date()
	t := time.Date(y, m, dd, 0, 0, 0, 0, loc)
	if FromTime(t, loc) != d {
		// Midnight was skipped and time.Date went back into the day
		// before: the day starts where that day's zone offset ends.
		if _, end := t.ZoneBounds(); !end.IsZero() {
			t = end.In(loc)
		}
	}
	return t
}

// Time returns midnight UTC of d, the form a DuckDB DATE takes.
func (d Day) Time() time.Time { return time.Unix(int64(d)*86400, 0).UTC() }

// String formats d as YYYY-MM-DD (years outside 0-9999 as time does).
func (d Day) String() string {
	y, m, dd := d.Date()
	if y < 0 || y > 9999 {
		return d.Time().Format(time.DateOnly)
	}
	var b [10]byte
	b[0], b[1], b[2], b[3] = byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10)
	b[4], b[7] = '-', '-'
	b[5], b[6] = byte('0'+int(m)/10), byte('0'+int(m)%10)
	b[8], b[9] = byte('0'+dd/10), byte('0'+dd%10)
	return string(b[:])
}

// MarshalText writes d as YYYY-MM-DD.
func (d Day) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads a YYYY-MM-DD day.
func (d *Day) UnmarshalText(b []byte) error {
	v, err := Parse(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// DaysIn returns the number of days of month m of year y.
func DaysIn(y int, m time.Month) int {
	switch m {
	case time.February:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case time.April, time.June, time.September, time.November:
		return 30
	}
	return 31
}

// Parse reads a day written YYYY-MM-DD (surrounding spaces ignored). A
// well-formed date that is not in the calendar is an error that says so
// ("2026-02-30 does not exist").
func Parse(s string) (Day, error) {
	s = strings.TrimSpace(s)
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return 0, fmt.Errorf("day %q: want YYYY-MM-DD", s)
	}
	num := func(p string) (int, bool) {
		n := 0
		for i := 0; i < len(p); i++ {
			c := p[i]
			if c < '0' || c > '9' {
				return 0, false
			}
			n = n*10 + int(c-'0')
		}
		return n, true
	}
	y, ok1 := num(s[:4])
	m, ok2 := num(s[5:7])
	d, ok3 := num(s[8:])
	if !ok1 || !ok2 || !ok3 {
		return 0, fmt.Errorf("day %q: want YYYY-MM-DD", s)
	}
	if m < 1 || m > 12 || d < 1 || d > DaysIn(y, time.Month(m)) {
		return 0, fmt.Errorf("%s does not exist", s)
	}
	return Day(daysFromCivil(int64(y), int64(m), int64(d))), nil
}
