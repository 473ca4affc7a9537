package period

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/honeyscope/honeyscope/internal/civil"
	"github.com/honeyscope/honeyscope/internal/store"
)

// DefaultDays is the length of a period when one end, or neither, is given.
const DefaultDays = 7

// Lookback is how many days before a period are read so that its first
// days have a full spike baseline (analysis.DefaultSpikeConfig's Window).
const Lookback = 28

// MaxDays is the longest period.
const MaxDays = 3660

// ErrNoData is returned when the store holds no data for the selection.
var ErrNoData = errors.New("no data")

// Sensor is one sensor of the store.
type Sensor struct {
	Name string
	// Addresses is the number of monitored addresses (0 when unknown).
	Addresses int
}

// Source answers questions about periods of one store's data, restricted
// to a set of sensors. It holds no data itself, only the answers to
// questions asked twice (the keys that get series of their own); it is
// safe for concurrent use.
type Source struct {
	r       store.Reader
	loc     *time.Location
	sensors []string

	keptMu sync.Mutex
	kept   map[string][]store.Key
}

// New returns a source over r, whose days are in loc (nil: UTC),
// restricted to sensors (nil or empty: every sensor).
func New(r store.Reader, loc *time.Location, sensors []string) *Source {
	if loc == nil {
		loc = time.UTC
	}
	return &Source{r: r, loc: loc, sensors: slices.Clone(sensors)}
}

// Location is the time zone the days are in.
func (s *Source) Location() *time.Location { return s.loc }

// Day returns the calendar day t falls on in the source's zone.
func (s *Source) Day(t time.Time) civil.Day { return civil.FromTime(t, s.loc) }

// Time returns the first instant of d in the source's zone (midnight).
func (s *Source) Time(d civil.Day) time.Time { return d.Start(s.loc) }

// Sensors lists the selected sensors that have at least one ingested
// capture, by name (in the order asked for, when a selection was given).
// A sensor asked for but absent from the store is an error naming the
// sensors that exist.
func (s *Source) Sensors(ctx context.Context) ([]Sensor, error) {
	stored, err := s.r.Sensors(ctx)
	if err != nil {
		return nil, err
	}
	all := make([]Sensor, len(stored))
	for i, x := range stored {
		all[i] = Sensor{Name: x.Name}
		if x.Addresses > 0 && x.Addresses < math.MaxInt32 {
			all[i].Addresses = int(x.Addresses)
		}
	}
	if len(s.sensors) == 0 {
		return all, nil
	}
	var out []Sensor
	for _, want := range s.sensors {
		i := slices.IndexFunc(all, func(x Sensor) bool { return x.Name == want })
		if i < 0 {
			names := make([]string, len(all))
			for j, x := range all {
				names[j] = x.Name
			}
			return nil, fmt.Errorf("sensor %q has no data in the store (sensors: %s)", want, strings.Join(names, ", "))
		}
		out = append(out, all[i])
	}
	return out, nil
}

// DataRange returns the first and last day holding data of the selected
// sensors; ok is false when there is none.
func (s *Source) DataRange(ctx context.Context) (first, last civil.Day, ok bool, err error) {
	return s.r.DataRange(ctx, s.sensors)
}

// Range is a period: days From to To, both included.
type Range struct {
	From, To civil.Day
}

// Days is the number of days of r (0 when To is before From).
func (r Range) Days() int { return max(r.To.Sub(r.From)+1, 0) }

// Day is day i of r.
func (r Range) Day(i int) civil.Day { return r.From.AddDays(i) }

// Contains reports whether d is a day of r.
func (r Range) Contains(d civil.Day) bool { return d >= r.From && d <= r.To }

// Previous is the period of the same length that ends the day before r.
func (r Range) Previous() Range {
	n := r.Days()
	return Range{From: r.From.AddDays(-n), To: r.From.AddDays(-1)}
}

// String is "YYYY-MM-DD – YYYY-MM-DD".
func (r Range) String() string { return r.From.String() + " – " + r.To.String() }

func (r Range) selection(sensors []string) store.Selection {
	return store.Selection{Sensors: sensors, From: r.From, To: r.To}
}

// Spec is a period as asked for: either end may be missing.
type Spec struct {
	From, To       civil.Day
	HasFrom, HasTo bool
}

// SpecOf is the spec of two times (the zero time: missing), read as days
// in loc.
func SpecOf(from, to time.Time, loc *time.Location) Spec {
	var s Spec
	if !from.IsZero() {
		s.From, s.HasFrom = civil.FromTime(from, loc), true
	}
	if !to.IsZero() {
		s.To, s.HasTo = civil.FromTime(to, loc), true
	}
	return s
}

// Resolve decides the days of a period: a missing end is DefaultDays − 1
// days from the given one; with neither, the period ends on the last day
// with data of the selected sensors and starts DefaultDays − 1 days
// earlier, or on the first day with data when that is later. A period
// that ends before it starts or is longer than MaxDays is an error, and so
// is a default period without data (ErrNoData).
func (s *Source) Resolve(ctx context.Context, spec Spec) (Range, error) {
	var r Range
	switch {
	case spec.HasFrom && spec.HasTo:
		r = Range{spec.From, spec.To}
	case spec.HasFrom:
		r = Range{spec.From, spec.From.AddDays(DefaultDays - 1)}
	case spec.HasTo:
		r = Range{spec.To.AddDays(-(DefaultDays - 1)), spec.To}
	default:
		first, last, ok, err := s.DataRange(ctx)
		if err != nil {
			return r, err
		}
		if !ok {
			return r, fmt.Errorf("%w for the selected sensors", ErrNoData)
		}
		r = Range{max(last.AddDays(-(DefaultDays - 1)), first), last}
	}
	if r.To < r.From {
		return r, fmt.Errorf("period ends (%s) before it starts (%s)", r.To, r.From)
	}
	if n := r.Days(); n > MaxDays {
		return r, fmt.Errorf("period of %d days is too long (at most %d)", n, MaxDays)
	}
	return r, nil
}
