package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/honeyscope/honeyscope/internal/store/remote"
	"github.com/honeyscope/honeyscope/internal/synth"
)

// These tests run `honeyscope serve` itself, the binary as a user starts
// it, and the other commands against it.

// startServe starts `honeyscope serve` on db and waits until it serves.
func startServe(t *testing.T, db string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(binary(t), "serve", "--db", db, "--listen", "127.0.0.1:0", "--shutdown-timeout", "20s")
	cmd.Env = append(os.Environ(), "HONEYSCOPE_DB=", "HOME="+t.TempDir())
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan struct{})
	var once sync.Once
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if strings.Contains(sc.Text(), "msg=serving") {
				once.Do(func() { close(ready) })
			}
		}
		io.Copy(io.Discard, stderr)
	}()
	select {
	case <-ready:
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		t.Fatal("serve did not start")
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	})
	return cmd
}

// TestServeBinary: with `honeyscope serve` running, two ingests at once
// and stats polled during them go through it, each file whole or not at
// all; after SIGTERM the file opens directly with the same counts.
func TestServeBinary(t *testing.T) {
	binary(t)
	dir := t.TempDir()
	a := filepath.Join(dir, "a-20260501.pcap")
	b := filepath.Join(dir, "b-20260501.pcap")
	ta := synthFile(t, a, 60000, 3, 5)
	tb := synthFile(t, b, 40000, 3, 6)
	db := filepath.Join(dir, "s.duckdb")
	srv := startServe(t, db)

	var wg sync.WaitGroup
	errs := make([]string, 2)
	for i, f := range []string{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, e, code := hs(t, "ingest", "-q", "--part-sources", "3000", "--db", db, "--sensor", fmt.Sprint("s", i), "--sensor-net", sensorNets, f)
			if code != 0 {
				errs[i] = fmt.Sprintf("ingest %s: exit %d\n%s%s", f, code, out, e)
			}
		}()
	}
	// Stats during the ingests: every answer is made of whole files.
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	pa, pb := accessPackets(ta), accessPackets(tb)
	seen := 0
	for polling := true; polling; {
		select {
		case <-done:
			polling = false
		default:
		}
		got := dayClass(t, db)
		var packets uint64
		for k, v := range got {
			if strings.HasSuffix(k, "/access") {
				packets += v[0]
			}
		}
		whole := map[uint64]bool{0: true, pa: true, pb: true, pa + pb: true}
		if !whole[packets] {
			t.Errorf("stats during the ingests saw %d packets: not a sum of whole files (%d, %d)", packets, pa, pb)
		}
		seen++
	}
	for _, e := range errs {
		if e != "" {
			t.Fatal(e)
		}
	}
	if !locked(t, db) {
		t.Fatal("the store is not held by serve: the commands did not go through it")
	}
	checkTruth(t, db, ta, tb)
	t.Logf("%d stats answers during the ingests", seen)

	srv.Process.Signal(syscall.SIGTERM)
	if err := srv.Wait(); err != nil {
		t.Fatalf("serve after SIGTERM: %v", err)
	}
	if _, err := os.Stat(remote.SocketPath(db)); err == nil {
		t.Error("serve left its socket behind after a clean stop")
	}
	checkTruth(t, db, ta, tb) // directly on the file now
}

// TestServeBinaryKilled: serve killed with SIGKILL while a large file is
// being written through it; then every command works again, and after
// ingesting again the counts equal the truth (no loss, no double count).
func TestServeBinaryKilled(t *testing.T) {
	binary(t)
	dir := t.TempDir()
	big := filepath.Join(dir, "big-20260501.pcap")
	truth := synthFile(t, big, 300000, 3, 7)
	for _, after := range []time.Duration{300 * time.Millisecond, 900 * time.Millisecond} {
		t.Run(after.String(), func(t *testing.T) {
			db := filepath.Join(t.TempDir(), "s.duckdb")
			srv := startServe(t, db)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			ing := exec.CommandContext(ctx, binary(t), "ingest", "-q", "--part-sources", "2000", "--db", db, "--sensor-net", sensorNets, big)
			ing.Env = append(os.Environ(), "HONEYSCOPE_DB=", "HOME="+t.TempDir())
			if err := ing.Start(); err != nil {
				t.Fatal(err)
			}
			time.Sleep(after)
			srv.Process.Kill()
			srv.Wait()
			ing.Wait() // fails or succeeds, depending on where the kill fell

			// Whole or nothing, and stats opens the file (cleaning up the socket).
			got := dayClass(t, db)
			if len(got) > 0 {
				checkTruth(t, db, truth)
			}
			if _, err := os.Stat(remote.SocketPath(db)); err == nil {
				t.Error("stale socket not removed")
			}
			out, e, code := hs(t, "ingest", "-q", "--db", db, "--sensor-net", sensorNets, big)
			if code != 0 {
				t.Fatalf("ingest after the crash: exit %d\n%s%s", code, out, e)
			}
			checkTruth(t, db, truth)
			// And serve starts again on the recovered store.
			startServe(t, db)
			out, e, code = hs(t, "ingest", "-q", "--db", db, big)
			if code != 0 || !strings.Contains(e, "skipped") {
				t.Fatalf("ingest through a new serve: exit %d\n%s%s", code, out, e)
			}
			checkTruth(t, db, truth)
		})
	}
}

// accessPackets is the number of packets a truth counts.
func accessPackets(tr *synth.Truth) uint64 {
	var n uint64
	for _, w := range tr.ByDayClass {
		if w.Class == "access" {
			n += w.Packets
		}
	}
	return n
}
