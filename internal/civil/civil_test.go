package civil

import (
	"strings"
	"testing"
	"time"
)

func TestRoundTripAgainstTime(t *testing.T) {
	// Every day from 1900 to 2100 against the standard library.
	start := time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < 200*366; i++ {
		tm := start.AddDate(0, 0, i)
		d := FromTime(tm, time.UTC)
		if want := tm.Unix() / 86400; int64(d) != want {
			t.Fatalf("%s: day %d, want %d", tm.Format(time.DateOnly), d, want)
		}
		y, m, dd := d.Date()
		if wy, wm, wd := tm.Date(); y != wy || m != wm || dd != wd {
			t.Fatalf("day %d: date %d-%d-%d, want %s", d, y, m, dd, tm.Format(time.DateOnly))
		}
		if d.String() != tm.Format(time.DateOnly) {
			t.Fatalf("day %d: %q, want %q", d, d.String(), tm.Format(time.DateOnly))
		}
		if !d.Time().Equal(tm) {
			t.Fatalf("day %d: Time %s, want %s", d, d.Time(), tm)
		}
		p, err := Parse(d.String())
		if err != nil || p != d {
			t.Fatalf("Parse(%q) = %d, %v; want %d", d.String(), p, err, d)
		}
	}
}

func TestFromTimeInZone(t *testing.T) {
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		t.Skip("no zone data:", err)
	}
	// 2026-05-01 20:00 UTC is 2026-05-02 05:00 in Tokyo.
	at := time.Date(2026, 5, 1, 20, 0, 0, 0, time.UTC)
	if got, want := FromTime(at, time.UTC).String(), "2026-05-01"; got != want {
		t.Errorf("UTC: %s, want %s", got, want)
	}
	if got, want := FromTime(at, tokyo).String(), "2026-05-02"; got != want {
		t.Errorf("Tokyo: %s, want %s", got, want)
	}
	d := FromTime(at, tokyo)
	if s := d.Start(tokyo); !s.Equal(time.Date(2026, 5, 1, 15, 0, 0, 0, time.UTC)) {
		t.Errorf("Start in Tokyo %s", s.UTC())
	}
	if got := FromTime(d.Start(tokyo), tokyo); got != d {
		t.Errorf("FromTime(Start) = %s, want %s", got, d)
	}
	if got := Of(d.Start(tokyo)); got != d {
		t.Errorf("Of(Start) = %s, want %s", got, d)
	}
}

func TestStartAcrossDST(t *testing.T) {
	// Santiago skipped midnight on 2026-09-06 (00:00 → 01:00); the day
	// still starts on that day, and the next day is 23 hours later.
	loc, err := time.LoadLocation("America/Santiago")
	if err != nil {
		t.Skip("no zone data:", err)
	}
	d, err := Parse("2026-09-06")
	if err != nil {
		t.Fatal(err)
	}
	s := d.Start(loc)
	if FromTime(s, loc) != d {
		t.Errorf("Start %s is not on %s", s, d)
	}
	if n := d.AddDays(1).Start(loc).Sub(s); n != 23*time.Hour {
		t.Errorf("day of %s lasts %s, want 23h", d, n)
	}
}

func TestArithmetic(t *testing.T) {
	a, _ := Parse("2024-02-28")
	b := a.AddDays(2)
	if b.String() != "2024-03-01" {
		t.Errorf("2024-02-28 + 2 = %s", b)
	}
	if b.Sub(a) != 2 || a.Sub(b) != -2 {
		t.Errorf("Sub: %d, %d", b.Sub(a), a.Sub(b))
	}
	if FromDate(2026, 4, 31).String() != "2026-05-01" {
		t.Errorf("FromDate normalises: %s", FromDate(2026, 4, 31))
	}
	if FromDate(1969, 12, 31) != -1 || FromDate(1970, 1, 1) != 0 {
		t.Error("epoch")
	}
}

func TestParseErrors(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"2026-02-30", "2026-02-30 does not exist"},
		{"2025-02-29", "2025-02-29 does not exist"},
		{"2026-13-01", "2026-13-01 does not exist"},
		{"2026-04-31", "2026-04-31 does not exist"},
		{"2026-00-10", "does not exist"},
		{"2026-1-1", "want YYYY-MM-DD"},
		{"20260101", "want YYYY-MM-DD"},
		{"2026-0a-01", "want YYYY-MM-DD"},
		{"", "want YYYY-MM-DD"},
	} {
		_, err := Parse(c.in)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Parse(%q): %v, want %q", c.in, err, c.want)
		}
	}
	if d, err := Parse(" 2024-02-29 "); err != nil || d.String() != "2024-02-29" {
		t.Errorf("leap day with spaces: %v %v", d, err)
	}
}

func TestText(t *testing.T) {
	d, _ := Parse("2026-05-14")
	b, _ := d.MarshalText()
	var e Day
	if err := e.UnmarshalText(b); err != nil || e != d {
		t.Errorf("text round trip %s: %s %v", d, e, err)
	}
	if err := e.UnmarshalText([]byte("2026-02-30")); err == nil {
		t.Error("UnmarshalText accepted 2026-02-30")
	}
}

func TestFromTimeAllocs(t *testing.T) {
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		tokyo = time.UTC
	}
	at := time.Date(2026, 5, 1, 20, 0, 0, 0, time.UTC)
	var sink Day
	if n := testing.AllocsPerRun(100, func() { sink += FromTime(at, tokyo).AddDays(1) }); n != 0 {
		t.Errorf("FromTime allocates %v times", n)
	}
	_ = sink
}

func BenchmarkFromTime(b *testing.B) {
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		tokyo = time.UTC
	}
	at := time.Date(2026, 5, 1, 20, 0, 0, 0, time.UTC)
	var sink Day
	for i := 0; b.Loop(); i++ {
		sink += FromTime(at.Add(time.Duration(i)*time.Second), tokyo)
	}
	_ = sink
}
