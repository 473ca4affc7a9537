package clickstore_test

import (
	"context"
	"net/netip"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/honeyscope/honeyscope/internal/infra"
	"github.com/honeyscope/honeyscope/internal/store/duckstore"
	"github.com/honeyscope/honeyscope/internal/store/storetest/contract"
)

// TestResolutions stores resolutions in a DuckDB and a ClickHouse store,
// replaces one (in a later put and within one put), and reads them back
// by name and all: both stores answer the same, and what was put last.
func TestResolutions(t *testing.T) {
	ctx := context.Background()
	at := time.Date(2026, 4, 22, 10, 0, 0, 0, time.UTC)
	a := infra.Resolution{Name: "a.evil.test", Zone: "evil.test", NS: []string{"ns1.h.test"}, CNAME: []string{"x.fastly.net"},
		Addrs: []infra.Address{{Addr: netip.MustParseAddr("192.0.2.1"), ASN: 54113, Org: "FASTLY"}}, CDN: "Fastly", CDNBy: "cname", Queries: 3, At: at}
	b := infra.Resolution{Name: "b.evil.test", Zone: "evil.test", NS: []string{"ns1.h.test"}, Err: "address: i/o timeout", At: at}
	c := infra.Resolution{Name: "c.evil.test", Zone: "evil.test", Queries: 1, At: at.Add(-time.Hour)}
	duck, err := duckstore.Open(ctx, filepath.Join(t.TempDir(), "r.duckdb"), duckstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer duck.Close()
	ch := contract.ClickHouse(t, "")
	var answers [][]infra.Resolution
	for _, st := range []infra.ResolutionStore{duck, ch} {
		old := b
		old.Err = "old"
		oldC := c
		oldC.Queries = 9
		if err := st.PutResolutions(ctx, []infra.Resolution{old, a, oldC, c}); err != nil {
			t.Fatal(err)
		}
		if err := st.PutResolutions(ctx, []infra.Resolution{b}); err != nil {
			t.Fatal(err)
		}
		got, err := st.Resolutions(ctx, []string{"b.evil.test", "a.evil.test", "never.test", "c.evil.test"})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, []infra.Resolution{a, b, c}) {
			t.Errorf("%T: by name %+v", st, got)
		}
		all, err := st.Resolutions(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if none, err := st.Resolutions(ctx, []string{}); err != nil || len(none) != 0 {
			t.Errorf("%T: none %+v %v", st, none, err)
		}
		answers = append(answers, all)
	}
	if !reflect.DeepEqual(answers[0], answers[1]) || len(answers[0]) != 3 {
		t.Errorf("all resolutions: DuckDB %+v, ClickHouse %+v", answers[0], answers[1])
	}
}
