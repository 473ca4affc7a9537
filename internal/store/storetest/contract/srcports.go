package contract

import (
	"context"
	"fmt"
	"net/netip"
	"reflect"
	"testing"

	"github.com/honeyscope/honeyscope/internal/srcports"
	"github.com/honeyscope/honeyscope/internal/store"
)

// CompareSrcPorts asks both stores for source-port histograms (when both
// keep them) under every kind of narrowing and fails on any difference,
// or when there is nothing to compare.
func CompareSrcPorts(t *testing.T, ref, got store.Reader, sel store.Selection) {
	t.Helper()
	ctx := context.Background()
	a, errA := store.SrcPortsOf(ref)
	b, errB := store.SrcPortsOf(got)
	if errA != nil || errB != nil {
		t.Logf("source ports: not kept by both stores (%v / %v)", errA, errB)
		return
	}
	all, _, err := a.SrcPortObs(ctx, store.SrcPortQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) == 0 {
		t.Fatal("source ports: no histograms to compare")
	}
	first := all[0]
	var used []srcports.PortKey
	for _, o := range all {
		if o.Kind == 0 {
			used = append(used, srcports.PortKey{Proto: o.Proto, Port: o.Port})
			break
		}
	}
	net16, _ := first.Src.Prefix(16)
	net20, _ := first.Src.Prefix(20)
	qs := []store.SrcPortQuery{
		{},
		{From: sel.From.AddDays(1), To: sel.From.AddDays(3), Sensors: []string{"tokyo"}},
		{Exclude: []string{"tokyo"}},
		{Src: first.Src},
		{Net: net16},
		{Net: net20, From: sel.From},
		{Country: "cn"},
		{ASN: 4134},
		{Used: used},
		{Limit: 10},
		{Src: netip.MustParseAddr("192.0.2.254")},
		{Srcs: []netip.Addr{first.Src, netip.MustParseAddr("192.0.2.254")}},
		{Srcs: []netip.Addr{}},
	}
	for _, q := range qs {
		oa, ca, errA := a.SrcPortObs(ctx, q)
		ob, cb, errB := b.SrcPortObs(ctx, q)
		if errA != nil || errB != nil {
			t.Errorf("SrcPortObs %+v: errors %v / %v", q, errA, errB)
		} else if !reflect.DeepEqual(oa, ob) || ca != cb {
			t.Errorf("SrcPortObs %+v differs: %d rows (cut %v) / %d rows (cut %v)%s", q, len(oa), ca, len(ob), cb, firstDiff(oa, ob))
		}
	}
	for _, sensors := range [][]string{nil, {"osaka"}} {
		da, errA := a.SrcPortDays(ctx, sel.From, sel.To, sensors)
		db, errB := b.SrcPortDays(ctx, sel.From, sel.To, sensors)
		if errA != nil || errB != nil {
			t.Errorf("SrcPortDays %v: errors %v / %v", sensors, errA, errB)
		} else if !reflect.DeepEqual(da, db) || len(da) == 0 {
			t.Errorf("SrcPortDays %v: %v / %v", sensors, da, db)
		}
	}
}

func firstDiff(a, b []srcports.Obs) string {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return fmt.Sprintf("; first difference at %d: %+v / %+v", i, a[i], b[i])
		}
	}
	return ""
}
