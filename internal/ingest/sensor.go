package ingest

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxSensorLen is the longest sensor name, in characters.
const MaxSensorLen = 64

// sensorPunct are the characters besides letters and digits a sensor name
// may hold.
const sensorPunct = "-_.:@+"

// SensorRule says in words which sensor names CheckSensor accepts.
const SensorRule = "allowed: letters, digits and - _ . : @ +, at most 64 characters"

// sensorRune reports whether r may appear in a sensor name.
func sensorRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r) || strings.ContainsRune(sensorPunct, r)
}

// CheckSensor checks a sensor name: valid UTF-8, 1 to MaxSensorLen
// characters, each a letter, a digit (any script: "東京-1" is a name) or
// one of - _ . : @ +. Commas are refused because a list of sensors is
// written with them (stats --sensor a,b): a name holding one could never be
// selected. Spaces, control characters and other punctuation are refused
// so that a name reads the same in a table, a CSV file and a shell.
func CheckSensor(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("sensor name is empty (%s)", SensorRule)
	case !utf8.ValidString(name):
		return fmt.Errorf("sensor name %q is not valid UTF-8 (%s)", name, SensorRule)
	case utf8.RuneCountInString(name) > MaxSensorLen:
		return fmt.Errorf("sensor name %q is %d characters long (%s)", name, utf8.RuneCountInString(name), SensorRule)
	}
	for _, r := range name {
		if !sensorRune(r) {
			what := fmt.Sprintf("%q is not allowed", r)
			switch {
			case r == ',':
				what = `"," is not allowed, it separates names in --sensor a,b`
			case unicode.IsControl(r):
				what = fmt.Sprintf("the control character %U is not allowed", r)
			case unicode.IsSpace(r):
				what = "spaces are not allowed"
			}
			return fmt.Errorf("sensor name %q: %s (%s)", name, what, SensorRule)
		}
	}
	return nil
}

var dateInName = regexp.MustCompile(`[-_.]?(\d{8}|\d{4}-\d{2}-\d{2})`)

// SensorFromPath derives a sensor name from a capture's file name: the part
// before a date (YYYYMMDD or YYYY-MM-DD), as in rotated captures named
// "tokyo-2026-05-01.pcap.gz" or "honey1_20260501T0000.pcap". A file name
// without a date gives "default". The name is always valid (CheckSensor):
// see DeriveSensor.
func SensorFromPath(path string) string {
	name, _ := DeriveSensor(path)
	return name
}

// DeriveSensor is SensorFromPath that also says, in note, when the part of
// the file name before the date was not a valid sensor name and what was
// done: each character a name may not hold (a comma, a space, a byte that
// is not UTF-8...) becomes "-", runs of them one, and the result is cut to
// MaxSensorLen characters; when nothing is left the name is "default".
// note is empty when the file name gave a valid name as it was (or had no
// date, which gives "default" too).
func DeriveSensor(path string) (name, note string) {
	base := filepath.Base(path)
	loc := dateInName.FindStringIndex(base)
	if loc == nil || loc[0] == 0 {
		return "default", ""
	}
	raw := strings.Trim(base[:loc[0]], "-_. ")
	if raw == "" {
		return "default", ""
	}
	if CheckSensor(raw) == nil {
		return raw, ""
	}
	var b strings.Builder
	n := 0
	dash := false
	for _, r := range raw { // an invalid byte comes as utf8.RuneError, refused below
		if r == utf8.RuneError || !sensorRune(r) {
			if !dash && b.Len() > 0 {
				b.WriteByte('-')
				n++
			}
			dash = true
		} else {
			b.WriteRune(r)
			n++
			dash = false
		}
		if n >= MaxSensorLen {
			break
		}
	}
	name = strings.Trim(b.String(), "-_.")
	if name == "" {
		name = "default"
	}
	return name, fmt.Sprintf("the file name's part before the date, %q, is not a valid sensor name (%s): sensor %q used (give --sensor to choose)", raw, SensorRule, name)
}
