package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/honeyscope/honeyscope/internal/store"
	"github.com/honeyscope/honeyscope/internal/store/duckstore"
	"github.com/honeyscope/honeyscope/internal/store/remote"
)

// TestSamplesThroughOwner: while an owner holds the store, `samples add`,
// `samples families` and `sandbox list|show` go through its socket and
// their writes are the owner's store's.
func TestSamplesThroughOwner(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db := filepath.Join(dir, "s.duckdb")
	st, err := duckstore.Open(ctx, db, duckstore.Options{TimeZone: "UTC"})
	if err != nil {
		t.Fatal(err)
	}
	srv := remote.NewServer(st, nil)
	if err := srv.Start(ctx); err != nil {
		st.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		srv.Stop(context.Background())
		st.Close()
	})
	in := filepath.Join(dir, "a.arm")
	os.WriteFile(in, miraiLikeELF(3), 0o600)
	out, errOut, err := runSplit(t, "samples", "add", "--db", db, "--format", "json", in)
	if err != nil {
		t.Fatalf("add through the owner: %v\n%s\n%s", err, out, errOut)
	}
	var rows []addedRow
	if err := json.Unmarshal([]byte(out), &rows); err != nil || len(rows) != 1 || !rows[0].New || rows[0].Family != "mirai" {
		t.Fatalf("%v %+v\n%s", err, rows, out)
	}
	sha := rows[0].SHA256
	tr, err := st.Triage(ctx, []string{sha})
	if err != nil || tr[sha].Arch != "arm" || tr[sha].Family != "mirai" {
		t.Fatalf("triage in the owner's store: %+v %v", tr, err)
	}
	out, _, err = runSplit(t, "samples", "families", "--db", db, "--format", "json")
	if err != nil || !strings.Contains(out, "mirai") {
		t.Errorf("families: %v\n%s", err, out)
	}
	r, err := st.AddSandboxRun(ctx, store.SandboxRun{SHA256: sha, Arch: "arm", Started: time.Now(), Duration: time.Second,
		Indicators: []store.SandboxIndicator{{Kind: store.IndicatorDomain, Value: "cnc.fixture.example", Count: 2}}})
	if err != nil {
		t.Fatal(err)
	}
	out, _, err = runSplit(t, "sandbox", "list", "--db", db, "--format", "json")
	if err != nil || !strings.Contains(out, sha) {
		t.Errorf("sandbox list: %v\n%s", err, out)
	}
	out, _, err = runSplit(t, "sandbox", "show", "--db", db, "--format", "json", "1")
	if err != nil || r.ID != 1 || !strings.Contains(out, "cnc.fixture.example") {
		t.Errorf("sandbox show: %v\n%s", err, out)
	}
}
