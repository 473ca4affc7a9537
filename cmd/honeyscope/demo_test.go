package main

import (
	"context"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/honeyscope/honeyscope/internal/synth"
)

// TestDemoServes runs the demo as a user does, serving on 127.0.0.1:0,
// asks the API for its health and totals, checks them against what was
// synthesized (both sensors' captures, the honeypot intrusions) and stops
// the demo by cancelling its context.
func TestDemoServes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "demo")
	const days, perDay = 4, 10
	ready := make(chan string, 1)
	serveReady = func(addr string) { ready <- addr }
	defer func() { serveReady = nil }()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, logs syncBuffer
	root := newRoot()
	root.SetOut(&out)
	root.SetErr(&logs)
	root.SetArgs([]string{"demo", "--dir", dir, "--packets", "20000", "--days", "4", "--sessions", "10", "--listen", "127.0.0.1:0"})
	done := make(chan error, 1)
	go func() { done <- root.ExecuteContext(ctx) }()
	var base string
	select {
	case addr := <-ready:
		base = "http://" + addr
	case err := <-done:
		t.Fatalf("demo ended before serving: %v\n%s\n%s", err, &out, &logs)
	case <-time.After(3 * time.Minute):
		t.Fatalf("demo not serving\n%s\n%s", &out, &logs)
	}
	if !strings.Contains(out.String(), "open "+base+"/") {
		t.Errorf("demo did not print its URL %s/:\n%s", base, &out)
	}
	if _, err := os.Stat(filepath.Join(dir, "report")); err == nil {
		t.Error("a report was written without --report")
	}

	code, body := httpGet(t, base+"/api/v1/health")
	var health struct{ Status string }
	if json.Unmarshal(body, &health); code != 200 || health.Status != "ok" {
		t.Errorf("health: %d %s", code, body)
	}

	// What the demo synthesized: each sensor's capture (its truth file)
	// and its honeypot intrusions (the same sessions again).
	wantPackets := map[string]int{}
	wantIntrusions := 0
	for _, s := range demoSensors(dir, 20000) {
		tr, err := synth.ReadTruth(s.capture + ".truth.json")
		if err != nil {
			t.Fatal(err)
		}
		_, st, err := synth.Sessions(synth.SessionOptions{Seed: s.seed, Days: days, PerDay: perDay, Pool: geoPool{}, Hostile: true,
			Sensors: []synth.SessionSensor{{Name: s.name, Net: s.net, AllowCountries: s.allow}}})
		if err != nil {
			t.Fatal(err)
		}
		wantPackets[s.name] = tr.Packets
		wantIntrusions += st.Intrusions
	}
	code, body = httpGet(t, base+"/api/v1/totals")
	var tot struct {
		Days    int `json:"days"`
		Classes []struct {
			Class   string `json:"class"`
			Packets int    `json:"packets"`
		} `json:"classes"`
		Sensors []struct {
			Sensor  string `json:"sensor"`
			Packets int    `json:"packets"`
		} `json:"sensors"`
	}
	if err := json.Unmarshal(body, &tot); code != 200 || err != nil {
		t.Fatalf("totals: %d %v %s", code, err, body)
	}
	if tot.Days != days {
		t.Errorf("totals: %d days, want %d", tot.Days, days)
	}
	gotAccess, gotIntr := 0, 0
	for _, c := range tot.Classes {
		switch c.Class {
		case "access":
			gotAccess = c.Packets
		case "intrusion":
			gotIntr = c.Packets
		}
	}
	if gotAccess != wantPackets["open"]+wantPackets["domestic"] || wantIntrusions == 0 || gotIntr != wantIntrusions {
		t.Errorf("totals: access %d, intrusion %d; synthesized %v packets and %d intrusions\n%s", gotAccess, gotIntr, wantPackets, wantIntrusions, body)
	}
	seen := map[string]bool{}
	for _, s := range tot.Sensors {
		seen[s.Sensor] = true
		if s.Packets < wantPackets[s.Sensor] {
			t.Errorf("sensor %s: %d packets, synthesized %d", s.Sensor, s.Packets, wantPackets[s.Sensor])
		}
	}
	if len(seen) != 2 || !seen["open"] || !seen["domestic"] {
		t.Errorf("totals: sensors %v, want open and domestic", tot.Sensors)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("demo stopped with %v\n%s", err, &logs)
		}
	case <-time.After(time.Minute):
		t.Fatal("demo did not stop when its context was cancelled")
	}
	if c, err := net.DialTimeout("tcp", strings.TrimPrefix(base, "http://"), time.Second); err == nil {
		c.Close()
		t.Error("still listening after the demo stopped")
	}
}

// TestDemoListen: the demo serves on loopback only, and moves off a taken
// default port.
func TestDemoListen(t *testing.T) {
	if _, err := demoListenAddr("0.0.0.0:8080", true); err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Errorf("0.0.0.0: %v", err)
	}
	if _, err := demoListenAddr("nonsense", true); err == nil {
		t.Error("no error for a listen address without a port")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	taken := l.Addr().String()
	if got, err := demoListenAddr(taken, false); err != nil || got != "127.0.0.1:0" {
		t.Errorf("default %s taken: %q %v, want 127.0.0.1:0", taken, got, err)
	}
	if got, err := demoListenAddr(taken, true); err != nil || got != taken {
		t.Errorf("--listen %s given: %q %v", taken, got, err)
	}
}

// TestSynthSessions: synth --sessions writes a Cowrie log beside the
// capture that ingest reads into the sensor the capture went to, hostile
// strings intact.
func TestSynthSessions(t *testing.T) {
	dir := t.TempDir()
	capPath := filepath.Join(dir, "lab.pcap")
	if out, err := run(t, "synth", "--out", capPath, "--packets", "2000", "--days", "2", "--sessions", "30", "--hostile"); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	logPath := filepath.Join(dir, "lab.cowrie.json")
	db := filepath.Join(dir, "s.duckdb")
	if out, err := run(t, "ingest", "-q", "--db", db, capPath, logPath); err != nil {
		t.Fatalf("ingest: %v\n%s", err, out)
	}
	out, err := run(t, "sessions", "--db", db, "--format", "json")
	if err != nil {
		t.Fatal(err)
	}
	var ss []struct {
		Sensor, Username, Password, ClientVersion string
		Commands                                  []struct{ Input string }
		Requests                                  []struct{ Path, Headers string }
	}
	if err := json.Unmarshal([]byte(out), &ss); err != nil {
		t.Fatalf("%v\n%.500s", err, out)
	}
	if len(ss) != 60 {
		t.Fatalf("%d sessions, want 60", len(ss))
	}
	hostile := 0
	for _, s := range ss {
		if s.Sensor != "default" {
			t.Errorf("session of sensor %q, want the capture's (default)", s.Sensor)
		}
		all := s.Username + s.Password + s.ClientVersion
		for _, c := range s.Commands {
			all += c.Input
		}
		for _, q := range s.Requests {
			all += q.Path + q.Headers
		}
		for _, h := range append(synth.HostileStrings, synth.LongHostileLine) {
			if strings.Contains(all, h) {
				hostile++
				break
			}
		}
	}
	if hostile == 0 {
		t.Error("no hostile string survived synth -> Cowrie log -> ingest -> store")
	}
	if _, err := run(t, "synth", "--out", capPath, "--sessions", "-1"); err == nil {
		t.Error("--sessions -1 accepted")
	}
}
