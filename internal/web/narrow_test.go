package web

import (
	"context"
	"encoding/csv"
	"fmt"
	"strconv"
	"testing"

	"github.com/honeyscope/honeyscope/internal/store"
)

// TestNarrowedTablesMatchStats: the top tables of narrowed views (a port
// page by country, a class narrowed to an AS by port, a country page by
// AS) count what the store's own stats count under the same filters.
func TestNarrowedTablesMatchStats(t *testing.T) {
	st := openTestStore(t)
	h := newTestHandler(t, Dependencies{Store: st}, Configuration{})
	from, to := "2026-05-06", "2026-05-12"
	cases := []struct {
		url string
		q   store.StatsQuery
	}{
		{"/csv/port.top-country.csv?port=23/tcp&class=access",
			store.StatsQuery{By: []string{"country"}, Classes: []string{"access"}, Ports: []int{23}, Protos: []string{"tcp"}}},
		{"/csv/class.top-port.csv?class=mirai&asn=AS4134",
			store.StatsQuery{By: []string{"port"}, Classes: []string{"mirai"}, ASNs: []uint32{4134}}},
		{"/csv/country.top-asn.csv?country=CN&class=mirai&sensor=tokyo",
			store.StatsQuery{By: []string{"asn"}, Classes: []string{"mirai"}, Countries: []string{"CN"}, Sensors: []string{"tokyo"}}},
		{"/csv/asn.top-country.csv?asn=AS0&class=access&port=23/tcp",
			store.StatsQuery{By: []string{"country"}, Classes: []string{"access"}, ASNs: []uint32{0}, Ports: []int{23}, Protos: []string{"tcp"}}},
	}
	for _, c := range cases {
		rec := get(t, h, c.url+"&from="+from+"&to="+to)
		if rec.Code != 200 {
			t.Fatalf("%s: %d %s", c.url, rec.Code, body(rec))
		}
		recs, err := csv.NewReader(rec.Body).ReadAll()
		if err != nil || len(recs) < 2 {
			t.Fatalf("%s: %v, %d rows", c.url, err, len(recs))
		}
		c.q.From, c.q.To, c.q.NoSources = from, to, true
		rows, err := st.Stats(context.Background(), c.q)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]uint64{}
		for _, r := range rows {
			var key string
			switch c.q.By[0] {
			case "country":
				key = fmt.Sprint(r.Keys[0])
			case "port":
				key = fmt.Sprintf("%v/%v", r.Keys[0], r.Keys[1])
			case "asn":
				key = fmt.Sprintf("AS%v", r.Keys[0])
			}
			want[key] += r.Packets
		}
		for _, r := range recs[1:] {
			got, _ := strconv.ParseUint(r[1], 10, 64)
			if w, ok := want[r[0]]; !ok || w != got {
				t.Errorf("%s: %s has %d packets, stats say %d", c.url, r[0], got, w)
			}
		}
	}
}
