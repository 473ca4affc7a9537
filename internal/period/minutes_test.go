package period

import (
	"testing"
	"time"

	"github.com/honeyscope/honeyscope/internal/store"
)

// TestMinutesOf: intervals of a live capture give per-minute coverage and
// drops; overlapping captures are not counted twice; the gap between two
// captures reads as no data.
func TestMinutesOf(t *testing.T) {
	day := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	var caps []store.Capture
	// 00:00:00 to 00:02:00 in 10 s intervals, one losing 7 packets.
	for i := 0; i < 12; i++ {
		c := store.Capture{Sensor: "s", First: day.Add(time.Duration(i) * 10 * time.Second), Last: day.Add(time.Duration(i+1) * 10 * time.Second)}
		if i == 8 {
			c.KernelDrops, c.QueueDrops = 5, 2
		}
		caps = append(caps, c)
	}
	// A file overlapping the second minute and running to 00:02:30.
	caps = append(caps, store.Capture{Sensor: "s", First: day.Add(90 * time.Second), Last: day.Add(150 * time.Second)})
	// Another sensor: ignored.
	caps = append(caps, store.Capture{Sensor: "t", First: day, Last: day.Add(time.Hour)})
	// 00:05:15 to 00:05:45.
	caps = append(caps, store.Capture{Sensor: "s", First: day.Add(315 * time.Second), Last: day.Add(345 * time.Second)})

	m := MinutesOf(caps, "s", day, day.Add(24*time.Hour))
	if len(m) != 1440 {
		t.Fatalf("%d minutes", len(m))
	}
	want := map[int]float64{0: 1, 1: 1, 2: 0.5, 3: 0, 4: 0, 5: 0.5, 6: 0}
	for i, w := range want {
		if m[i].Covered != w {
			t.Errorf("minute %d covered %v, want %v", i, m[i].Covered, w)
		}
	}
	if m[1].KernelDrops != 5 || m[1].QueueDrops != 2 || m[0].KernelDrops != 0 {
		t.Errorf("drops: %+v %+v", m[0], m[1])
	}
	var sum float64
	for _, x := range m {
		sum += x.Covered
	}
	if sum != 3 {
		t.Errorf("covered minutes %v, want 3", sum)
	}
}
