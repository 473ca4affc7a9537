package synth

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// ParseSpike parses a spike given on the command line as COUNTRY:DAY:FACTOR,
// for example "IT:21:12" (Italy, day index 21 counted from 0, twelve times
// its usual traffic) or "IT:2026-05-22:12" (the day as a UTC date; Write
// converts it to an index relative to Config.Start). The country is an ISO
// 3166 alpha-2 code and is upper-cased; the factor must be positive and
// finite.
func ParseSpike(s string) (Spike, error) {
	parts := strings.Split(strings.TrimSpace(s), ":")
	if len(parts) != 3 {
		return Spike{}, fmt.Errorf("spike %q: want COUNTRY:DAY:FACTOR, e.g. IT:21:12", s)
	}
	cc := strings.ToUpper(strings.TrimSpace(parts[0]))
	if !validCountry(cc) {
		return Spike{}, fmt.Errorf("spike %q: country %q is not a two-letter code", s, parts[0])
	}
	var sp Spike
	sp.Country = cc
	day := strings.TrimSpace(parts[1])
	if strings.Contains(day, "-") {
		t, err := time.Parse(time.DateOnly, day)
		if err != nil {
			return Spike{}, fmt.Errorf("spike %q: day %q is neither an index nor YYYY-MM-DD: %w", s, day, err)
		}
		sp.Date = t
	} else {
		n, err := strconv.Atoi(day)
		if err != nil || n < 0 {
			return Spike{}, fmt.Errorf("spike %q: day %q is neither a non-negative index nor YYYY-MM-DD", s, day)
		}
		sp.Day = n
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(parts[2]), 64)
	if err != nil || !(f > 0) || math.IsInf(f, 0) {
		return Spike{}, fmt.Errorf("spike %q: factor %q must be a positive number", s, parts[2])
	}
	sp.Factor = f
	return sp, nil
}

func validCountry(cc string) bool {
	if len(cc) != 2 {
		return false
	}
	for i := 0; i < 2; i++ {
		if cc[i] < 'A' || cc[i] > 'Z' {
			return false
		}
	}
	return true
}
