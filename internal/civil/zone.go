package civil

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// zoneAliases are common abbreviations that name one zone only, accepted
// in place of the IANA name (which is what a store records).
var zoneAliases = map[string]string{
	"JST": "Asia/Tokyo",
	"KST": "Asia/Seoul",
	"HKT": "Asia/Hong_Kong",
	"SGT": "Asia/Singapore",
	"PST": "America/Los_Angeles",
	"PDT": "America/Los_Angeles",
}

// offsetZones suggest a zone for a UTC offset.
var offsetZones = map[int]string{
	9 * 60: "Asia/Tokyo", 8 * 60: "Asia/Shanghai", 0: "UTC", 1 * 60: "Europe/Berlin",
	-5 * 60: "America/New_York", -8 * 60: "America/Los_Angeles", 330: "Asia/Kolkata",
}

var offsetRe = regexp.MustCompile(`^(?i:UTC|GMT)?\s*([+-])(\d{1,2})(?::?(\d{2}))?$`)

// ZoneName returns the IANA name of the time zone name: an IANA name as
// time.LoadLocation takes it, or one of a few unambiguous abbreviations
// (JST is Asia/Tokyo). A UTC offset such as +09:00 is refused with the
// zone to use instead (a zone follows daylight saving; a fixed offset is
// Etc/GMT-9, whose sign is inverted by POSIX convention).
func ZoneName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if z, ok := zoneAliases[strings.ToUpper(name)]; ok {
		return z, nil
	}
	if m := offsetRe.FindStringSubmatch(name); m != nil {
		h, _ := strconv.Atoi(m[2])
		mins, _ := strconv.Atoi(m[3])
		off := h*60 + mins
		if m[1] == "-" {
			off = -off
		}
		hint := ""
		if z, ok := offsetZones[off]; ok {
			hint = z + ", or "
		}
		fixed := "a zone name"
		if mins == 0 && h <= 14 {
			fixed = fmt.Sprintf("Etc/GMT%+d", -off/60)
			if off == 0 {
				fixed = "Etc/UTC"
			}
		}
		return "", fmt.Errorf("%q is a UTC offset, not a time zone: give a zone name such as %s%s for a fixed offset", name, hint, fixed)
	}
	if _, err := time.LoadLocation(name); err != nil {
		return "", fmt.Errorf("unknown time zone %q: give an IANA name such as Asia/Tokyo or UTC", name)
	}
	return name, nil
}
