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

	"github.com/nats-io/nats.go/jetstream"

	"github.com/honeyscope/honeyscope/internal/bus"
)

// `honeyscope serve --collect` (the binary) takes what `ingest --publish`
// sent through a sensor's embedded server and the hub: the stats read
// through serve equal a direct ingest's.
func TestServeCollectBinary(t *testing.T) {
	bin := binary(t)
	dir := t.TempDir()
	capPath := filepath.Join(dir, "edge-20260501.pcap")
	if _, err := run(t, "synth", "--out", capPath, "--packets", "30000", "--days", "2", "--seed", "8"); err != nil {
		t.Fatal(err)
	}
	port, leafPort := loopbackPort(t), loopbackPort(t)
	hub, err := bus.StartHubServer(bus.HubServerConfig{Port: port, LeafPort: leafPort, StoreDir: filepath.Join(dir, "hub")})
	if err != nil {
		t.Fatal(err)
	}
	defer hub.Shutdown()
	nc, err := bus.Connect(fmt.Sprintf("nats://127.0.0.1:%d", port), bus.Auth{}, "test")
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	if err := bus.EnsureHub(context.Background(), js, bus.HubConfig{}); err != nil {
		t.Fatal(err)
	}

	directDB := filepath.Join(dir, "direct.duckdb")
	if out, err := run(t, "ingest", "-q", "--db", directDB, "--tz", "UTC", "--sensor", "edge", capPath); err != nil {
		t.Fatalf("ingest: %v\n%s", err, out)
	}
	collected := filepath.Join(dir, "collected.duckdb")
	cmd := exec.Command(bin, "serve", "--db", collected, "--listen", "127.0.0.1:0", "--shutdown-timeout", "20s",
		"--collect", fmt.Sprintf("nats://127.0.0.1:%d", port))
	cmd.Env = append(os.Environ(), "HONEYSCOPE_DB=", "HOME="+t.TempDir())
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan struct{})
	var once sync.Once
	var logMu sync.Mutex
	var log strings.Builder
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			logMu.Lock()
			log.WriteString(sc.Text() + "\n")
			logMu.Unlock()
			if strings.Contains(sc.Text(), "msg=serving") {
				once.Do(func() { close(ready) })
			}
		}
		io.Copy(io.Discard, stderr)
	}()
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	}()
	select {
	case <-ready:
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		t.Fatal("serve did not start")
	}
	if out, err := run(t, "ingest", "-q", "--tz", "UTC", "--sensor", "edge", "--db", filepath.Join(dir, "none.duckdb"),
		"--publish", fmt.Sprintf("nats-leaf://127.0.0.1:%d", leafPort), "--nats-leaf-dir", filepath.Join(dir, "leaf"), capPath); err != nil {
		t.Fatalf("ingest --publish: %v\n%s", err, out)
	}
	want, err := run(t, "stats", "--db", directDB, "--by", "day,class,country", "--format", "json")
	if err != nil || len(want) < 100 {
		t.Fatalf("direct stats: %v %q", err, want)
	}
	var got string
	for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if got, err = run(t, "stats", "--db", collected, "--by", "day,class,country", "--format", "json"); err == nil && got == want {
			return
		}
	}
	logMu.Lock()
	defer logMu.Unlock()
	t.Fatalf("collected stats never matched: %v\n%s\nwant\n%s\nserve log:\n%s", err, got, want, log.String())
}
