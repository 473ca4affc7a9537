package config

import (
	"reflect"
	"testing"
	"time"
)

func TestApplyDefaults(t *testing.T) {
	var h Honeypot
	h.ApplyDefaults()
	want := Honeypot{
		Name:           "honeypot",
		Bind:           []string{"0.0.0.0", "::"},
		CommitInterval: 10 * time.Second,
		Filter:         "drop",
		Telnet:         Service{Ports: []uint16{23, 2323}, TLSPorts: []uint16{}, Arch: []string{"arm7", "mips", "mipsel", "x86_64"}},
		SSH:            Service{Ports: []uint16{22}, TLSPorts: []uint16{}, Arch: []string{"arm7", "mips", "mipsel", "x86_64"}},
		HTTP:           Service{Ports: []uint16{80, 8080, 81, 8000, 8443, 7547, 37215, 52869}, TLSPorts: []uint16{8443}},
		Generic:        Service{Ports: []uint16{445, 5555, 6379, 9000, 1433, 3389}, TLSPorts: []uint16{}},
		Credentials:    Credentials{Policy: "after", AfterTries: 2},
		Limits: Limits{
			Connections: 20000, PerSource: 32, SessionBytes: 4 << 20, LineBytes: 16 << 10,
			Commands: 5000, FSBytes: 8 << 20, Idle: 3 * time.Minute, Session: 15 * time.Minute,
			HTTPBody: 64 << 10, FirstBytes: 4 << 10, PendingSessions: 100000,
		},
	}
	if !reflect.DeepEqual(h, want) {
		t.Fatalf("defaults:\n got %+v\nwant %+v", h, want)
	}
	// Idempotent.
	again := h
	again.ApplyDefaults()
	if !reflect.DeepEqual(again, want) {
		t.Errorf("second ApplyDefaults changed the values: %+v", again)
	}
	// Valid as they are (with the API moved off 8080).
	f := &File{Listen: "127.0.0.1:9180", Honeypot: h}
	f.Honeypot.Enabled = true
	if err := f.Validate(); err != nil {
		t.Errorf("the defaults do not validate: %v", err)
	}
}

// TestDefaultsKeepSetValues: a set value stays; an empty port list keeps
// the service off; a slice of the caller is never written to.
func TestDefaultsKeepSetValues(t *testing.T) {
	ports := []uint16{8080, 8443, 9443}
	h := Honeypot{
		Name:           "osaka",
		Bind:           []string{"192.0.2.1"},
		CommitInterval: time.Second,
		Filter:         "refuse",
		Telnet:         Service{Ports: []uint16{}},
		SSH:            Service{Ports: []uint16{2222}, Arch: []string{"sh4"}},
		HTTP:           Service{Ports: ports},
		AllowCountries: []string{"jp"},
		Credentials:    Credentials{Policy: "any", AfterTries: 5},
		Limits:         Limits{Connections: 7, Idle: time.Second},
	}
	h.ApplyDefaults()
	switch {
	case h.Name != "osaka" || h.Bind[0] != "192.0.2.1" || len(h.Bind) != 1:
		t.Errorf("name/bind: %q %v", h.Name, h.Bind)
	case h.CommitInterval != time.Second || h.Filter != "refuse":
		t.Errorf("commit/filter: %v %q", h.CommitInterval, h.Filter)
	case h.Telnet.Ports == nil || len(h.Telnet.Ports) != 0:
		t.Errorf("telnet off became %v", h.Telnet.Ports)
	case !reflect.DeepEqual(h.SSH.Ports, []uint16{2222}) || !reflect.DeepEqual(h.SSH.Arch, []string{"sh4"}):
		t.Errorf("ssh: %+v", h.SSH)
	case !reflect.DeepEqual(h.HTTP.TLSPorts, []uint16{8443}):
		t.Errorf("http tls: %v (8443 is listened, so it is TLS by default)", h.HTTP.TLSPorts)
	case !reflect.DeepEqual(h.AllowCountries, []string{"JP"}):
		t.Errorf("countries: %v", h.AllowCountries)
	case !reflect.DeepEqual(h.Credentials, Credentials{Policy: "any", AfterTries: 5}):
		t.Errorf("credentials: %+v", h.Credentials)
	case h.Limits.Connections != 7 || h.Limits.Idle != time.Second || h.Limits.PerSource != 32:
		t.Errorf("limits: %+v", h.Limits)
	}
	// HTTP without 8443: no TLS port by default.
	h2 := Honeypot{HTTP: Service{Ports: []uint16{80}}}
	h2.ApplyDefaults()
	if len(h2.HTTP.TLSPorts) != 0 {
		t.Errorf("tls ports %v for http on 80 only", h2.HTTP.TLSPorts)
	}
	// Default slices are fresh: changing one does not change the next.
	var a, b Honeypot
	a.ApplyDefaults()
	a.Telnet.Ports[0] = 1
	a.Bind[0] = "x"
	b.ApplyDefaults()
	if b.Telnet.Ports[0] != 23 || b.Bind[0] != "0.0.0.0" {
		t.Error("defaults share their slices")
	}
}

func TestCountries(t *testing.T) {
	h := Honeypot{AllowCountries: []string{"JP"}, HTTP: Service{AllowCountries: []string{"KR"}}}
	if got := h.Countries(&h.HTTP); !reflect.DeepEqual(got, []string{"KR"}) {
		t.Errorf("http: %v", got)
	}
	if got := h.Countries(&h.Telnet); !reflect.DeepEqual(got, []string{"JP"}) {
		t.Errorf("telnet: %v", got)
	}
}
