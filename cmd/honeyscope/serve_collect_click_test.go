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
	"github.com/honeyscope/honeyscope/internal/store/clickstore"
	"github.com/honeyscope/honeyscope/internal/store/storetest/contract"
)

// `honeyscope serve --collect nats://... --store clickhouse://...` (the
// binary) commits what two sensors (an open and a domestic one: captures
// and Cowrie sessions) sent with `ingest --publish` through their embedded
// leaf servers and the hub into ClickHouse: stats and sessions read from
// ClickHouse equal a direct ingest of the same files into DuckDB.
func TestServeCollectClickHouseBinary(t *testing.T) {
	bin := binary(t)
	url := contract.ClickHouseURL(t)
	probe, err := clickstore.Open(context.Background(), url, clickstore.Options{TimeZone: "UTC"})
	if err != nil {
		if strings.Contains(err.Error(), "connect") || strings.Contains(err.Error(), "dial") {
			t.Skipf("ClickHouse server of $%s unreachable: %v", contract.EnvClickHouse, err)
		}
		t.Fatal(err)
	}
	t.Cleanup(func() {
		probe.Drop(context.Background())
		probe.Close()
	})
	dir := t.TempDir()
	inputs := map[string][]string{}
	for i, sensor := range []string{"open", "domestic"} {
		capPath := filepath.Join(dir, sensor+".pcap")
		if out, errOut, code := hs(t, "synth", "--out", capPath, "--packets", "20000", "--days", "3", "--seed", fmt.Sprint(21+i), "--sessions", "15"); code != 0 {
			t.Fatalf("synth: %s%s", out, errOut)
		}
		inputs[sensor] = []string{capPath, strings.TrimSuffix(capPath, ".pcap") + ".cowrie.json"}
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
	for sensor, files := range inputs {
		args := append([]string{"ingest", "-q", "--db", directDB, "--tz", "UTC", "--sensor", sensor}, files...)
		if out, errOut, code := hs(t, args...); code != 0 {
			t.Fatalf("ingest: %s%s", out, errOut)
		}
	}
	// serve keeps what it puts beside a ClickHouse store (samples) in its
	// working directory.
	work := t.TempDir()
	cmd := exec.Command(bin, "serve", "--store", url, "--listen", "127.0.0.1:0", "--shutdown-timeout", "20s",
		"--collect", fmt.Sprintf("nats://127.0.0.1:%d", port))
	cmd.Dir = work
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
		logMu.Lock()
		defer logMu.Unlock()
		t.Fatalf("serve did not start:\n%s", log.String())
	}
	for sensor, files := range inputs {
		args := append([]string{"ingest", "-q", "--tz", "UTC", "--sensor", sensor, "--db", filepath.Join(dir, sensor+"-none.duckdb"),
			"--publish", fmt.Sprintf("nats-leaf://127.0.0.1:%d", leafPort), "--nats-leaf-dir", filepath.Join(dir, sensor+"-leaf")}, files...)
		if out, errOut, code := hs(t, args...); code != 0 {
			t.Fatalf("ingest --publish (%s): %s%s", sensor, out, errOut)
		}
	}
	queries := [][]string{
		{"stats", "--by", "day,sensor,class,country", "--format", "json"},
		{"stats", "--by", "sensor,port", "--class", "intrusion,mirai", "--format", "json"},
		{"sessions", "--format", "json", "--limit", "1000"},
	}
	var want []string
	for _, q := range queries {
		out, errOut, code := hs(t, append(q, "--db", directDB)...)
		if code != 0 || len(out) < 100 {
			t.Fatalf("direct %v: %s%s", q, out, errOut)
		}
		want = append(want, out)
	}
	var got []string
	for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); time.Sleep(500 * time.Millisecond) {
		got = got[:0]
		for _, q := range queries {
			out, _, _ := hs(t, append(q, "--store", url)...)
			got = append(got, out)
		}
		if strings.Join(got, "\n") == strings.Join(want, "\n") {
			return
		}
	}
	logMu.Lock()
	defer logMu.Unlock()
	for i := range queries {
		if i < len(got) && got[i] != want[i] {
			t.Errorf("%v through ClickHouse differs:\n got %.2000s\nwant %.2000s", queries[i], got[i], want[i])
		}
	}
	t.Fatalf("collected answers never matched; serve log:\n%s", log.String())
}
