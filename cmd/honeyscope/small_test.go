package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/honeyscope/honeyscope/internal/store/duckstore"
)

// TestZoneAliasAndDates: --tz JST makes an Asia/Tokyo store, an offset is
// refused with the zone to use, and a day that does not exist is named.
func TestZoneAliasAndDates(t *testing.T) {
	dir := t.TempDir()
	capPath := filepath.Join(dir, "c.pcap")
	if _, err := run(t, "synth", "--out", capPath, "--packets", "2000", "--days", "1"); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(dir, "s.duckdb")
	if _, err := run(t, "ingest", "-q", "--db", db, "--tz", "+09:00", capPath); err == nil || !strings.Contains(err.Error(), "Asia/Tokyo") {
		t.Errorf("--tz +09:00: %v", err)
	}
	if out, err := run(t, "ingest", "-q", "--db", db, "--tz", "JST", capPath); err != nil {
		t.Fatalf("--tz JST: %v\n%s", err, out)
	}
	st, err := duckstore.Open(context.Background(), db, duckstore.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if tz := st.TimeZone(); tz != "Asia/Tokyo" {
		t.Errorf("store zone %q, want Asia/Tokyo", tz)
	}
	st.Close()
	for _, cmd := range []string{"stats", "spikes"} {
		if _, err := run(t, cmd, "--db", db, "--from", "2026-02-30"); err == nil || !strings.Contains(err.Error(), "does not exist") {
			t.Errorf("%s --from 2026-02-30: %v", cmd, err)
		}
	}
	if _, err := run(t, "ingest", "-q", "--db", filepath.Join(dir, "missing", "s.duckdb"), capPath); err == nil ||
		!strings.Contains(err.Error(), "does not exist") || strings.Contains(err.Error(), "IO Error") {
		t.Errorf("store in a missing directory: %v", err)
	}
}

func TestDemoSaysWhereItLeftItsCapture(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "demo")
	out, err := run(t, "demo", "--no-serve", "--dir", dir, "--packets", "20000", "--days", "8", "--sessions", "5")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	want := "left its captures in " + filepath.Join(dir, "radiation.pcap") + " ("
	if !strings.Contains(out, want) || !strings.Contains(out, "rm -r "+dir) {
		t.Errorf("demo output lacks %q and the way to remove it:\n%s", want, out)
	}
	if _, err := os.Stat(filepath.Join(dir, "report", "index.html")); err != nil {
		t.Errorf("--no-serve wrote no report: %v", err)
	}
	// The ingest log names both built-in databases (the report's method
	// section reads them).
	st, err := duckstore.Open(context.Background(), filepath.Join(dir, "honeyscope.duckdb"), duckstore.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	dbs, err := st.GeoDatabases(context.Background(), nil)
	if err != nil || len(dbs) != 1 || !strings.HasPrefix(dbs[0].CountryDB, "builtin country (") || !strings.HasPrefix(dbs[0].ASNDB, "builtin asn (ip-location-db-asn") {
		t.Errorf("geo databases recorded: %+v, %v", dbs, err)
	}
	if got := humanBytes(190_400_000); got != "190 MB" {
		t.Errorf("humanBytes = %q", got)
	}
}
