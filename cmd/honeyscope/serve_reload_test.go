package main

import (
	"context"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	svcconfig "github.com/honeyscope/honeyscope/internal/config"
	"github.com/honeyscope/honeyscope/internal/daemon"
	"github.com/honeyscope/honeyscope/internal/decode"
	"github.com/honeyscope/honeyscope/internal/livecap"
	"github.com/honeyscope/honeyscope/internal/store/duckstore"
)

// idleSource is a capture socket on which nothing arrives.
type idleSource struct{ closed chan struct{} }

func (s *idleSource) Next() ([]byte, int64, error) {
	select {
	case <-s.closed:
		return nil, 0, livecap.ErrTimeout
	case <-time.After(5 * time.Millisecond):
		return nil, 0, livecap.ErrTimeout
	}
}
func (s *idleSource) Link() decode.LinkType         { return decode.LinkEthernet }
func (s *idleSource) Stats() (livecap.Stats, error) { return livecap.Stats{}, nil }
func (s *idleSource) Close() error                  { return nil }

// TestCaptureReload: a SIGHUP's new capture section replaces the running
// capture (the old one's interval committed first), an unchanged section
// changes nothing, and a section that does not build leaves the running
// capture alone.
func TestCaptureReload(t *testing.T) {
	ctx := context.Background()
	st, err := duckstore.Open(ctx, filepath.Join(t.TempDir(), "s.duckdb"), duckstore.Options{TimeZone: "UTC"})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	r := daemon.NewReporter(nil)
	var mu sync.Mutex
	var opened []string
	build := func(c svcconfig.Capture) (*livecap.Component, error) {
		if len(c.Interfaces) == 0 {
			return nil, nil
		}
		cfg := livecap.FromConfig(c)
		return livecap.New(r, cfg, livecap.Dependencies{Store: st, Open: func(ifc livecap.Interface, _, _ int, _ livecap.Configuration) (livecap.Source, error) {
			mu.Lock()
			opened = append(opened, ifc.Name)
			mu.Unlock()
			return &idleSource{closed: make(chan struct{})}, nil
		}})
	}
	section := func(names ...string) svcconfig.Capture {
		c := svcconfig.Capture{CommitInterval: time.Hour}
		for _, n := range names {
			c.Interfaces = append(c.Interfaces, svcconfig.CaptureInterface{Name: n})
		}
		return c
	}
	slot, err := newCaptureSlot(r.Logger("capture"), section("ta"), build)
	if err != nil {
		t.Fatal(err)
	}
	if err := slot.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if changed, err := slot.Reload(ctx, section("ta")); changed || err != nil {
		t.Fatalf("same section: changed %v, %v", changed, err)
	}
	if changed, err := slot.Reload(ctx, section("tb", "tc")); !changed || err != nil {
		t.Fatalf("new section: changed %v, %v", changed, err)
	}
	// The first capture's interval is in the store, under its interface.
	caps, err := st.Captures(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(caps) != 1 || caps[0].Sensor != "ta" {
		t.Fatalf("captures after the reload: %+v", caps)
	}
	if _, err := exec.LookPath("tcpdump"); err == nil {
		bad := section("td")
		bad.Interfaces[0].Filter = "tcp and"
		if changed, err := slot.Reload(ctx, bad); changed || err == nil || !strings.Contains(err.Error(), "goes on") {
			t.Fatalf("bad filter: changed %v, %v", changed, err)
		}
	}
	if !slot.Running() {
		t.Fatal("no capture running after a refused reload")
	}
	if changed, err := slot.Reload(ctx, section()); !changed || err != nil {
		t.Fatalf("no interface: %v %v", changed, err)
	}
	if slot.Running() {
		t.Fatal("a capture runs without interfaces")
	}
	if err := slot.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	caps, _ = st.Captures(ctx, nil)
	var sensors []string
	for _, c := range caps {
		sensors = append(sensors, c.Sensor)
	}
	slices.Sort(sensors)
	if !slices.Equal(sensors, []string{"ta", "tb", "tc"}) {
		t.Fatalf("captures: %v", sensors)
	}
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(opened, []string{"ta", "tb", "tc"}) {
		t.Fatalf("opened %v", opened)
	}
}
