package main

import (
	"context"
	"io"
	"log/slog"
	"net/netip"
	"path/filepath"
	"testing"
	"time"

	"github.com/honeyscope/honeyscope/internal/samplestore"
	"github.com/honeyscope/honeyscope/internal/session"
	"github.com/honeyscope/honeyscope/internal/store"
	"github.com/honeyscope/honeyscope/internal/store/duckstore"
	"github.com/honeyscope/honeyscope/internal/store/storetest"
	"github.com/honeyscope/honeyscope/internal/storecache"
)

// TestServeTriagesHoneypotSamples: a sample the honeypot commits is
// triaged in the background, through the cache serve puts in front.
func TestServeTriagesHoneypotSamples(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := duckstore.Open(ctx, filepath.Join(dir, "s.duckdb"), duckstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	samples, err := samplestore.Open(filepath.Join(dir, "samples"), samplestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	elf := miraiLikeELF(9)
	sha, err := samples.Put(elf)
	if err != nil {
		t.Fatal(err)
	}
	cst := storecache.New(st, storecache.Options{}).Direct()
	wrapped, stop := startTriager(cst, samples, slog.New(slog.NewTextHandler(io.Discard, nil)))
	defer stop()
	if wrapped == store.Store(cst) {
		t.Fatal("the store was not wrapped")
	}
	s := storetest.Telnet("s1", "hp1", netip.MustParseAddr("198.51.100.7"), time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC), elf, "sh")
	if err := wrapped.CommitSessions(ctx, store.SessionBatch{ID: "b1", Sessions: []session.Session{s}}); err != nil {
		t.Fatal(err)
	}
	// Wait for the background pass (not a timing assertion: the deadline
	// only stops a broken test).
	deadline := time.Now().Add(2 * time.Minute)
	for {
		got, err := st.Triage(ctx, []string{sha})
		if err != nil {
			t.Fatal(err)
		}
		// The pass stores the triage first and clusters after it: wait
		// for both.
		if r, ok := got[sha]; ok && r.Cluster != "" {
			if r.Arch != "arm" || r.Family != "mirai" {
				t.Errorf("%+v", r)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the sample was never triaged and clustered")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
