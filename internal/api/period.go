package api

import (
	"context"
	"errors"
	"math"

	"github.com/honeyscope/honeyscope/internal/analysis"
	"github.com/honeyscope/honeyscope/internal/civil"
	"github.com/honeyscope/honeyscope/internal/period"
	"github.com/honeyscope/honeyscope/internal/store"
)

// PeriodLayer answers /api/v1/spikes and /api/v1/coverage through
// internal/period, the layer the report and `honeyscope spikes` use, so the
// three agree.
type PeriodLayer struct{ R store.Store }

// SpikesAnswer is /api/v1/spikes.
type SpikesAnswer struct {
	From     civil.Day      `json:"from"`
	To       civil.Day      `json:"to"`
	Unit     string         `json:"unit"`
	Findings []period.Spike `json:"findings"`
	// Total is how many findings there were before Top cut the list.
	Total int `json:"total"`
	// Hidden is how many findings fell below the significance threshold
	// and were left out (0 with all=true).
	Hidden int `json:"hidden"`
}

// CoverageAnswer is /api/v1/coverage.
type CoverageAnswer struct {
	From    civil.Day        `json:"from"`
	To      civil.Day        `json:"to"`
	Sensors []SensorCoverage `json:"sensors"`
}

// SensorCoverage is one sensor's days.
type SensorCoverage struct {
	Sensor  string        `json:"sensor"`
	NoData  int           `json:"no_data_days"`
	Partial int           `json:"partial_days"`
	Days    []DayCoverage `json:"days"`
}

// DayCoverage is one day of a sensor: "full", "partial" or "no data", the
// share of the day captured and the hours without any capture.
type DayCoverage struct {
	Day          civil.Day `json:"day"`
	State        string    `json:"state"`
	Covered      float64   `json:"covered"`
	MissingHours []int     `json:"missing_hours,omitempty"`
}

// defaultSpikeTop is how many findings /api/v1/spikes lists (with
// drivers) when top is not given.
const defaultSpikeTop = 20

func (p PeriodLayer) resolve(ctx context.Context, q PeriodQuery) (*period.Source, period.Range, error) {
	src := period.New(p.R, p.R.Location(), q.Sensors)
	var spec period.Spec
	var err error
	if q.From != "" {
		if spec.From, err = civil.Parse(q.From); err != nil {
			return nil, period.Range{}, &ParamError{Param: "from", Message: err.Error()}
		}
		spec.HasFrom = true
	}
	if q.To != "" {
		if spec.To, err = civil.Parse(q.To); err != nil {
			return nil, period.Range{}, &ParamError{Param: "to", Message: err.Error()}
		}
		spec.HasTo = true
	}
	r, err := src.Resolve(ctx, spec)
	if errors.Is(err, period.ErrNoData) {
		return nil, r, &statusError{code: 404, message: "no data in the store for the selected sensors"}
	}
	return src, r, err
}

// Spikes lists the findings of the period, most notable first, with
// their drivers and sentences in English and Japanese.
func (p PeriodLayer) Spikes(ctx context.Context, q PeriodQuery) (any, error) {
	src, r, err := p.resolve(ctx, q)
	if err != nil {
		return nil, err
	}
	top := q.Top
	if top <= 0 {
		top = defaultSpikeTop
	}
	opt := period.SpikeOptions{Range: r, Classes: q.Classes, DriverTopN: top, All: q.All}
	if q.By != "" {
		if q.By == "sensor" {
			return nil, &ParamError{Param: "by", Message: "spikes are found by country, port or asn"}
		}
		opt.Dims = []string{q.By}
	}
	if q.Unit == "sources" {
		opt.Unit = analysis.UnitSources
	}
	res, err := src.FindSpikesResult(ctx, opt)
	if err != nil {
		return nil, err
	}
	found := res.Findings
	ans := SpikesAnswer{From: r.From, To: r.To, Unit: string(opt.Unit), Total: len(found), Hidden: res.Hidden}
	if ans.Unit == "" {
		ans.Unit = string(analysis.UnitPackets)
	}
	if len(found) > top {
		found = found[:top]
	}
	ans.Findings = src.Spikes(found, nil)
	if ans.Findings == nil {
		ans.Findings = []period.Spike{}
	}
	return ans, nil
}

// Coverage says, per sensor and day, how much was captured.
func (p PeriodLayer) Coverage(ctx context.Context, q PeriodQuery) (any, error) {
	src, r, err := p.resolve(ctx, q)
	if err != nil {
		return nil, err
	}
	gaps, err := src.Coverage(ctx, r)
	if err != nil {
		return nil, err
	}
	ans := CoverageAnswer{From: r.From, To: r.To, Sensors: []SensorCoverage{}}
	for _, g := range gaps {
		sc := SensorCoverage{Sensor: g.Sensor, NoData: g.NoData, Partial: g.Partial, Days: make([]DayCoverage, len(g.Days))}
		for i, d := range g.Days {
			share := 0.0
			if d.Length > 0 {
				share = math.Round(float64(d.Covered)/float64(d.Length)*1e4) / 1e4
			}
			sc.Days[i] = DayCoverage{Day: r.Day(i), State: d.State.String(), Covered: share, MissingHours: d.MissingHours}
		}
		ans.Sensors = append(ans.Sensors, sc)
	}
	return ans, nil
}

// MinutesAnswer is /api/v1/coverage/minutes: one sensor's day minute by
// minute.
type MinutesAnswer struct {
	Sensor string    `json:"sensor"`
	Day    civil.Day `json:"day"`
	// CoveredMinutes is the sum of the minutes' coverage; NoDataMinutes
	// counts the minutes no capture touched.
	CoveredMinutes float64         `json:"covered_minutes"`
	NoDataMinutes  int             `json:"no_data_minutes"`
	KernelDrops    uint64          `json:"kernel_drops"`
	QueueDrops     uint64          `json:"queue_drops"`
	Minutes        []period.Minute `json:"minutes"`
}

// Minutes answers one sensor's day minute by minute.
func (p PeriodLayer) Minutes(ctx context.Context, sensor, day string) (any, error) {
	src := period.New(p.R, p.R.Location(), []string{sensor})
	if _, err := src.Sensors(ctx); err != nil {
		return nil, &ParamError{Param: "sensor", Message: err.Error()}
	}
	var d civil.Day
	if day == "" {
		_, last, ok, err := src.DataRange(ctx)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, &statusError{code: 404, message: "no data in the store for sensor " + sensor}
		}
		d = last
	} else {
		var err error
		if d, err = civil.Parse(day); err != nil {
			return nil, &ParamError{Param: "day", Message: err.Error()}
		}
	}
	ms, err := src.Minutes(ctx, sensor, d)
	if err != nil {
		return nil, err
	}
	ans := MinutesAnswer{Sensor: sensor, Day: d, Minutes: ms}
	for _, m := range ms {
		ans.CoveredMinutes += m.Covered
		if m.Covered == 0 {
			ans.NoDataMinutes++
		}
		ans.KernelDrops += m.KernelDrops
		ans.QueueDrops += m.QueueDrops
	}
	ans.CoveredMinutes = math.Round(ans.CoveredMinutes*100) / 100
	return ans, nil
}
