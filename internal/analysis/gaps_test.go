package analysis

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func hours(from, to int, except ...int) []int {
	var h []int
	for i := from; i <= to; i++ {
		if !slices.Contains(except, i) {
			h = append(h, i)
		}
	}
	return h
}

func TestCoverageTokyo(t *testing.T) {
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		t.Skip("no tz database:", err)
	}
	utc := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	intervals := []Interval{
		// Out of order on purpose. 2022-05-04 05:00–06:30 JST.
		{utc("2022-05-03T20:00:00Z"), utc("2022-05-03T21:30:00Z")},
		// 2022-05-01 00:00:00–23:59:59 JST: the whole day but its last second.
		{utc("2022-04-30T15:00:00Z"), utc("2022-05-01T14:59:59Z")},
		// 2022-05-02 00:00:30–12:30 JST, across midnight JST (15:00 UTC);
		// the 31 s pause after the previous file is bridged.
		{utc("2022-05-01T15:00:30Z"), utc("2022-05-02T03:30:00Z")},
		// Overlaps the previous one.
		{utc("2022-05-01T20:00:00Z"), utc("2022-05-02T01:00:00Z")},
	}
	// The range starts on an instant that is still 30 April in UTC but
	// already 1 May in Tokyo.
	r := DayRange{Start: utc("2022-04-30T16:00:00Z"), Days: 4, Loc: tokyo}
	days, err := Coverage(intervals, r, DefaultGapConfig())
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		day     string
		covered time.Duration
		state   DayState
		missing []int
	}{
		// The last second and the 31 s pause are bridged into one stretch.
		{"2022-05-01", 24 * time.Hour, Full, nil},
		{"2022-05-02", 12*time.Hour + 30*time.Minute, Partial, hours(13, 23)},
		{"2022-05-03", 0, NoData, hours(0, 23)},
		{"2022-05-04", 90 * time.Minute, Partial, hours(0, 23, 5, 6)},
	}
	if len(days) != len(want) {
		t.Fatalf("%d days", len(days))
	}
	for i, w := range want {
		d := days[i]
		if got := d.Day.Format(time.DateOnly); got != w.day || d.Day.Hour() != 0 || d.Day.Location() != tokyo {
			t.Errorf("day %d starts %s", i, d.Day)
		}
		if d.Length != 24*time.Hour || d.Covered != w.covered || d.State != w.state || !slices.Equal(d.MissingHours, w.missing) {
			t.Errorf("%s: covered %v state %v missing %v, want %v %v %v", w.day, d.Covered, d.State, d.MissingHours, w.covered, w.state, w.missing)
		}
	}
	if got := Present(days, 0); !slices.Equal(got, []bool{true, true, false, true}) {
		t.Errorf("Present(0) = %v", got)
	}
	if got := Present(days, 0.5); !slices.Equal(got, []bool{true, true, false, false}) {
		t.Errorf("Present(0.5) = %v", got)
	}

	// Without bridging, 1 May misses its last second and is partial; the
	// pause lies in hour 0 of 2 May, which is still touched, so there only
	// Covered changes.
	days, err = Coverage(intervals, r, GapConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if days[0].State != Partial || days[1].Covered != 12*time.Hour+29*time.Minute+30*time.Second || len(days[1].MissingHours) != 11 {
		t.Errorf("no bridging: %+v %+v", days[0], days[1])
	}

	gaps, err := Gaps([]SensorCoverage{{Sensor: "open", Intervals: intervals}, {Sensor: "idle"}}, r, DefaultGapConfig())
	if err != nil {
		t.Fatal(err)
	}
	if len(gaps) != 2 || gaps[0].NoData != 1 || gaps[0].Partial != 2 || gaps[1].NoData != 4 || gaps[1].Sensor != "idle" {
		t.Errorf("gaps %+v", gaps)
	}
}

func TestCoverageDST(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skip("no tz database:", err)
	}
	// 13 March 2022 has 23 hours in New York, 6 November 25.
	for _, tc := range []struct {
		day   time.Time
		hours int
	}{
		{time.Date(2022, 3, 13, 12, 0, 0, 0, ny), 23},
		{time.Date(2022, 11, 6, 12, 0, 0, 0, ny), 25},
	} {
		days, err := Coverage(nil, DayRange{Start: tc.day, Days: 1, Loc: ny}, DefaultGapConfig())
		if err != nil {
			t.Fatal(err)
		}
		if d := days[0]; d.Length != time.Duration(tc.hours)*time.Hour || len(d.MissingHours) != tc.hours || d.State != NoData {
			t.Errorf("%s: length %v, %d missing hours", tc.day, d.Length, len(d.MissingHours))
		}
	}
}

func TestCoverageErrors(t *testing.T) {
	t0 := time.Date(2022, 5, 1, 0, 0, 0, 0, time.UTC)
	if _, err := Coverage([]Interval{{t0, t0}, {t0.Add(time.Hour), t0}}, DayRange{Start: t0, Days: 1}, DefaultGapConfig()); err == nil || !strings.Contains(err.Error(), "interval 1") {
		t.Errorf("reversed interval: %v", err)
	}
	if _, err := Gaps([]SensorCoverage{{Sensor: "s1", Intervals: []Interval{{t0.Add(time.Hour), t0}}}}, DayRange{Start: t0, Days: 1}, DefaultGapConfig()); err == nil || !strings.Contains(err.Error(), "s1") {
		t.Errorf("error does not name the sensor: %v", err)
	}
	if _, err := Coverage(nil, DayRange{Start: t0, Days: -1}, DefaultGapConfig()); err == nil {
		t.Error("negative days accepted")
	}
	// A single packet (zero-length interval) marks its hour and day as seen;
	// nil Loc means UTC.
	days, err := Coverage([]Interval{{t0.Add(90 * time.Minute), t0.Add(90 * time.Minute)}}, DayRange{Start: t0, Days: 1}, DefaultGapConfig())
	if err != nil || days[0].State != Partial || slices.Contains(days[0].MissingHours, 1) || len(days[0].MissingHours) != 23 {
		t.Errorf("single packet: %+v %v", days, err)
	}
	if NoData.String() != "no data" || Partial.String() != "partial" || Full.String() != "full" {
		t.Error("DayState strings")
	}
}
