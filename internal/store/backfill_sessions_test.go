package store

import (
	"slices"
	"strings"
	"testing"

	"github.com/honeyscope/honeyscope/internal/civil"
)

func TestSessionBackfillPlaced(t *testing.T) {
	d := civil.Day(20000)
	sb := &SessionBackfill{Counts: map[SessionMatch]uint64{
		{d, "s1", "192.0.2.1", 23, "p"}:     3, // a sources row with its place
		{d, "s1", "192.0.2.2", 23, "p"}:     2, // a sources row without a country
		{d, "s1", "192.0.2.3", 80, "q"}:     1, // only the sessions' country
		{d + 1, "s1", "192.0.2.1", 23, "p"}: 4, // another day: no sources row
		{d, "s2", "192.0.2.9", 23, "p"}:     5, // nothing at all
	}}
	places := map[SessionMatch]SessionPlace{
		{Day: d, Sensor: "s1", Src: "192.0.2.1"}: {"JP", 2497},
		{Day: d, Sensor: "s1", Src: "192.0.2.2"}: {"", 64500},
	}
	countries := map[[2]string]string{{"s1", "192.0.2.1"}: "CN", {"s1", "192.0.2.2"}: "US", {"s1", "192.0.2.3"}: "KR"}
	got := sb.Placed(places, countries)
	slices.SortFunc(got, func(a, b SessionCount) int {
		if a.Day != b.Day {
			return int(a.Day - b.Day)
		}
		return strings.Compare(a.Sensor+a.Src, b.Sensor+b.Src)
	})
	want := []SessionCount{
		{SessionMatch{d, "s1", "192.0.2.1", 23, "p"}, "JP", 2497, 3},
		{SessionMatch{d, "s1", "192.0.2.2", 23, "p"}, "US", 64500, 2},
		{SessionMatch{d, "s1", "192.0.2.3", 80, "q"}, "KR", 0, 1},
		{SessionMatch{d, "s2", "192.0.2.9", 23, "p"}, "??", 0, 5},
		{SessionMatch{d + 1, "s1", "192.0.2.1", 23, "p"}, "CN", 0, 4},
	}
	if !slices.Equal(got, want) {
		t.Fatalf("Placed =\n%v\nwant\n%v", got, want)
	}
}
