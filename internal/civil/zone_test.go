package civil

import (
	"strings"
	"testing"
)

func TestZoneName(t *testing.T) {
	for _, tc := range []struct{ in, want, errHas string }{
		{"Asia/Tokyo", "Asia/Tokyo", ""},
		{"UTC", "UTC", ""},
		{"JST", "Asia/Tokyo", ""},
		{"jst", "Asia/Tokyo", ""},
		{"+09:00", "", "Asia/Tokyo, or Etc/GMT-9"},
		{"UTC+9", "", "Asia/Tokyo"},
		{"+0900", "", "Etc/GMT-9"},
		{"-05:00", "", "America/New_York, or Etc/GMT+5"},
		{"+05:30", "", "Asia/Kolkata"},
		{"Mars/Olympus", "", "unknown time zone"},
	} {
		got, err := ZoneName(tc.in)
		if tc.errHas == "" {
			if err != nil || got != tc.want {
				t.Errorf("ZoneName(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.errHas) {
			t.Errorf("ZoneName(%q) = %q, %v; want an error with %q", tc.in, got, err, tc.errHas)
		}
	}
}
