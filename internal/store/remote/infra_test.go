package remote

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"reflect"
	"testing"
	"time"

	"github.com/honeyscope/honeyscope/internal/infra"
)

// TestResolutionsThroughOwner: resolutions stored through the owner (more
// than one part) are the owner's store's and read back alike, by name and
// all; a read-only client cannot store.
func TestResolutionsThroughOwner(t *testing.T) {
	ctx := context.Background()
	st, _ := owned(t)
	cl := dial(t, st)
	at := time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
	var rs []infra.Resolution
	for i := range resolutionsPerCall + 7 {
		rs = append(rs, infra.Resolution{Name: fmt.Sprintf("h%04d.evil.test", i), Zone: "evil.test", NS: []string{"ns1.h.test"},
			Addrs: []infra.Address{{Addr: netip.AddrFrom4([4]byte{192, 0, 2, byte(i)}), ASN: 64500}}, At: at})
	}
	if err := cl.PutResolutions(ctx, rs); err != nil {
		t.Fatal(err)
	}
	direct, err := st.Resolutions(ctx, nil)
	if err != nil || len(direct) != len(rs) {
		t.Fatalf("in the owner's store: %d %v", len(direct), err)
	}
	all, err := cl.Resolutions(ctx, nil)
	if err != nil || !reflect.DeepEqual(all, rs) {
		t.Errorf("all through the owner: %d %v", len(all), err)
	}
	some, err := cl.Resolutions(ctx, []string{"h0003.evil.test", "absent.test"})
	if err != nil || len(some) != 1 || !reflect.DeepEqual(some[0], rs[3]) {
		t.Errorf("by name: %+v %v", some, err)
	}
	if none, err := cl.Resolutions(ctx, []string{}); err != nil || len(none) != 0 {
		t.Errorf("no names: %+v %v", none, err)
	}
	cl.ReadOnly()
	if err := cl.PutResolutions(ctx, rs[:1]); !errors.Is(err, errReadOnly) {
		t.Errorf("read-only put: %v", err)
	}
}
