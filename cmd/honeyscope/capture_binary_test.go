package main

import (
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestCaptureKill9: `serve --interface lo` counts connection attempts to
// 127.0.0.2 live, each interval committed; after a kill -9 the store
// opens directly with every interval committed before it, and serve
// starts again on it. Needs root (AF_PACKET).
func TestCaptureKill9(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("AF_PACKET capture needs root")
	}
	binary(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "live.duckdb")
	port := freePort(t)
	srv := startHoneypotServe(t, db, port, "--interface", "lo", "--sensor", "lo-test", "--sensor-net", "127.0.0.2/32", "--commit-interval", "1s")

	const attempts = 20
	for i := 0; i < attempts; i++ {
		// Nothing listens on 127.0.0.2:23 (a refused connect sends one SYN).
		if c, err := net.DialTimeout("tcp", "127.0.0.2:23", time.Second); err == nil {
			c.Close()
		}
	}
	count := func() (uint64, bool) {
		out, _, code := hs(t, "stats", "--db", db, "--sensor", "lo-test", "--format", "json")
		var rows []struct{ Packets uint64 }
		if code != 0 || json.Unmarshal([]byte(out), &rows) != nil || len(rows) != 1 {
			return 0, false
		}
		return rows[0].Packets, true
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		if n, ok := count(); ok && n >= attempts {
			break
		}
		if time.Now().After(deadline) {
			n, _ := count()
			t.Fatalf("the store counted %d of %d SYNs through serve", n, attempts)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if err := srv.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	srv.Wait()
	n, ok := count()
	if !ok || n != attempts {
		t.Errorf("after kill -9 the store holds %d packets of lo-test (ok %v), want %d", n, ok, attempts)
	}
	out, errOut, code := hs(t, "stats", "--db", db, "--sensor", "lo-test", "--by", "port", "--format", "json")
	if code != 0 {
		t.Fatal(errOut)
	}
	if !json.Valid([]byte(out)) || !strings.Contains(out, `"port": 23`) {
		t.Errorf("stats by port after kill -9:\n%s", out)
	}
	startHoneypotServe(t, db, freePort(t))
}
