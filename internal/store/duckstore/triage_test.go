package duckstore

import (
	"context"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/honeyscope/honeyscope/internal/session"
	"github.com/honeyscope/honeyscope/internal/store"
	"github.com/honeyscope/honeyscope/internal/store/storetest"
)

func TestAddSamples(t *testing.T) {
	ctx := context.Background()
	st := openSessions(t)
	elf := storetest.ELF("added")
	sha := storetest.SHA256(elf)
	t1 := t0.Add(time.Hour)
	add := store.SampleAdd{SHA256: sha, Size: int64(len(elf)), Type: "elf32-arm-le", Time: t1, Name: "x.zip:bins/x.arm"}
	n, err := st.AddSamples(ctx, []store.SampleAdd{add})
	if err != nil || n != 1 {
		t.Fatalf("%d %v", n, err)
	}
	// Again, later: not new; last seen moves on.
	add.Time = t1.Add(24 * time.Hour)
	if n, err := st.AddSamples(ctx, []store.SampleAdd{add}); err != nil || n != 0 {
		t.Fatalf("again: %d %v", n, err)
	}
	got, err := st.Samples(ctx, store.SampleQuery{})
	if err != nil {
		t.Fatal(err)
	}
	want := session.Sample{SHA256: sha, Size: int64(len(elf)), Type: "elf32-arm-le", First: t1, Last: add.Time, Via: "added"}
	if len(got) != 1 || !reflect.DeepEqual(got[0], want) {
		t.Fatalf("%+v, want %+v", got, want)
	}
	if c := count(t, st, `SELECT times FROM sample_adds`); c != 2 {
		t.Errorf("times %d", c)
	}
	// The honeypot then sees it: the sessions' story wins; when no session
	// has it any longer, the added row comes back.
	s := storetest.Telnet("h1", "hp1", srcA, t0, elf, "sh")
	if err := st.CommitSessions(ctx, store.SessionBatch{ID: "b1", Sessions: []session.Session{s}}); err != nil {
		t.Fatal(err)
	}
	got, _ = st.Samples(ctx, store.SampleQuery{})
	if len(got) != 1 || got[0].Via != "download" || got[0].Count != 1 {
		t.Fatalf("after the honeypot: %+v", got)
	}
	s.Files = nil
	if err := st.CommitSessions(ctx, store.SessionBatch{ID: "b2", Sessions: []session.Session{s}}); err != nil {
		t.Fatal(err)
	}
	got, _ = st.Samples(ctx, store.SampleQuery{})
	if len(got) != 1 || got[0].Via != "added" || !got[0].First.Equal(t1) {
		t.Fatalf("after the session lost it: %+v", got)
	}
	if _, err := st.AddSamples(ctx, []store.SampleAdd{{SHA256: "../../etc/passwd"}}); err == nil {
		t.Error("a bad digest was accepted")
	}
}

func TestTriageRecords(t *testing.T) {
	ctx := context.Background()
	st := openSessions(t)
	var shas []string
	for _, name := range []string{"a", "b", "c"} {
		elf := storetest.ELF(name)
		sha := storetest.SHA256(elf)
		shas = append(shas, sha)
		if _, err := st.AddSamples(ctx, []store.SampleAdd{{SHA256: sha, Size: int64(len(elf)), Type: "elf32-arm-le", Time: t0}}); err != nil {
			t.Fatal(err)
		}
	}
	slices.Sort(shas)
	un, err := st.Untriaged(ctx, 1, 0)
	if err != nil || !slices.Equal(un, shas) {
		t.Fatalf("untriaged %v %v", un, err)
	}
	rec := store.TriageRecord{SHA256: shas[0], Version: 1, Time: t0, Arch: "arm", Family: "mirai", TLSH: "T1AB", Telfhash: "t1cd", Packed: true,
		Result: []byte(`{"version":1}`)}
	old := store.TriageRecord{SHA256: shas[1], Version: 0, Time: t0, Arch: "mipsel"}
	if err := st.PutTriage(ctx, []store.TriageRecord{rec, old}); err != nil {
		t.Fatal(err)
	}
	un, _ = st.Untriaged(ctx, 1, 0)
	if !slices.Equal(un, shas[1:]) {
		t.Errorf("untriaged after put: %v", un)
	}
	if un, _ := st.Untriaged(ctx, 1, 1); len(un) != 1 {
		t.Errorf("limit: %v", un)
	}
	if err := st.SetClusters(ctx, []store.ClusterAssignment{{SHA256: shas[0], Cluster: "c-x", Family: "mirai"}}); err != nil {
		t.Fatal(err)
	}
	got, err := st.Triage(ctx, shas)
	if err != nil {
		t.Fatal(err)
	}
	rec.Cluster, rec.ClusterFamily = "c-x", "mirai"
	if len(got) != 2 || !reflect.DeepEqual(got[shas[0]], rec) || got[shas[1]].Arch != "mipsel" {
		t.Errorf("%+v", got)
	}
	items, err := st.TriageItems(ctx)
	if err != nil || len(items) != 2 || items[0].SHA256 != shas[0] || items[0].Family != "mirai" || !items[0].First.Equal(t0) {
		t.Errorf("items %+v %v", items, err)
	}
	// Replacing clusters drops the old ones.
	if err := st.SetClusters(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if got, _ := st.Triage(ctx, shas[:1]); got[shas[0]].Cluster != "" {
		t.Errorf("cluster kept: %+v", got)
	}
	// Read-only stores refuse writes.
	path := st.Path()
	st.Close()
	ro, err := Open(ctx, path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if err := ro.PutTriage(ctx, []store.TriageRecord{rec}); err == nil {
		t.Error("read-only store wrote")
	}
}
