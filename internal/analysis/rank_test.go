package analysis

import (
	"testing"
	"time"
)

func TestRankWeighsShareAndZ(t *testing.T) {
	start := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	day := start.AddDate(0, 0, 3)
	// Same score; a is a third of its class's traffic, b a thousandth of
	// its class (share floored at 1%: 5 · 0.1 = 0.5), z is like y but
	// barely clears the noise and is a one-day spike of one source (0.36).
	fs := []Finding{
		{Class: "b", Key: "x", WindowMax: 150, Day: day, LastDay: day, Days: 1, Value: 400, Baseline: 100, Z: 20, Score: 5},
		{Class: "a", Key: "y", Day: day, LastDay: day, Days: 1, Value: 400, Baseline: 100, Z: 20, Score: 5},
		{Class: "a", Key: "z", Day: day, LastDay: day, Days: 1, Value: 400, Baseline: 100, Z: 5, Score: 5, Sources: 1},
	}
	totals := map[ClassKey][]float64{{Class: "a"}: {0, 0, 0, 900}, {Class: "b"}: {0, 0, 0, 300000}}
	if err := Rank(fs, totals, start, DefaultRankConfig()); err != nil {
		t.Fatal(err)
	}
	if fs[0].Key != "y" || fs[1].Key != "x" || fs[2].Key != "z" {
		t.Fatalf("order %s %s %s, want y x z", fs[0].Key, fs[1].Key, fs[2].Key)
	}
	if s := fs[0].Share; s < 0.33 || s > 0.34 {
		t.Errorf("share %v, want 300/900", s)
	}
	// y: 5 · 1 · sqrt(1/3); z: 5 · 0.5 · sqrt(1/3) / 4 (one source).
	if r := fs[0].Significance / fs[2].Significance; r < 7.99 || r > 8.01 {
		t.Errorf("y/z significance %v, want 8", r)
	}
	kept, hidden := Significant(fs, 1)
	if hidden != len(fs)-len(kept) {
		t.Errorf("hidden %d of %d, kept %d", hidden, len(fs), len(kept))
	}
	for _, f := range kept {
		if f.Significance < 1 {
			t.Errorf("kept %s with significance %v", f.Key, f.Significance)
		}
	}
}

func TestMergeEvents(t *testing.T) {
	day := time.Date(2026, 5, 4, 0, 0, 0, 0, time.UTC)
	country := Finding{Class: "mirai", Dim: DimCountry, Key: "IT", Day: day, LastDay: day, Value: 1000, Baseline: 100,
		Drivers: []Driver{{Dim: DimPort, Key: "23/tcp", Value: 900, Baseline: 80}, {Dim: DimASN, Key: "AS3269", Value: 300, Baseline: 10}}}
	port := Finding{Class: "mirai", Dim: DimPort, Key: "23/tcp", Day: day, LastDay: day, Value: 5000, Baseline: 4200}
	asn := Finding{Class: "mirai", Dim: DimASN, Key: "AS3269", Day: day, LastDay: day, Value: 900, Baseline: 10}
	other := Finding{Class: "zmap", Dim: DimPort, Key: "23/tcp", Day: day, LastDay: day, Value: 5000, Baseline: 4200}
	later := port
	later.Day, later.LastDay = day.AddDate(0, 0, 2), day.AddDate(0, 0, 2)
	// An ASN whose own drivers say it is the country's event.
	asn2 := Finding{Class: "mirai", Dim: DimASN, Key: "AS1", Day: day, LastDay: day, Value: 2000, Baseline: 0,
		Drivers: []Driver{{Dim: DimCountry, Key: "IT", Value: 1000, Baseline: 100}}}
	got := MergeEvents([]Finding{country, port, asn, other, later, asn2})
	// port: the driver carries 820 of its 800 excess → merged. asn: 290 of
	// 890 → not the same event. other class, later day: kept.
	if len(got) != 4 || got[0].Key != "IT" || got[1].Key != "AS3269" || got[2].Class != "zmap" || !got[3].Day.Equal(later.Day) {
		t.Fatalf("merged %+v", got)
	}
	if len(got[0].SameEvent) != 2 || got[0].SameEvent[0].Key != "23/tcp" || got[0].SameEvent[1].Key != "AS1" {
		t.Errorf("same event %+v", got[0].SameEvent)
	}
	if len(country.SameEvent) != 0 {
		t.Error("input modified")
	}
}
