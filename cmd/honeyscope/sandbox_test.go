package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/honeyscope/honeyscope/internal/sandbox"
)

// TestSandboxRunCLI runs the sandbox's test program for arm through the
// command: its capture is ingested as sensor "sandbox" and classified (its
// SYNs with seq == destination are Mirai's), the run and its indicators
// are stored, listed and shown.
func TestSandboxRunCLI(t *testing.T) {
	if err := sandbox.Check(); err != nil {
		t.Skip(err)
	}
	a, _ := sandbox.ArchByName("arm")
	if _, err := sandbox.QemuPath("", a); err != nil {
		t.Skip(err)
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command")
	}
	dir := t.TempDir()
	prog := filepath.Join(dir, "world")
	build := exec.Command("go", "build", "-trimpath", "-o", prog, "../../internal/sandbox/testdata/world")
	build.Env = append(os.Environ(), "GOOS=linux", "GOARCH=arm", "GOARM=7", "CGO_ENABLED=0")
	if b, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, b)
	}
	db := filepath.Join(dir, "s.duckdb")
	out, err := run(t, "sandbox", "run", "--db", db, "--time", "30s", "--format", "json", prog)
	if err != nil {
		t.Fatalf("sandbox run: %v\n%s", err, out)
	}
	var got struct {
		Run struct {
			ID     int64  `json:"id"`
			Sensor string `json:"sensor"`
		} `json:"run"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil || got.Run.ID != 1 || got.Run.Sensor != "sandbox" {
		t.Fatalf("run %+v (%v)\n%.2000s", got, err, out)
	}
	out, err = run(t, "stats", "--db", db, "--sensor", "sandbox", "--by", "class", "--format", "json")
	if err != nil {
		t.Fatal(err)
	}
	var rows []map[string]any
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	mirai := 0.0
	for _, r := range rows {
		if r["class"] == "mirai" {
			mirai = r["packets"].(float64)
		}
	}
	if mirai != 40 {
		t.Errorf("%v Mirai packets in sensor sandbox, want the program's 40 SYNs\n%s", mirai, out)
	}
	out, err = run(t, "sandbox", "list", "--db", db)
	if err != nil || !strings.Contains(out, "arm") || strings.Count(out, "\n") != 2 {
		t.Errorf("list: %v\n%s", err, out)
	}
	out, err = run(t, "sandbox", "show", "--db", db, "1")
	if err != nil || !strings.Contains(out, "c2.fixture.example") || !strings.Contains(out, "41337") || !strings.Contains(out, "/tmp/dropped.bin") {
		t.Errorf("show: %v\n%s", err, out)
	}
	if _, err := run(t, "sandbox", "show", "--db", db, "2"); err == nil {
		t.Error("show of a run that does not exist succeeded")
	}
}
