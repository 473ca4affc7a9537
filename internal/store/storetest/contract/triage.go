package contract

import (
	"bytes"
	"context"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/honeyscope/honeyscope/internal/session"
	"github.com/honeyscope/honeyscope/internal/store"
	"github.com/honeyscope/honeyscope/internal/store/storetest"
)

// Triage checks st's samples added by hand and triage records: an add is
// new once, the sessions' story of a content wins over its adds and comes
// back to the adds' when no session has it any longer; a triage record is
// replaced by the next, Untriaged lists by last seen, a clustering replaces
// the last one.
func Triage(t *testing.T, st store.Store) {
	ctx := context.Background()
	tr := must(store.TriageOf(st))(t)
	elf, elf2 := storetest.ELF("added"), storetest.ELF("twice")
	sha, sha2 := storetest.SHA256(elf), storetest.SHA256(elf2)
	t1 := mt0.Add(time.Hour)
	add := store.SampleAdd{SHA256: sha, Size: int64(len(elf)), Type: "elf32-arm-le", Time: t1, Name: "x.zip:bins/x.arm"}
	if n, err := tr.AddSamples(ctx, []store.SampleAdd{add}); err != nil || n != 1 {
		t.Fatalf("first add: %d new (%v), want 1", n, err)
	}
	later := add
	later.Time = t1.Add(24 * time.Hour)
	if n, err := tr.AddSamples(ctx, []store.SampleAdd{later}); err != nil || n != 0 {
		t.Fatalf("second add: %d new (%v), want 0", n, err)
	}
	twice := []store.SampleAdd{{SHA256: sha2, Size: int64(len(elf2)), Type: "elf32-arm-le", Time: t1},
		{SHA256: sha2, Size: int64(len(elf2)), Type: "elf32-arm-le", Time: t1.Add(2 * time.Hour), Name: strings.Repeat("n", 300)}}
	if n, err := tr.AddSamples(ctx, twice); err != nil || n != 1 {
		t.Fatalf("one content twice in one add: %d new (%v), want 1", n, err)
	}
	want := []session.Sample{
		{SHA256: sha, Size: int64(len(elf)), Type: "elf32-arm-le", First: t1, Last: later.Time, Via: "added"},
		{SHA256: sha2, Size: int64(len(elf2)), Type: "elf32-arm-le", First: t1, Last: t1.Add(2 * time.Hour), Via: "added"},
	}
	if got := must(st.Samples(ctx, store.SampleQuery{}))(t); !reflect.DeepEqual(got, want) {
		t.Fatalf("samples added:\n got %+v\nwant %+v", got, want)
	}
	// The honeypot sees the first: the session's story wins, a later add
	// does not change it, and when the session no longer has it the adds'
	// story is back, with the later add.
	s := storetest.Telnet("h1", "hp1", srcA, mt0, elf, "sh")
	if err := st.CommitSessions(ctx, store.SessionBatch{ID: "tb1", Sessions: []session.Session{s}}); err != nil {
		t.Fatal(err)
	}
	at := s.Files[0].Time
	fromSession := session.Sample{SHA256: sha, Size: int64(len(elf)), Type: s.Files[0].Type, First: at, Last: at, Count: 1,
		Via: "download", SessionID: "h1", Src: srcA, Sensor: "hp1"}
	if got := must(st.Samples(ctx, store.SampleQuery{SHA256: sha}))(t); !reflect.DeepEqual(got, []session.Sample{fromSession}) {
		t.Fatalf("after the honeypot:\n got %+v\nwant %+v", got, fromSession)
	}
	last := add
	last.Time = t1.Add(48 * time.Hour)
	if n, err := tr.AddSamples(ctx, []store.SampleAdd{last}); err != nil || n != 0 {
		t.Fatalf("add of a content the honeypot has: %d new (%v), want 0", n, err)
	}
	if got := must(st.Samples(ctx, store.SampleQuery{SHA256: sha}))(t); !reflect.DeepEqual(got, []session.Sample{fromSession}) {
		t.Fatalf("an add changed the honeypot's sample:\n got %+v\nwant %+v", got, fromSession)
	}
	s.Files = nil
	if err := st.CommitSessions(ctx, store.SessionBatch{ID: "tb2", Sessions: []session.Session{s}}); err != nil {
		t.Fatal(err)
	}
	back := want[0]
	back.Last = last.Time
	if got := must(st.Samples(ctx, store.SampleQuery{SHA256: sha}))(t); !reflect.DeepEqual(got, []session.Sample{back}) {
		t.Fatalf("after the session lost it:\n got %+v\nwant %+v", got, back)
	}
	for _, bad := range []string{"../../etc/passwd", strings.ToUpper(sha), sha[:63], ""} {
		if _, err := tr.AddSamples(ctx, []store.SampleAdd{{SHA256: bad}}); err == nil {
			t.Errorf("AddSamples(%q) accepted", bad)
		}
	}
	triageRecords(t, st, tr)
}

// triageRecords checks PutTriage, Triage, Untriaged, TriageItems and
// SetClusters on three samples added an hour apart.
func triageRecords(t *testing.T, st store.Store, tr store.TriageStore) {
	ctx := context.Background()
	var shas []string
	for i, name := range []string{"a", "b", "c"} {
		elf := storetest.ELF("triage-" + name)
		shas = append(shas, storetest.SHA256(elf))
		at := mt0.Add(time.Duration(i) * time.Hour)
		if _, err := tr.AddSamples(ctx, []store.SampleAdd{{SHA256: shas[i], Size: int64(len(elf)), Type: "elf32-arm-le", Time: at}}); err != nil {
			t.Fatal(err)
		}
	}
	a, b, c := shas[0], shas[1], shas[2]
	// The two samples of Triage (added a day later) come first.
	un := must(tr.Untriaged(ctx, 1, 0))(t)
	if len(un) != 5 || !slices.Equal(un[2:], []string{c, b, a}) {
		t.Fatalf("untriaged %v, want 5 ending in c, b, a", un)
	}
	rec := store.TriageRecord{SHA256: a, Version: 1, Time: mt0, Arch: "arm", Family: "mirai", TLSH: "T1AB", Telfhash: "t1cd", Packed: true,
		Result: []byte(`{"version":1,"strings":["\u00e9"]}`)}
	old := store.TriageRecord{SHA256: b, Version: 0, Time: mt0.Add(time.Minute), Arch: "mipsel"}
	// A triage of a content the store has no sample of counts for
	// TriageItems, with no first seen.
	orphan := store.TriageRecord{SHA256: strings.Repeat("0f", 32), Version: 1, Time: mt0, Arch: "x86_64"}
	if err := tr.PutTriage(ctx, []store.TriageRecord{rec, old, orphan}); err != nil {
		t.Fatal(err)
	}
	if un := must(tr.Untriaged(ctx, 1, 0))(t); len(un) != 4 || !slices.Equal(un[2:], []string{c, b}) {
		t.Errorf("untriaged after put: %v, want 4 ending in c, b", un)
	}
	if un := must(tr.Untriaged(ctx, 1, 3))(t); len(un) != 3 || un[2] != c {
		t.Errorf("untriaged, limit 3: %v", un)
	}
	if un := must(tr.Untriaged(ctx, 0, 0))(t); len(un) != 3 || un[2] != c {
		t.Errorf("untriaged below version 0: %v, want 3 ending in c", un)
	}
	got := must(tr.Triage(ctx, []string{a, b, c}))(t)
	wantOld := old
	wantOld.Result = []byte{} // no result reads back empty
	if len(got) != 2 || !reflect.DeepEqual(got[a], rec) || !reflect.DeepEqual(got[b], wantOld) {
		t.Fatalf("triage:\n got %+v\nwant %+v and %+v", got, rec, wantOld)
	}
	if got := must(tr.Triage(ctx, nil))(t); len(got) != 0 {
		t.Errorf("triage of nothing: %+v", got)
	}
	// A new record replaces the old one.
	rec2 := rec
	rec2.Version, rec2.Time, rec2.Arch, rec2.Packed, rec2.Result = 2, mt0.Add(time.Hour), "armhf", false, bytes.Repeat([]byte("x"), 70000)
	if err := tr.PutTriage(ctx, []store.TriageRecord{rec2}); err != nil {
		t.Fatal(err)
	}
	if got := must(tr.Triage(ctx, []string{a}))(t); !reflect.DeepEqual(got[a], rec2) {
		t.Fatalf("replaced triage:\n got %+v\nwant %+v", got[a], rec2)
	}
	if un := must(tr.Untriaged(ctx, 2, 0))(t); len(un) != 4 || !slices.Equal(un[2:], []string{c, b}) {
		t.Errorf("untriaged below version 2: %v", un)
	}
	if err := tr.SetClusters(ctx, []store.ClusterAssignment{{SHA256: a, Cluster: "c-x", Family: "mirai"}, {SHA256: b, Cluster: "c-y", Family: ""}}); err != nil {
		t.Fatal(err)
	}
	rec2.Cluster, rec2.ClusterFamily = "c-x", "mirai"
	wantOld.Cluster = "c-y"
	if got := must(tr.Triage(ctx, []string{a, b}))(t); !reflect.DeepEqual(got[a], rec2) || !reflect.DeepEqual(got[b], wantOld) {
		t.Fatalf("triage with clusters:\n got %+v", got)
	}
	items := must(tr.TriageItems(ctx))(t)
	wantItems := []store.TriageItem{
		{SHA256: a, TLSH: "T1AB", Telfhash: "t1cd", Family: "mirai", Arch: "armhf", First: mt0},
		{SHA256: b, Arch: "mipsel", First: mt0.Add(time.Hour)},
		{SHA256: orphan.SHA256, Arch: "x86_64"},
	}
	slices.SortFunc(wantItems, func(x, y store.TriageItem) int { return strings.Compare(x.SHA256, y.SHA256) })
	if !reflect.DeepEqual(items, wantItems) {
		t.Fatalf("triage items:\n got %+v\nwant %+v", items, wantItems)
	}
	// A clustering replaces the last one whole.
	if err := tr.SetClusters(ctx, []store.ClusterAssignment{{SHA256: b, Cluster: "c-z", Family: "gafgyt"}}); err != nil {
		t.Fatal(err)
	}
	got = must(tr.Triage(ctx, []string{a, b}))(t)
	if got[a].Cluster != "" || got[a].ClusterFamily != "" || got[b].Cluster != "c-z" || got[b].ClusterFamily != "gafgyt" {
		t.Errorf("second clustering: %+v", got)
	}
	if err := tr.SetClusters(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if got := must(tr.Triage(ctx, []string{b}))(t); got[b].Cluster != "" {
		t.Errorf("cluster kept after an empty clustering: %+v", got[b])
	}
	for name, bad := range map[string]func() error{
		"a triage of a bad digest": func() error { return tr.PutTriage(ctx, []store.TriageRecord{{SHA256: "x"}}) },
		"an oversized triage": func() error {
			return tr.PutTriage(ctx, []store.TriageRecord{{SHA256: c, Result: make([]byte, 4<<20+1)}})
		},
		"a cluster of a bad digest": func() error { return tr.SetClusters(ctx, []store.ClusterAssignment{{SHA256: strings.ToUpper(a)}}) },
	} {
		if bad() == nil {
			t.Errorf("%s was accepted", name)
		}
	}
	if got := must(tr.Triage(ctx, []string{c}))(t); len(got) != 0 {
		t.Errorf("a refused triage was stored: %+v", got)
	}
}
