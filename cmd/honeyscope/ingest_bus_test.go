package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/honeyscope/honeyscope/internal/bus"
	"github.com/honeyscope/honeyscope/internal/store/duckstore"
)

func loopbackPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// ingest --publish nats-leaf://... through an embedded server to an
// in-process hub, collected into a store, gives the stats a direct ingest
// gives.
func TestIngestPublish(t *testing.T) {
	dir := t.TempDir()
	capPath := filepath.Join(dir, "edge-20260501.pcap")
	if _, err := run(t, "synth", "--out", capPath, "--packets", "20000", "--days", "2", "--seed", "5"); err != nil {
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
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := bus.EnsureHub(ctx, js, bus.HubConfig{}); err != nil {
		t.Fatal(err)
	}
	directDB := filepath.Join(dir, "direct.duckdb")
	if out, err := run(t, "ingest", "-q", "--db", directDB, "--tz", "Asia/Tokyo", "--sensor", "edge", capPath); err != nil {
		t.Fatalf("ingest: %v\n%s", err, out)
	}
	if out, err := run(t, "ingest", "-q", "--tz", "Asia/Tokyo", "--sensor", "edge", "--db", filepath.Join(dir, "none.duckdb"),
		"--publish", fmt.Sprintf("nats-leaf://127.0.0.1:%d", leafPort), "--nats-leaf-dir", filepath.Join(dir, "leaf"), capPath); err != nil {
		t.Fatalf("ingest --publish: %v\n%s", err, out)
	}
	collected := filepath.Join(dir, "collected.duckdb")
	st, err := duckstore.Open(ctx, collected, duckstore.Options{TimeZone: "Asia/Tokyo"})
	if err != nil {
		t.Fatal(err)
	}
	c, err := bus.NewCollector(ctx, js, st, bus.CollectorConfig{AckWait: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	rctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- c.Run(rctx) }()
	for c.Committed.Load() < 1 && ctx.Err() == nil {
		time.Sleep(50 * time.Millisecond)
	}
	stop()
	<-done
	st.Close()
	want, err := run(t, "stats", "--db", directDB, "--by", "day,class,country", "--format", "json")
	if err != nil {
		t.Fatal(err)
	}
	got, err := run(t, "stats", "--db", collected, "--by", "day,class,country", "--format", "json")
	if err != nil {
		t.Fatal(err)
	}
	if len(want) < 100 || got != want {
		t.Fatalf("collected stats differ:\n%s\nwant\n%s", got, want)
	}
}

// Beyond loopback, --publish needs TLS and credentials, refused before
// any connection is tried.
func TestPublishInsecureRefused(t *testing.T) {
	dir := t.TempDir()
	capPath := filepath.Join(dir, "x.pcap")
	if _, err := run(t, "synth", "--out", capPath, "--packets", "100", "--days", "1"); err != nil {
		t.Fatal(err)
	}
	for _, url := range []string{"nats://192.0.2.1:4222", "nats-leaf://192.0.2.1:7422", "tls://192.0.2.1:4222"} {
		_, err := run(t, "ingest", "-q", "--sensor", "x", "--db", filepath.Join(dir, "s.duckdb"), "--nats-leaf-dir", filepath.Join(dir, "leaf"), "--publish", url, capPath)
		if !errors.Is(err, bus.ErrInsecure) && (err == nil || !strings.Contains(err.Error(), "TLS")) {
			t.Errorf("--publish %s: %v, want a refusal", url, err)
		}
	}
}
