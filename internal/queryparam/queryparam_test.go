package queryparam

import (
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/honeyscope/honeyscope/internal/civil"
)

func TestValues(t *testing.T) {
	for _, c := range []struct {
		vs   []string
		want string
	}{
		{[]string{"a", "bcd"}, ""},
		{[]string{"a", "bcdef"}, "value of 5 bytes, at most 4 accepted"},
		{[]string{"\xff"}, "value is not valid UTF-8"},
	} {
		err := Values(c.vs, 4)
		if got := errText(err); got != c.want {
			t.Errorf("Values(%q) = %q, want %q", c.vs, got, c.want)
		}
	}
}

func TestSensor(t *testing.T) {
	for _, c := range []struct{ s, want string }{
		{"open", ""},
		{"センサー", ""},
		{strings.Repeat("x", MaxSensorLen), ""},
		{strings.Repeat("x", MaxSensorLen+1), "sensor name of 129 bytes, at most 128"},
		{"a\x00b", `sensor name "a?b" has a control character`},
	} {
		if got := errText(Sensor(c.s)); got != c.want {
			t.Errorf("Sensor(%q) = %q, want %q", c.s, got, c.want)
		}
	}
}

func TestDay(t *testing.T) {
	d, err := Day("2026-05-14")
	if want, _ := civil.Parse("2026-05-14"); err != nil || d != want {
		t.Fatalf("Day = %v, %v", d, err)
	}
	for _, s := range []string{"2026-5-14", "2026-05-32", "20260514", ""} {
		if _, err := Day(s); errText(err) != `"`+s+`": want a day YYYY-MM-DD` {
			t.Errorf("Day(%q): %v", s, err)
		}
	}
}

func TestASN(t *testing.T) {
	for s, want := range map[string]uint32{"13335": 13335, "AS13335": 13335, "as2497": 2497, "0": 0} {
		if n, err := ASN(s); err != nil || n != want {
			t.Errorf("ASN(%q) = %d, %v, want %d", s, n, err, want)
		}
	}
	for _, s := range []string{"AS", "ASx", "4294967296", "-1"} {
		if _, err := ASN(s); errText(err) != `"`+s+`": not an AS number (13335 or AS13335)` {
			t.Errorf("ASN(%q): %v", s, err)
		}
	}
}

func TestCountry(t *testing.T) {
	for s, want := range map[string]string{"jp": "JP", "Zz": "ZZ", "??": "??"} {
		if got, ok := Country(s); !ok || got != want {
			t.Errorf("Country(%q) = %q, %v, want %q", s, got, ok, want)
		}
	}
	for _, s := range []string{"", "J", "JPN", "J1", "?", "é"} {
		if got, ok := Country(s); ok {
			t.Errorf("Country(%q) = %q, want refused", s, got)
		}
	}
}

func TestClean(t *testing.T) {
	if got := Clean("a\tb"); got != "a?b" {
		t.Errorf("Clean = %q", got)
	}
	long := strings.Repeat("é", 41)
	if got := Clean(long); got != strings.Repeat("é", 40)+"…" {
		t.Errorf("Clean of 41 runes = %q", got)
	}
}

func TestNames(t *testing.T) {
	if got := Names(url.Values{"to": nil, "from": nil, "": nil}); !slices.Equal(got, []string{"", "from", "to"}) {
		t.Errorf("Names = %q", got)
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
