package period

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/honeyscope/honeyscope/internal/analysis"
	"github.com/honeyscope/honeyscope/internal/civil"
	"github.com/honeyscope/honeyscope/internal/period/periodtest"
)

func cd(i int) civil.Day { return civil.FromTime(day(i), nil) }

func TestResolve(t *testing.T) {
	st := fixture(t)
	src := New(st, st.Location(), nil)
	ctx := context.Background()
	cases := []struct {
		spec     Spec
		from, to civil.Day
	}{
		{Spec{}, cd(periodtest.Days - DefaultDays), cd(periodtest.Days - 1)},
		{Spec{To: cd(4), HasTo: true}, cd(4 - DefaultDays + 1), cd(4)},
		{Spec{From: cd(2), HasFrom: true}, cd(2), cd(2 + DefaultDays - 1)},
		{Spec{From: cd(3), To: cd(5), HasFrom: true, HasTo: true}, cd(3), cd(5)},
	}
	for _, c := range cases {
		r, err := src.Resolve(ctx, c.spec)
		if err != nil || r.From != c.from || r.To != c.to {
			t.Errorf("Resolve(%+v) = %s, %v; want %s – %s", c.spec, r, err, c.from, c.to)
		}
	}
	// A selection whose data starts late: the default period starts on its
	// first day with data, not before.
	small := New(st, st.Location(), []string{"small"})
	if r, err := small.Resolve(ctx, Spec{From: cd(0), To: cd(1), HasFrom: true, HasTo: true}); err != nil || r.Days() != 2 {
		t.Errorf("explicit period of small: %s %v", r, err)
	}
	for _, bad := range []Spec{
		{From: cd(5), To: cd(2), HasFrom: true, HasTo: true},
		{From: cd(0), To: cd(MaxDays + 1), HasFrom: true, HasTo: true},
	} {
		if _, err := src.Resolve(ctx, bad); err == nil {
			t.Errorf("Resolve(%+v) accepted", bad)
		}
	}
	if _, err := New(st, st.Location(), []string{"nope"}).Resolve(ctx, Spec{}); !errors.Is(err, ErrNoData) {
		t.Errorf("default period without data: %v, want ErrNoData", err)
	}
	r := Range{From: cd(7), To: cd(13)}
	if p := r.Previous(); p.From != cd(0) || p.To != cd(6) || p.Days() != 7 {
		t.Errorf("previous of %s: %s", r, p)
	}
}

// TestTopKeysMatchTruth: top ports over the whole capture of "open" carry
// the packets and exact distinct sources synth wrote.
func TestTopKeysMatchTruth(t *testing.T) {
	st := fixture(t)
	tr, err := readTruth(filepath.Join(filepath.Dir(fixtureStore.Path()), "open.pcap.truth.json"))
	if err != nil {
		t.Fatal(err)
	}
	type ck struct{ class, key string }
	truth := map[ck][2]float64{}
	for _, p := range tr.ByClassPort {
		truth[ck{p.Class, fmt.Sprintf("%d/%s", p.Port, p.Proto)}] = [2]float64{float64(p.Packets), float64(p.Sources)}
	}
	src := New(st, st.Location(), []string{"open"})
	tabs, err := src.TopKeys(context.Background(), TopQuery{Range: Range{cd(0), cd(periodtest.Days - 1)}, Dims: []string{analysis.DimPort}, N: 5})
	if err != nil {
		t.Fatal(err)
	}
	if len(tabs) == 0 {
		t.Fatal("no top tables")
	}
	for _, tab := range tabs {
		if len(tab.Rows) == 0 || len(tab.Rows) > 5 {
			t.Errorf("%s: %d rows", tab.Class, len(tab.Rows))
		}
		share := 0.0
		for i, r := range tab.Rows {
			want, ok := truth[ck{tab.Class, r.Key}]
			if !ok || r.Packets != want[0] || r.Sources != want[1] {
				t.Errorf("%s %s: %v packets, %v sources; truth %v", tab.Class, r.Key, r.Packets, r.Sources, want)
			}
			if i > 0 && r.Packets > tab.Rows[i-1].Packets {
				t.Errorf("%s: rows not by packets", tab.Class)
			}
			share += r.Share
		}
		if !(share > 0 && share <= 1+1e-9) {
			t.Errorf("%s: shares add up to %v", tab.Class, share)
		}
	}
}

// TestSensorDimension: series per sensor add up to the series by country.
func TestSensorDimension(t *testing.T) {
	st := fixture(t)
	src := New(st, st.Location(), nil)
	ctx := context.Background()
	r := Range{cd(0), cd(periodtest.Days - 1)}
	bySensor, err := src.Series(ctx, SeriesQuery{Range: r, Dim: DimSensor, Classes: []string{"mirai"}})
	if err != nil {
		t.Fatal(err)
	}
	byCountry, err := src.Series(ctx, SeriesQuery{Range: r, Dim: analysis.DimCountry, Classes: []string{"mirai"}, BySensor: true})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{}
	for _, s := range byCountry {
		want[s.Sensor] += Sum(s.Values)
	}
	got := map[string]float64{}
	for _, s := range bySensor {
		got[s.Key] += Sum(s.Values)
	}
	if len(got) != 2 || got["open"] != want["open"] || got["small"] != want["small"] || got["open"] == 0 {
		t.Errorf("per-sensor totals %v, by country %v", got, want)
	}
	// The small sensor has no data on its first three days.
	for _, s := range bySensor {
		if s.Key == "small" && Sum(s.Values[:3]) != 0 {
			t.Errorf("small has values before it started: %v", s.Values[:3])
		}
	}
}

// TestHeadline: the headline read on its own agrees with the report's view.
func TestHeadline(t *testing.T) {
	st := fixture(t)
	src := New(st, st.Location(), nil)
	ctx := context.Background()
	r := Range{cd(periodtest.Days - 7), cd(periodtest.Days - 1)}
	v, err := src.Load(ctx, ViewOptions{Range: r})
	if err != nil {
		t.Fatal(err)
	}
	lone, err := src.Headline(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	inView := v.Headline()
	if len(lone) == 0 || len(lone) != len(inView) {
		t.Fatalf("headline: %d classes alone, %d in the view", len(lone), len(inView))
	}
	for i := range lone {
		a, b := lone[i], inView[i]
		if a.Class != b.Class || a.Current != b.Current || a.Previous != b.Previous ||
			a.Packets.CurrentDays != b.Packets.CurrentDays || math.Abs(a.Packets.Percent-b.Packets.Percent) > 1e-9 {
			t.Errorf("class %s: alone %+v, in view %+v", a.Class, a, b)
		}
	}
	// Both sensors captured the whole period; "small" missed the first day
	// of the previous one (it started on day 3).
	if a := lone[0]; a.Class != "access" || a.Packets.CurrentDays != 7 || a.Packets.PreviousDays != 6 || !(a.Current.Packets > 0) {
		t.Errorf("access headline %+v", a)
	}
	if p, _ := v.Change("access"); p != inView[0].Packets {
		t.Errorf("Change %+v, Headline %+v", p, inView[0].Packets)
	}
}

// TestSpikesAndSourceDays: the planted spike as an API serves it, and the
// days of the source that drove it.
func TestSpikesAndSourceDays(t *testing.T) {
	st := fixture(t)
	src := New(st, st.Location(), []string{"open"})
	ctx := context.Background()
	found, err := src.FindSpikes(ctx, SpikeOptions{Range: Range{cd(periodtest.SpikeDay), cd(periodtest.SpikeDay)}, Classes: []string{"mirai"}, Dims: []string{analysis.DimCountry}})
	if err != nil {
		t.Fatal(err)
	}
	spikes := src.Spikes(found, nil)
	i := slices.IndexFunc(spikes, func(s Spike) bool { return s.Key == "IT" })
	if i < 0 {
		t.Fatalf("no IT spike: %+v", spikes)
	}
	s := spikes[i]
	ratioOK := s.Ratio == nil && s.Baseline == 0 || s.Ratio != nil && math.Abs(*s.Ratio-s.Value/s.Baseline) < 1e-9
	if s.Day != cd(periodtest.SpikeDay) || s.Sensor != "open" || !ratioOK ||
		!strings.Contains(s.SentenceEN, "Italy") || !strings.Contains(s.SentenceJA, "イタリア") || len(s.Drivers) == 0 {
		t.Errorf("spike %+v", s)
	}
	var addr string
	for _, d := range s.Drivers {
		if d.Dim == analysis.DimSource {
			addr = d.Key
			break
		}
	}
	if addr == "" {
		t.Fatalf("no source driver: %+v", s.Drivers)
	}
	days, err := src.SourceDays(ctx, netip.MustParseAddr(addr), Range{cd(0), cd(periodtest.Days - 1)})
	if err != nil {
		t.Fatal(err)
	}
	j := slices.IndexFunc(days, func(d SourceDay) bool { return d.Day == cd(periodtest.SpikeDay) })
	if j < 0 {
		t.Fatalf("source %s has no row on the spike day: %+v", addr, days)
	}
	d := days[j]
	var ports uint64
	for _, p := range d.Ports {
		ports += p.Packets
	}
	if d.Country != "IT" || !slices.Contains(d.Classes, "mirai") || ports != d.Packets || d.Packets == 0 ||
		!slices.Equal(d.Sensors, []string{"open"}) || d.FirstSeen.After(d.LastSeen) || src.Day(d.FirstSeen) != d.Day {
		t.Errorf("source day %+v", d)
	}
	for k := 1; k < len(days); k++ {
		if days[k].Day <= days[k-1].Day {
			t.Errorf("days out of order: %s after %s", days[k].Day, days[k-1].Day)
		}
	}
}
