// Package queryparam checks the values of URL query parameters that the
// API and the web dashboard both accept: values' size and encoding,
// sensor names, days, AS numbers and country codes. Its errors say what is
// wrong with a value, never which parameter it was: each caller names the
// parameter in its own error type (the API's ParamError, the dashboard's
// FilterError).
package queryparam

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/honeyscope/honeyscope/internal/civil"
)

// MaxSensorLen is the most bytes of a sensor name.
const MaxSensorLen = 128

// Names returns the parameter names of vals, sorted, so the first bad
// parameter reported does not depend on map order.
func Names(vals url.Values) []string {
	names := make([]string, 0, len(vals))
	for k := range vals {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}

// Values checks each of vs: at most maxLen bytes of valid UTF-8.
func Values(vs []string, maxLen int) error {
	for _, v := range vs {
		if len(v) > maxLen {
			return fmt.Errorf("value of %d bytes, at most %d accepted", len(v), maxLen)
		}
		if !utf8.ValidString(v) {
			return errors.New("value is not valid UTF-8")
		}
	}
	return nil
}

// Sensor checks a sensor name: at most MaxSensorLen bytes, all printable.
func Sensor(s string) error {
	if len(s) > MaxSensorLen {
		return fmt.Errorf("sensor name of %d bytes, at most %d", len(s), MaxSensorLen)
	}
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return fmt.Errorf("sensor name %q has a control character", Clean(s))
		}
	}
	return nil
}

// Day reads a day YYYY-MM-DD.
func Day(s string) (civil.Day, error) {
	d, err := civil.Parse(s)
	if len(s) != 10 || err != nil {
		return 0, fmt.Errorf("%q: want a day YYYY-MM-DD", Clean(s))
	}
	return d, nil
}

// ASN reads an AS number, 13335 or AS13335 (either case).
func ASN(s string) (uint32, error) {
	digits := s
	if len(s) > 2 && strings.EqualFold(s[:2], "AS") {
		digits = s[2:]
	}
	n, err := strconv.ParseUint(digits, 10, 32)
	if err != nil {
		return 0, fmt.Errorf("%q: not an AS number (13335 or AS13335)", Clean(s))
	}
	return uint32(n), nil
}

// Country reads a country code: two ASCII letters (upper-cased; ZZ is
// special-purpose) or "??" (unknown).
func Country(s string) (string, bool) {
	if s == "??" {
		return s, true
	}
	if len(s) != 2 {
		return "", false
	}
	for i := range 2 {
		if b := s[i] | 0x20; b < 'a' || b > 'z' {
			return "", false
		}
	}
	return strings.ToUpper(s), true
}

// Clean shortens a rejected value for a message, to 40 characters and an
// ellipsis, and replaces what is not printable with '?' (a page escapes the
// message when it shows it; this only keeps it short and readable).
func Clean(s string) string {
	var b strings.Builder
	n := 0
	for _, r := range s {
		if n == 40 {
			b.WriteString("…")
			break
		}
		if !unicode.IsPrint(r) {
			r = '?'
		}
		b.WriteRune(r)
		n++
	}
	return b.String()
}
