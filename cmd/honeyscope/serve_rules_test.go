package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	svcconfig "github.com/honeyscope/honeyscope/internal/config"
	"github.com/honeyscope/honeyscope/internal/store"
)

// TestCaptureRulesStoredAdHoc: serve's rules are stored as an ad-hoc rule
// set whose id live capture records, once per content; without rules
// capture uses the built-in rules and no set.
func TestCaptureRulesStoredAdHoc(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "s.duckdb")
	f := filepath.Join(dir, "a.rules")
	os.WriteFile(f, []byte("alert tcp any any -> any any (msg:\"one\"; content:\"zzqq\"; classtype:misc-attack; sid:7000001; rev:1;)\n"), 0o644)
	ctx := context.Background()
	st, err := openStore(ctx, db, true)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	m, id, err := captureRules(ctx, &svcconfig.File{Rules: []string{f}}, st, io.Discard)
	if err != nil || m == nil || id == 0 {
		t.Fatalf("captureRules: %v, matcher %v, rule set %d", err, m, id)
	}
	r, err := store.RuleSetsOf(st)
	if err != nil {
		t.Fatal(err)
	}
	rs, err := r.RuleSet(ctx, "#1")
	if err != nil || rs.ID != id || !rs.AdHoc || len(rs.Files) != 1 || len(rs.Rules) != 1 || rs.Rules[0].SID != 7000001 {
		t.Fatalf("stored set: %v %+v", err, rs)
	}
	if _, id2, err := captureRules(ctx, &svcconfig.File{Rules: []string{f}}, st, io.Discard); err != nil || id2 != id {
		t.Errorf("same files again: rule set %d (%v), want %d", id2, err, id)
	}
	if sets, _ := r.RuleSets(ctx); len(sets) != 1 {
		t.Errorf("%d rule sets stored, want 1", len(sets))
	}
	if m, id, err := captureRules(ctx, &svcconfig.File{}, st, io.Discard); err != nil || m == nil || id != 0 {
		t.Errorf("no rules: %v, rule set %d", err, id)
	}
}
