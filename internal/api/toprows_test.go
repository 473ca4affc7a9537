package api

import (
	"context"
	"reflect"
	"testing"

	"github.com/honeyscope/honeyscope/internal/store"
)

// TestTopByPackets: the top keys ranked by packets alone, with distinct
// sources counted for the kept keys only, are exactly the rows the store
// gives when it counts every key's sources (keys, packets, sources, AS
// names and order), for every dimension, class and cut, filters and
// sensors included; and ties (equal packets) are met, both across the cut
// and among the kept keys.
func TestTopByPackets(t *testing.T) {
	st := openTestStore(t)
	c := newTestComponent(t, st, Configuration{}, Dependencies{})
	ctx := context.Background()
	tiesIn, tiesAcross, cases := 0, 0, 0
	for _, dim := range []string{"country", "asn", "port", "sensor"} {
		for _, class := range []string{"access", "mirai", "zmap", "backscatter", "exploit"} {
			for _, base := range []store.StatsQuery{
				{},
				{Sensors: []string{"tokyo"}},
				{From: "2026-05-02", To: "2026-05-03"},
				{Countries: []string{"CN", "US", "JP", "BR", "DE"}},
				{Protos: []string{"tcp"}},
			} {
				for _, n := range []int{1, 2, 3, 5, 8, 13, 30} {
					q := base
					q.By, q.Classes, q.Top, q.OrderBy = []string{dim}, []string{class}, n, "packets"
					want, err := st.Stats(ctx, q)
					if err != nil {
						t.Fatal(err)
					}
					all := q
					all.Top = 0
					every, err := st.Stats(ctx, all)
					if err != nil {
						t.Fatal(err)
					}
					if len(every) > n && every[n].Packets == every[n-1].Packets {
						tiesAcross++
					}
					for i := 1; i < len(want); i++ {
						if want[i].Packets == want[i-1].Packets {
							tiesIn++
							break
						}
					}
					for _, need := range []bool{true, false} {
						got, err := c.topByPackets(ctx, "test", q, dim, need)
						if err != nil {
							t.Fatal(err)
						}
						cases++
						if len(got) != len(want) {
							t.Fatalf("%+v: %d rows, want %d", q, len(got), len(want))
						}
						for i := range want {
							g, w := got[i], want[i]
							if !need && g.Sources == 0 {
								w.Sources = 0 // not asked for, and no tie needed them
							}
							if !reflect.DeepEqual(g, w) {
								t.Fatalf("%+v sources=%v row %d: %+v, want %+v", q, need, i, g, w)
							}
						}
					}
				}
			}
		}
	}
	t.Logf("%d cases, %d with ties among the kept keys, %d across the cut", cases, tiesIn, tiesAcross)
	if tiesIn == 0 || tiesAcross == 0 {
		t.Fatalf("no ties met (%d among kept keys, %d across the cut): the test store does not exercise them", tiesIn, tiesAcross)
	}
}
