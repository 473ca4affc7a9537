package main

import (
	"context"
	"github.com/honeyscope/honeyscope/internal/store/duckstore"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/honeyscope/honeyscope/internal/store"
)

// TestMain lets tests run the real program in a child process (to kill it).
func TestMain(m *testing.M) {
	if os.Getenv("HONEYSCOPE_TEST_MAIN") == "1" {
		main()
		os.Exit(0)
	}
	if db := os.Getenv("HONEYSCOPE_TEST_OWNER"); db != "" {
		os.Exit(testOwnerMain(db, os.Getenv("HONEYSCOPE_TEST_OWNER_KILL")))
	}
	code := m.Run()
	removeBinary()
	os.Exit(code)
}

// TestKillMidIngest kills ingest with SIGKILL at several points and checks
// the store holds either nothing or the whole file, never part of it, and
// that a later ingest completes.
func TestKillMidIngest(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	t.Run("whole", func(t *testing.T) { testKillMidIngest(t, nil) })
	// Written in parts within one transaction: still all or nothing.
	t.Run("parts", func(t *testing.T) { testKillMidIngest(t, []string{"--part-sources", "2000"}) })
}

func testKillMidIngest(t *testing.T, extra []string) {
	dir := t.TempDir()
	capPath := filepath.Join(dir, "big.pcap")
	const packets = 400000
	if _, err := run(t, "synth", "--out", capPath, "--packets", "400000", "--days", "3"); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(dir, "s.duckdb")
	total := func() (uint64, int) {
		st, err := duckstore.Open(context.Background(), db, duckstore.Options{ReadOnly: true})
		if err != nil {
			return 0, -1
		}
		defer st.Close()
		rows, err := st.Stats(context.Background(), store.StatsQuery{})
		if err != nil {
			t.Fatal(err)
		}
		var n int
		st.DB().QueryRow(`SELECT count(*) FROM ingests`).Scan(&n)
		if len(rows) == 0 {
			return 0, n
		}
		return rows[0].Packets, n
	}
	sawEmpty, sawFull := false, false
	for _, delay := range []time.Duration{50, 150, 300, 500, 700, 900, 1200, 1600} {
		os.Remove(db)
		os.Remove(db + ".wal")
		cmd := exec.Command(os.Args[0], append(append([]string{"ingest", "-q", "--db", db}, extra...), capPath)...)
		cmd.Env = append(os.Environ(), "HONEYSCOPE_TEST_MAIN=1")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(delay * time.Millisecond)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		n, logs := total()
		switch {
		case n == 0 && logs <= 0:
			sawEmpty = true
		case n == packets && logs == 1:
			sawFull = true
		default:
			t.Fatalf("killed after %dms: store holds %d packets and %d ingest rows; want 0/0 or %d/1", delay, n, logs, packets)
		}
	}
	t.Logf("saw empty store: %v, complete store: %v", sawEmpty, sawFull)
	// After a crash the next run ingests the file normally.
	os.Remove(db)
	os.Remove(db + ".wal")
	cmd := exec.Command(os.Args[0], "ingest", "-q", "--db", db, capPath)
	cmd.Env = append(os.Environ(), "HONEYSCOPE_TEST_MAIN=1")
	cmd.Start()
	time.Sleep(300 * time.Millisecond)
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	if out, err := run(t, "ingest", "-q", "--db", db, capPath); err != nil {
		t.Fatalf("ingest after crash: %v\n%s", err, out)
	}
	if n, logs := total(); n != packets || logs != 1 {
		t.Fatalf("after recovery: %d packets, %d ingests", n, logs)
	}
}
