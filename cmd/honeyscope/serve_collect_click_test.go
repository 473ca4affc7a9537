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
	e := newCollectEnv(t, 20000, 1)
	srv := startCollector(t, e.bin, e.url, e.port)
	defer srv.stop()
	e.publish(t)
	waitSame(t, e.url, e.directDB, srv)
}

// The collector killed (SIGKILL) once it has committed a batch, with
// batches on the stream and likely one half written, then started again:
// afterwards every count is exact (nothing lost, nothing twice).
func TestServeCollectClickHouseCrash(t *testing.T) {
	e := newCollectEnv(t, 60000, 2)
	e.publish(t)
	srv := startCollector(t, e.bin, e.url, e.port)
	committed := 0
	for deadline := time.Now().Add(2 * time.Minute); committed == 0 && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		caps, err := e.probe.Captures(context.Background(), nil)
		if err != nil {
			t.Fatal(err)
		}
		committed = len(caps)
	}
	srv.kill()
	if committed == 0 {
		t.Fatalf("nothing committed before the kill; serve log:\n%s", srv.log())
	}
	caps, _ := e.probe.Captures(context.Background(), nil)
	t.Logf("killed after %d of %d ingests were committed (%d at the end)", committed, e.ingests, len(caps))
	srv = startCollector(t, e.bin, e.url, e.port)
	defer srv.stop()
	waitSame(t, e.url, e.directDB, srv)
}

// collectEnv is a hub on loopback, a fresh ClickHouse database, two
// sensors' synthesized inputs and their direct ingest into DuckDB.
type collectEnv struct {
	bin, url, dir, directDB string
	probe                   *clickstore.Store
	port, leafPort          int
	inputs                  map[string][]string
	ingests                 int
}

// newCollectEnv synthesizes per sensor n captures of packets packets (and
// a Cowrie log), starts the hub and ingests everything into DuckDB.
func newCollectEnv(t *testing.T, packets, n int) *collectEnv {
	t.Helper()
	e := &collectEnv{bin: binary(t), url: contract.ClickHouseURL(t), dir: t.TempDir(), inputs: map[string][]string{}}
	probe, err := clickstore.Open(context.Background(), e.url, clickstore.Options{TimeZone: "UTC"})
	if err != nil {
		if strings.Contains(err.Error(), "connect") || strings.Contains(err.Error(), "dial") {
			t.Skipf("ClickHouse server of $%s unreachable: %v", contract.EnvClickHouse, err)
		}
		t.Fatal(err)
	}
	e.probe = probe
	t.Cleanup(func() {
		probe.Drop(context.Background())
		probe.Close()
	})
	for i, sensor := range []string{"open", "domestic"} {
		for j := range n {
			capPath := filepath.Join(e.dir, fmt.Sprintf("%s-%d.pcap", sensor, j))
			args := []string{"synth", "--out", capPath, "--packets", fmt.Sprint(packets), "--days", "3", "--seed", fmt.Sprint(21 + 10*i + j),
				"--start", fmt.Sprintf("2026-05-%02d", 1+3*j)}
			if j == 0 {
				args = append(args, "--sessions", "15")
				e.inputs[sensor] = append(e.inputs[sensor], strings.TrimSuffix(capPath, ".pcap")+".cowrie.json")
			}
			if out, errOut, code := hs(t, args...); code != 0 {
				t.Fatalf("synth: %s%s", out, errOut)
			}
			e.inputs[sensor] = append(e.inputs[sensor], capPath)
		}
		e.ingests += len(e.inputs[sensor])
	}
	e.port, e.leafPort = loopbackPort(t), loopbackPort(t)
	hub, err := bus.StartHubServer(bus.HubServerConfig{Port: e.port, LeafPort: e.leafPort, StoreDir: filepath.Join(e.dir, "hub")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(hub.Shutdown)
	nc, err := bus.Connect(fmt.Sprintf("nats://127.0.0.1:%d", e.port), bus.Auth{}, "test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, _ := jetstream.New(nc)
	if err := bus.EnsureHub(context.Background(), js, bus.HubConfig{}); err != nil {
		t.Fatal(err)
	}
	e.directDB = filepath.Join(e.dir, "direct.duckdb")
	for sensor, files := range e.inputs {
		args := append([]string{"ingest", "-q", "--db", e.directDB, "--tz", "UTC", "--sensor", sensor}, files...)
		if out, errOut, code := hs(t, args...); code != 0 {
			t.Fatalf("ingest: %s%s", out, errOut)
		}
	}
	return e
}

// publish sends each sensor's inputs with `ingest --publish` through an
// embedded leaf server of its own.
func (e *collectEnv) publish(t *testing.T) {
	t.Helper()
	for sensor, files := range e.inputs {
		args := append([]string{"ingest", "-q", "--tz", "UTC", "--sensor", sensor, "--db", filepath.Join(e.dir, sensor+"-none.duckdb"),
			"--publish", fmt.Sprintf("nats-leaf://127.0.0.1:%d", e.leafPort), "--nats-leaf-dir", filepath.Join(e.dir, sensor+"-leaf")}, files...)
		if out, errOut, code := hs(t, args...); code != 0 {
			t.Fatalf("ingest --publish (%s): %s%s", sensor, out, errOut)
		}
	}
}

// collectQueries are the answers compared between the collected
// ClickHouse store and a direct DuckDB ingest.
var collectQueries = [][]string{
	{"stats", "--by", "day,sensor,class,country", "--format", "json"},
	{"stats", "--by", "sensor,port", "--class", "intrusion,mirai", "--format", "json"},
	{"sessions", "--format", "json", "--limit", "1000"},
}

// waitSame waits (up to 2 minutes) until every collectQueries answer
// through --store url equals the one through --db directDB.
func waitSame(t *testing.T, url, directDB string, srv *collector) {
	t.Helper()
	var want []string
	for _, q := range collectQueries {
		out, errOut, code := hs(t, append(q, "--db", directDB)...)
		if code != 0 || len(out) < 100 {
			t.Fatalf("direct %v: %s%s", q, out, errOut)
		}
		want = append(want, out)
	}
	var got []string
	for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); time.Sleep(500 * time.Millisecond) {
		got = got[:0]
		for _, q := range collectQueries {
			out, _, _ := hs(t, append(q, "--store", url)...)
			got = append(got, out)
		}
		if strings.Join(got, "\n") == strings.Join(want, "\n") {
			return
		}
	}
	for i := range collectQueries {
		if got[i] != want[i] {
			t.Errorf("%v through ClickHouse differs:\n got %.2000s\nwant %.2000s", collectQueries[i], got[i], want[i])
		}
	}
	t.Fatalf("collected answers never matched; serve log:\n%s", srv.log())
}

// collector is a `serve --collect --store` process.
type collector struct {
	cmd  *exec.Cmd
	mu   sync.Mutex
	logb strings.Builder
}

func (c *collector) log() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.logb.String()
}

// stop ends the process (SIGTERM) and waits for it.
func (c *collector) stop() {
	c.cmd.Process.Signal(syscall.SIGTERM)
	c.cmd.Wait()
}

// kill ends the process with SIGKILL, as a crash would.
func (c *collector) kill() {
	c.cmd.Process.Kill()
	c.cmd.Wait()
}

// startCollector starts `serve --collect` of the hub at port into the
// ClickHouse store url (batches unacknowledged for 3 s are delivered
// again) and waits until it serves. serve keeps what it puts beside a
// ClickHouse store (samples) in its working directory.
func startCollector(t *testing.T, bin, url string, port int) *collector {
	t.Helper()
	cmd := exec.Command(bin, "serve", "--store", url, "--listen", "127.0.0.1:0", "--shutdown-timeout", "20s",
		"--collect", fmt.Sprintf("nats://127.0.0.1:%d", port), "--nats-ack-wait", "3s")
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), "HONEYSCOPE_DB=", "HOME="+t.TempDir())
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &collector{cmd: cmd}
	ready := make(chan struct{})
	var once sync.Once
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			c.mu.Lock()
			c.logb.WriteString(sc.Text() + "\n")
			c.mu.Unlock()
			if strings.Contains(sc.Text(), "msg=serving") {
				once.Do(func() { close(ready) })
			}
		}
		io.Copy(io.Discard, stderr)
	}()
	select {
	case <-ready:
	case <-time.After(60 * time.Second):
		c.kill()
		t.Fatalf("serve did not start:\n%s", c.log())
	}
	return c
}
