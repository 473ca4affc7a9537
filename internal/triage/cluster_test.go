package triage

import (
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/honeyscope/honeyscope/internal/elfinfo/elftest"
)

// mutate returns b with n random bytes changed.
func mutate(b []byte, n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 1))
	out := append([]byte(nil), b...)
	for range n {
		out[r.IntN(len(out))] = byte(r.IntN(256))
	}
	return out
}

func item(b []byte, first time.Time) Item {
	r := Analyze(b)
	return Item{SHA256: r.SHA256, TLSH: r.TLSH, Telfhash: r.Telfhash, Family: r.Family, Arch: r.Arch, First: first}
}

func TestCluster(t *testing.T) {
	day := func(d int) time.Time { return time.Date(2026, 5, d, 12, 0, 0, 0, time.UTC) }
	mirai := miraiSample(0x22, 1)
	gafgytBody := append(codeLike(77, 40000), "KILLATTK\x00GETLOCALIP\x00SCANNER ON\x00PONG!\x00"...)
	gafgyt := elftest.Build(elftest.Spec{Class: 32, BE: true, Machine: 8, Body: gafgytBody})
	other := elftest.Build(elftest.Spec{Class: 64, Machine: 62, Body: randBytes(50, 30000)})
	syms := []string{"attack_init", "attack_udp_plain", "scanner_init", "killer_init", "table_unlock_val", "resolv_lookup", "connect", "socket"}
	// Two unrelated bodies with the same symbols: only telfhash links them.
	symA := elftest.Build(elftest.Spec{Class: 32, Machine: 40, Symbols: syms, Body: randBytes(60, 20000)})
	symB := elftest.Build(elftest.Spec{Class: 32, Machine: 40, Symbols: syms, Body: randBytes(61, 20000)})
	items := []Item{
		item(mirai, day(1)),
		item(mutate(mirai, 40, 1), day(2)),
		item(mutate(mirai, 80, 2), day(2)),
		item(gafgyt, day(1)),
		item(mutate(gafgyt, 30, 3), day(3)),
		item(other, day(3)),
		item(symA, day(3)),
		item(symB, day(4)),
	}
	items[2].Family = "" // a variant whose markers were not all found still joins mirai
	as := Cluster(items, ClusterOptions{})
	by := map[string]Assignment{}
	for _, a := range as {
		by[a.SHA256] = a
	}
	get := func(i int) Assignment { return by[items[i].SHA256] }
	for _, i := range []int{1, 2} {
		if get(i).Cluster != get(0).Cluster || get(i).Family != "mirai" {
			t.Errorf("mirai variant %d: %+v vs %+v", i, get(i), get(0))
		}
	}
	if get(0).Size != 3 {
		t.Errorf("mirai cluster size %d", get(0).Size)
	}
	if get(4).Cluster != get(3).Cluster || get(3).Family != "gafgyt" || get(3).Cluster == get(0).Cluster {
		t.Errorf("gafgyt: %+v %+v", get(3), get(4))
	}
	if get(5).Size != 1 || get(5).Family != get(5).Cluster {
		t.Errorf("other: %+v", get(5))
	}
	if get(6).Cluster != get(7).Cluster {
		t.Errorf("telfhash did not link: %+v %+v (%q %q)", get(6), get(7), items[6].Telfhash, items[7].Telfhash)
	}
	if a := Cluster(items, ClusterOptions{TelfhashThreshold: -1}); func() bool {
		m := map[string]string{}
		for _, x := range a {
			m[x.SHA256] = x.Cluster
		}
		return m[items[6].SHA256] == m[items[7].SHA256]
	}() {
		t.Error("unrelated bodies linked without telfhash")
	}
	// Deterministic: the input order does not matter.
	rev := append([]Item(nil), items...)
	for i, j := 0, len(rev)-1; i < j; i, j = i+1, j-1 {
		rev[i], rev[j] = rev[j], rev[i]
	}
	if !reflect.DeepEqual(Cluster(rev, ClusterOptions{}), as) {
		t.Error("order changes the clusters")
	}

	table := FamilyTable(items, as, "day", time.UTC)
	want := []FamilyRow{
		{"2026-05-01", "gafgyt", 1}, {"2026-05-01", "mirai", 1},
		{"2026-05-02", "mirai", 2},
	}
	if !reflect.DeepEqual(table[:3], want) {
		t.Errorf("by day %+v", table)
	}
	arch := FamilyTable(items, as, "arch", time.UTC)
	n := 0
	for _, r := range arch {
		if r.Key == "arm" && r.Family == "mirai" {
			n = r.Samples
		}
	}
	if n != 3 {
		t.Errorf("by arch %+v", arch)
	}
	u := UniqueOverTime(append(items, items[0]), time.UTC)
	wantU := []UniquePoint{{"2026-05-01", 2, 2}, {"2026-05-02", 2, 4}, {"2026-05-03", 3, 7}, {"2026-05-04", 1, 8}}
	if !reflect.DeepEqual(u, wantU) {
		t.Errorf("unique %+v", u)
	}
}
