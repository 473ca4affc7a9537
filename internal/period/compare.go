package period

import (
	"maps"
	"slices"

	"github.com/honeyscope/honeyscope/internal/analysis"
	"github.com/honeyscope/honeyscope/internal/classify"
)

// CompareInput assembles one sensor's analysis.SensorData from per-sensor
// packet series by country and by port (as Series returns them with
// BySensor) over the comparison period. Daily is the access class (every
// packet); present flags the sensor's days with data.
func CompareInput(sensor Sensor, countries, ports []analysis.Series, days int, present []bool) analysis.SensorData {
	sd := analysis.SensorData{Name: sensor.Name, Addresses: sensor.Addresses, Daily: make([]float64, days),
		Present: present, Classes: map[string]analysis.ClassData{}}
	get := func(class string) analysis.ClassData {
		cd, ok := sd.Classes[class]
		if !ok {
			cd = analysis.ClassData{Countries: map[string]float64{}, CountryDaily: map[string][]float64{}, Ports: map[string]float64{}}
			sd.Classes[class] = cd
		}
		return cd
	}
	for _, s := range countries {
		if s.Sensor != sensor.Name {
			continue
		}
		cd := get(s.Class)
		daily := make([]float64, days)
		var t float64
		for d, v := range s.Values {
			if d >= days || (present != nil && !present[d]) {
				continue
			}
			daily[d] = v
			t += v
			if s.Class == classify.Access.String() {
				sd.Daily[d] += v
			}
		}
		cd.Countries[s.Key] += t
		cd.CountryDaily[s.Key] = daily
	}
	for _, s := range ports {
		if s.Sensor != sensor.Name {
			continue
		}
		cd := get(s.Class)
		var t float64
		for d, v := range s.Values {
			if d < days && (present == nil || present[d]) {
				t += v
			}
		}
		cd.Ports[s.Key] += t
	}
	// Classes with no traffic at this sensor are left out.
	for _, c := range slices.Collect(maps.Keys(sd.Classes)) {
		var t float64
		for _, v := range sd.Classes[c].Countries {
			t += v
		}
		if t == 0 {
			delete(sd.Classes, c)
		}
	}
	return sd
}

// CountrySeries are the per-sensor series by country the comparison
// counts, over Read: in the view's unit when it has per-sensor series in
// it, else in packets.
func (v *View) CountrySeries() []analysis.Series {
	if v.Unit == analysis.UnitSources && v.UnitBySensor != nil {
		return v.UnitBySensor[analysis.DimCountry]
	}
	return v.Country
}

// Compare compares two sensors over the period: shares, similarity and
// daily co-movement by country in the view's unit (daily distinct sources
// summed over days are source-days), ports seen at one sensor only, and
// the volume per monitored address, which stays in packets.
func (v *View) Compare(a, b Sensor) (analysis.Comparison, error) {
	present := v.PeriodPresent()
	countries, ports := v.CutSeries(v.CountrySeries()), v.CutSeries(v.Port)
	da := CompareInput(a, countries, ports, v.N, present[a.Name])
	db := CompareInput(b, countries, ports, v.N, present[b.Name])
	if v.Unit == analysis.UnitSources {
		packets := v.CutSeries(v.Country)
		da.Daily = CompareInput(a, packets, nil, v.N, present[a.Name]).Daily
		db.Daily = CompareInput(b, packets, nil, v.N, present[b.Name]).Daily
	}
	return analysis.Compare(da, db, analysis.DefaultCompareConfig())
}
