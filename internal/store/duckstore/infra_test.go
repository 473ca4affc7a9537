package duckstore

import (
	"context"
	"net/netip"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/honeyscope/honeyscope/internal/infra"
)

// TestResolutions stores resolutions in a store upgraded from schema 2 and
// in a new one, replaces one, and reads them back by name and all.
func TestResolutions(t *testing.T) {
	ctx := context.Background()
	at := time.Date(2026, 4, 22, 10, 0, 0, 0, time.UTC)
	a := infra.Resolution{Name: "a.evil.test", Zone: "evil.test", NS: []string{"ns1.h.test"}, CNAME: []string{"x.fastly.net"},
		Addrs: []infra.Address{{Addr: netip.MustParseAddr("192.0.2.1"), ASN: 54113, Org: "FASTLY"}}, CDN: "Fastly", CDNBy: "cname", Queries: 3, At: at}
	b := infra.Resolution{Name: "b.evil.test", Zone: "evil.test", NS: []string{"ns1.h.test"}, Err: "address: i/o timeout", At: at}
	for name, path := range map[string]string{"upgraded": schema2Store(t), "new": filepath.Join(t.TempDir(), "n.duckdb")} {
		st, err := Open(ctx, path, Options{})
		if err != nil {
			t.Fatal(err)
		}
		old := b
		old.Err = "old"
		if err := st.PutResolutions(ctx, []infra.Resolution{old, a}); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := st.PutResolutions(ctx, []infra.Resolution{b}); err != nil {
			t.Fatal(err)
		}
		got, err := st.Resolutions(ctx, []string{"b.evil.test", "a.evil.test", "never.test"})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, []infra.Resolution{a, b}) {
			t.Errorf("%s: by name %+v", name, got)
		}
		all, err := st.Resolutions(ctx, nil)
		if err != nil || len(all) != 2 || all[1].Err != b.Err {
			t.Errorf("%s: all %+v %v", name, all, err)
		}
		if none, err := st.Resolutions(ctx, []string{}); err != nil || len(none) != 0 {
			t.Errorf("%s: none %+v %v", name, none, err)
		}
		st.Close()
	}
}
