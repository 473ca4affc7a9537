package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestIngestCowrieLog: a real Cowrie log ingests into the store's session
// tables: its sessions list with `sessions`, its intrusions count in
// `stats`, and ingesting it again is a duplicate.
func TestIngestCowrieLog(t *testing.T) {
	log := "../../../shared/data/logs/cowrie-kareiva/cowrie.json.2018-06-12"
	if _, err := os.Stat(log); err != nil {
		t.Skip("shared data absent")
	}
	db := filepath.Join(t.TempDir(), "c.duckdb")
	if _, err := run(t, "ingest", "-q", "--db", db, "--sensor", "kareiva", log); err != nil {
		t.Fatal(err)
	}
	out, err := run(t, "sessions", "--db", db, "--from", "2018-06-01", "--to", "2018-06-30", "--format", "json", "--limit", "10000")
	if err != nil {
		t.Fatal(err)
	}
	var ss []struct {
		Sensor   string
		LoggedIn bool
		Commands []json.RawMessage
	}
	if err := json.Unmarshal([]byte(out), &ss); err != nil {
		t.Fatalf("%v\n%.500s", err, out)
	}
	// Counted from the log itself by internal/cowrie's tests: 408
	// sessions, 27 with a successful login, 8 of them intrusions.
	logged, intr := 0, 0
	for _, s := range ss {
		if s.Sensor != "kareiva" {
			t.Fatalf("session of sensor %q", s.Sensor)
		}
		if s.LoggedIn {
			logged++
			if len(s.Commands) > 0 {
				intr++
			}
		}
	}
	if len(ss) != 408 || logged != 27 || intr != 8 {
		t.Errorf("%d sessions, %d logged in, %d intrusions; want 408, 27, 8", len(ss), logged, intr)
	}
	out, err = run(t, "stats", "--db", db, "--class", "intrusion", "--format", "json")
	if err != nil {
		t.Fatal(err)
	}
	var rows []struct{ Packets uint64 }
	if err := json.Unmarshal([]byte(out), &rows); err != nil || len(rows) != 1 || rows[0].Packets != 8 {
		t.Errorf("intrusion stats (want 8 sessions): %v\n%s", err, out)
	}
	out, err = run(t, "ingest", "--db", db, "--sensor", "kareiva", log)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "already") && !strings.Contains(out, "skipped") {
		t.Errorf("second ingest not a duplicate:\n%s", out)
	}
}
