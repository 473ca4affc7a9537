package contract

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/honeyscope/honeyscope/internal/store"
)

// Sandbox checks st's sandbox runs: ids are handed out increasing, runs
// list most recent first (the later id first on a tie), by digest prefix
// in any case and at most Limit (the sandbox queue's "did this sample
// run?" is Limit 1 of its digest), without indicators; one run reads back
// whole with its indicators by kind, count (most first) and value.
func Sandbox(t *testing.T, st store.Store) {
	ctx := context.Background()
	sb := must(store.SandboxOf(st))(t)
	shaA := "AB" + strings.Repeat("0", 58) + "ffff"
	shaB := "cd" + strings.Repeat("0", 58) + "ffff"
	inds := []store.SandboxIndicator{
		{Kind: store.IndicatorDomain, Value: "c2.example", Count: 3},
		{Kind: store.IndicatorScanned, Value: "23", Count: 200},
		{Kind: store.IndicatorScanned, Value: "2323", Count: 20},
	}
	for i := range 600 {
		inds = append(inds, store.SandboxIndicator{Kind: store.IndicatorSourcePort, Value: string(rune('a'+i%26)) + "x", Count: int64(i)})
	}
	ra := store.SandboxRun{SHA256: shaA, Arch: "arm", Started: mt0.Add(123456789), Duration: 61500 * time.Millisecond,
		Exit: -1, TimedOut: true, Packets: 42, Sensor: "sandbox", Notes: []string{"one", "two"}, Indicators: inds}
	a := must(sb.AddSandboxRun(ctx, ra))(t)
	b := must(sb.AddSandboxRun(ctx, store.SandboxRun{SHA256: shaB, Arch: "mips", Started: mt0.Add(time.Hour), Exit: 3}))(t)
	c := must(sb.AddSandboxRun(ctx, store.SandboxRun{SHA256: shaB, Arch: "mips", Started: mt0.Add(time.Hour), Exit: 4}))(t)
	if a.ID <= 0 || b.ID <= a.ID || c.ID <= b.ID {
		t.Fatalf("ids %d, %d, %d: want increasing from 1", a.ID, b.ID, c.ID)
	}
	ids := func(rs []store.SandboxRun) []int64 {
		var out []int64
		for _, r := range rs {
			out = append(out, r.ID)
		}
		return out
	}
	for _, q := range []struct {
		q    store.SandboxRunQuery
		want []int64
	}{
		{store.SandboxRunQuery{}, []int64{c.ID, b.ID, a.ID}},
		{store.SandboxRunQuery{Limit: 2}, []int64{c.ID, b.ID}},
		{store.SandboxRunQuery{SHA256: "Ab"}, []int64{a.ID}},
		{store.SandboxRunQuery{SHA256: strings.ToLower(shaA), Limit: 1}, []int64{a.ID}},
		{store.SandboxRunQuery{SHA256: shaB, Limit: 1}, []int64{c.ID}},
		{store.SandboxRunQuery{SHA256: "ee"}, nil},
	} {
		got, err := sb.SandboxRuns(ctx, q.q)
		if err != nil || !reflect.DeepEqual(ids(got), q.want) {
			t.Errorf("runs %+v: %v (%v), want %v", q.q, ids(got), err, q.want)
		}
	}
	all := must(sb.SandboxRuns(ctx, store.SandboxRunQuery{}))(t)
	listed := ra
	listed.ID, listed.SHA256, listed.Started, listed.Indicators = a.ID, strings.ToLower(shaA), mt0.Add(123456*time.Microsecond), nil
	wantB := store.SandboxRun{ID: b.ID, SHA256: shaB, Arch: "mips", Started: mt0.Add(time.Hour), Exit: 3}
	if len(all) != 3 || !reflect.DeepEqual(all[2], listed) || !reflect.DeepEqual(all[1], wantB) {
		t.Fatalf("runs listed:\n got %+v\nwant %+v and %+v", all, wantB, listed)
	}
	got := must(sb.SandboxRun(ctx, a.ID))(t)
	whole := listed
	whole.Indicators = got.Indicators
	if !reflect.DeepEqual(got, whole) {
		t.Errorf("run read back:\n got %+v\nwant %+v", got, whole)
	}
	if len(got.Indicators) != len(inds) {
		t.Fatalf("%d indicators, want %d", len(got.Indicators), len(inds))
	}
	if !reflect.DeepEqual(got.Indicators[:3], inds[:3]) || got.Indicators[3] != inds[len(inds)-1] || got.Indicators[len(inds)-1] != inds[3] {
		t.Errorf("indicators start %+v, go on %+v and end %+v", got.Indicators[:3], got.Indicators[3], got.Indicators[len(inds)-1])
	}
	if r := must(sb.SandboxRun(ctx, b.ID))(t); !reflect.DeepEqual(r, wantB) {
		t.Errorf("run without indicators: %+v, want %+v", r, wantB)
	}
	if _, err := sb.SandboxRun(ctx, c.ID+100); !errors.Is(err, store.ErrNoRun) {
		t.Errorf("missing run: %v, want ErrNoRun", err)
	}
	for _, q := range []store.SandboxRunQuery{{SHA256: "x' OR 1=1"}, {SHA256: strings.Repeat("a", 65)}, {Limit: 10001}} {
		if _, err := sb.SandboxRuns(ctx, q); err == nil {
			t.Errorf("runs %+v accepted", q)
		}
	}
	if _, err := sb.AddSandboxRun(ctx, store.SandboxRun{Arch: "arm"}); err == nil {
		t.Error("a run without a digest was accepted")
	}
	if n := len(must(sb.SandboxRuns(ctx, store.SandboxRunQuery{}))(t)); n != 3 {
		t.Errorf("%d runs after a refused one, want 3", n)
	}
}

// CompareRunSrcPorts records a sandbox run over the time of the first
// capture of sensor in each store and one over no capture, and compares
// the source-port histograms of each run's capture (when both stores keep
// runs and histograms): those of the first are not empty, those of the
// second are.
func CompareRunSrcPorts(t *testing.T, ref, got store.Store, sensor string) {
	t.Helper()
	ctx := context.Background()
	var runs [2][2]int64
	for i, st := range []store.Store{ref, got} {
		sb, err := store.SandboxOf(st)
		if err != nil {
			t.Logf("source ports of runs: %v", err)
			return
		}
		caps := must(st.Captures(ctx, []string{sensor}))(t)
		if len(caps) == 0 {
			t.Fatalf("%T: no captures of %s", st, sensor)
		}
		c := caps[0]
		r := must(sb.AddSandboxRun(ctx, store.SandboxRun{SHA256: strings.Repeat("5a", 32), Arch: "arm", Started: c.First,
			Duration: c.Last.Sub(c.First), Sensor: sensor}))(t)
		off := must(sb.AddSandboxRun(ctx, store.SandboxRun{SHA256: strings.Repeat("5b", 32), Arch: "arm", Started: c.First.Add(-time.Hour),
			Duration: time.Minute, Sensor: sensor}))(t)
		runs[i] = [2]int64{r.ID, off.ID}
	}
	a, errA := store.SrcPortsOf(ref)
	b, errB := store.SrcPortsOf(got)
	if errA != nil || errB != nil {
		t.Logf("source ports: not kept by both stores (%v / %v)", errA, errB)
		return
	}
	for k, q := range []store.SrcPortQuery{{}, {Limit: 5}, {Sensors: []string{sensor}}} {
		for j := range 2 {
			qa, qb := q, q
			qa.Run, qb.Run = runs[0][j], runs[1][j]
			oa, ca, errA := a.SrcPortObs(ctx, qa)
			ob, cb, errB := b.SrcPortObs(ctx, qb)
			what := fmt.Sprintf("SrcPortObs %d of run %d", k, j)
			if errA != nil || errB != nil {
				t.Errorf("%s: errors %v / %v", what, errA, errB)
			} else if !reflect.DeepEqual(oa, ob) || ca != cb {
				t.Errorf("%s differs: %d rows / %d rows%s", what, len(oa), len(ob), firstDiff(oa, ob))
			} else if (len(oa) == 0) != (j == 1) {
				t.Errorf("%s: %d rows", what, len(oa))
			}
		}
	}
	// A run the store does not hold has no capture.
	if o, _, err := b.SrcPortObs(ctx, store.SrcPortQuery{Run: runs[1][1] + 1000}); err != nil || len(o) != 0 {
		t.Errorf("source ports of a missing run: %d rows (%v)", len(o), err)
	}
}
