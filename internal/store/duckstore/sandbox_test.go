package duckstore

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/honeyscope/honeyscope/internal/store"
)

// TestSandboxRuns stores runs in a store upgraded from schema 2 and in a
// new one: they list most recent first, by digest prefix, and one shows
// with its indicators as stored.
func TestSandboxRuns(t *testing.T) {
	ctx := context.Background()
	for name, path := range map[string]string{"upgraded": schema2Store(t), "new": filepath.Join(t.TempDir(), "n.duckdb")} {
		st, err := Open(ctx, path, Options{})
		if err != nil {
			t.Fatal(err)
		}
		t0 := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
		inds := []store.SandboxIndicator{
			{Kind: store.IndicatorDomain, Value: "c2.example", Count: 3},
			{Kind: store.IndicatorScanned, Value: "23", Count: 200},
			{Kind: store.IndicatorScanned, Value: "2323", Count: 20},
		}
		for i := range 600 { // more than one insert statement's worth
			inds = append(inds, store.SandboxIndicator{Kind: store.IndicatorSourcePort, Value: string(rune('a'+i%26)) + "x", Count: int64(i)})
		}
		a, err := st.AddSandboxRun(ctx, store.SandboxRun{SHA256: "AB" + sha[2:], Arch: "arm", Started: t0, Duration: 61500 * time.Millisecond,
			Exit: -1, TimedOut: true, Packets: 42, Sensor: "sandbox", Notes: []string{"one", "two"}, Indicators: inds})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		b, err := st.AddSandboxRun(ctx, store.SandboxRun{SHA256: "cd" + sha[2:], Arch: "mips", Started: t0.Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		if a.ID == b.ID || a.ID == 0 {
			t.Errorf("%s: ids %d, %d", name, a.ID, b.ID)
		}
		all, err := st.SandboxRuns(ctx, store.SandboxRunQuery{})
		if err != nil || len(all) != 2 || all[0].ID != b.ID || all[1].ID != a.ID {
			t.Errorf("%s: runs %+v (%v): want the second first", name, all, err)
		}
		ab, err := st.SandboxRuns(ctx, store.SandboxRunQuery{SHA256: "Ab"})
		if err != nil || len(ab) != 1 || ab[0].ID != a.ID || ab[0].SHA256 != "ab"+sha[2:] {
			t.Errorf("%s: runs of ab...: %+v (%v)", name, ab, err)
		}
		if _, err := st.SandboxRuns(ctx, store.SandboxRunQuery{SHA256: "x' OR 1=1"}); err == nil {
			t.Errorf("%s: a digest prefix that is not hex accepted", name)
		}
		got, err := st.SandboxRun(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Arch != "arm" || !got.Started.Equal(t0) || got.Duration != 61500*time.Millisecond || got.Exit != -1 || !got.TimedOut ||
			got.Packets != 42 || got.Sensor != "sandbox" || !reflect.DeepEqual(got.Notes, []string{"one", "two"}) {
			t.Errorf("%s: run %+v", name, got)
		}
		if len(got.Indicators) != len(inds) {
			t.Fatalf("%s: %d indicators, want %d", name, len(got.Indicators), len(inds))
		}
		// By kind (domain, scanned, source_port), then count, most first.
		if !reflect.DeepEqual(got.Indicators[:3], inds[:3]) || got.Indicators[3] != inds[len(inds)-1] || got.Indicators[len(inds)-1] != inds[3] {
			t.Errorf("%s: indicators start %+v, go on %+v and end %+v", name, got.Indicators[:3], got.Indicators[3], got.Indicators[len(inds)-1])
		}
		if _, err := st.SandboxRun(ctx, 999); !errors.Is(err, store.ErrNoRun) {
			t.Errorf("%s: missing run: %v", name, err)
		}
		st.Close()
	}
}

const sha = "ab0000000000000000000000000000000000000000000000000000000000ffff"
