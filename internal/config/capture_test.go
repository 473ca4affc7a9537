package config

import (
	"os/exec"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestCaptureSection: the capture section's interfaces read the same from
// YAML and TOML, and bad values are refused with their key.
func TestCaptureSection(t *testing.T) {
	want := Capture{
		Interfaces: []CaptureInterface{
			{Name: "eth0", Sensor: "tokyo", SensorNet: []string{"192.0.2.0/24", "2001:db8::/64"}, Promisc: true},
			{Name: "eth1"},
		},
		CommitInterval: 5 * time.Second, Workers: 2, Archive: DefaultArchive(),
	}
	y := "capture:\n  interfaces:\n    - name: eth0\n      sensor: tokyo\n      sensor_net: [192.0.2.0/24, \"2001:db8::/64\"]\n      promisc: true\n    - name: eth1\n  commit_interval: 5s\n  workers: 2\n"
	tm := "[capture]\ninterfaces = [{ name = \"eth0\", sensor = \"tokyo\", sensor_net = [\"192.0.2.0/24\", \"2001:db8::/64\"], promisc = true }, { name = \"eth1\" }]\ncommit_interval = \"5s\"\nworkers = 2\n"
	for _, c := range []struct {
		name, text string
		format     Format
	}{{"c.yaml", y, YAML}, {"c.toml", tm, TOML}} {
		f, err := Parse(c.name, []byte(c.text), c.format)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if err := f.Validate(); err != nil {
			t.Errorf("%s: %v", c.name, err)
		}
		if !reflect.DeepEqual(f.Capture, want) {
			t.Errorf("%s: %+v, want %+v", c.name, f.Capture, want)
		}
	}
	for _, bad := range []struct{ text, key, msg string }{
		{"capture:\n  interfaces:\n    - sensor: x\n", "capture.interfaces[0].name", "no interface name"},
		{"capture:\n  interfaces:\n    - name: eth0\n    - name: eth0\n", "capture.interfaces[1].name", "twice"},
		{"capture:\n  interfaces:\n    - name: eth0\n      sensor_net: [192.0.2.300]\n", "capture.interfaces[0].sensor_net[0]", "not an address"},
		{"capture:\n  interfaces:\n    - name: eth0\n      sensor: \"a b\"\n", "capture.interfaces[0].sensor", ""},
		{"capture:\n  workers: 100\n", "capture.workers", "1 to 64"},
		{"capture:\n  commit_interval: 100ms\n", "capture.commit_interval", "at least 1s"},
		{"capture:\n  interfaces:\n    - name: nflog:5\n      filter: tcp\n", "capture.interfaces[0].filter", "NFLOG"},
		{"capture:\n  archive:\n    dir: /x\n    file_bytes: 10KiB\n", "capture.archive.file_bytes", "1MiB"},
		{"capture:\n  archive:\n    dir: /x\n    file_age: 1s\n", "capture.archive.file_age", "1m"},
	} {
		f, err := Parse("b.yaml", []byte(bad.text), YAML)
		if err == nil {
			err = f.Validate()
		}
		if err == nil || !strings.Contains(err.Error(), bad.key) || !strings.Contains(err.Error(), bad.msg) {
			t.Errorf("%q: %v, want a problem with %s (%s)", bad.text, err, bad.key, bad.msg)
		}
	}
}

// TestCaptureFilter: a filter expression is compiled when the file is
// checked, and a bad one is refused with its key and line.
func TestCaptureFilter(t *testing.T) {
	if _, err := exec.LookPath("tcpdump"); err != nil {
		t.Skip("tcpdump not installed")
	}
	ok := "capture:\n  interfaces:\n    - name: eth0\n      filter: \"tcp and not port 22\"\n"
	f, err := Parse("f.yaml", []byte(ok), YAML)
	if err == nil {
		err = f.Validate()
	}
	if err != nil {
		t.Fatal(err)
	}
	bad := "capture:\n  interfaces:\n    - name: eth0\n      filter: \"tcp and\"\n"
	f, err = Parse("f.yaml", []byte(bad), YAML)
	if err == nil {
		err = f.Validate()
	}
	if err == nil || !strings.Contains(err.Error(), "capture.interfaces[0].filter") || !strings.Contains(err.Error(), "line 4") {
		t.Fatalf("bad filter: %v", err)
	}
}
