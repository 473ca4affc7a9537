package config

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestFromFlagsQuickStart(t *testing.T) {
	// The quick start, with the API on another port than --http.
	f, err := FromFlags(&File{Listen: "127.0.0.1:9180"}, QuickStart{
		Honeypot: true, Bind: []string{"127.0.0.1"},
		Telnet: []uint16{2323}, SSH: []uint16{2222}, HTTP: []uint16{8080}, Name: "lab",
	})
	if err != nil {
		t.Fatal(err)
	}
	h := f.Honeypot
	if !h.Enabled || h.Name != "lab" || !reflect.DeepEqual(h.Bind, []string{"127.0.0.1"}) {
		t.Errorf("enabled %v name %q bind %v", h.Enabled, h.Name, h.Bind)
	}
	for _, c := range []struct {
		name       string
		got, want  []uint16
		tls, wantT []uint16
	}{
		{"telnet", h.Telnet.Ports, []uint16{2323}, nil, nil},
		{"ssh", h.SSH.Ports, []uint16{2222}, nil, nil},
		{"http", h.HTTP.Ports, []uint16{8080}, h.HTTP.TLSPorts, []uint16{}},
		{"generic", h.Generic.Ports, []uint16{}, nil, nil},
	} {
		if !reflect.DeepEqual(c.got, c.want) || !reflect.DeepEqual(c.tls, c.wantT) {
			t.Errorf("%s: ports %v tls %v, want %v %v", c.name, c.got, c.tls, c.want, c.wantT)
		}
	}
	if h.Limits != DefaultLimits() || h.Credentials.Policy != DefaultPolicy {
		t.Errorf("defaults not applied: %+v %+v", h.Limits, h.Credentials)
	}

	// Without a file, --honeypot alone is the default port set; the API's
	// address is serve's to move then (no listen given), but an explicit
	// listen on a listener's port is an error naming listen.
	if _, err = FromFlags(nil, QuickStart{Honeypot: true}); err != nil {
		t.Errorf("--honeypot alone: %v", err)
	}
	_, err = FromFlags(nil, QuickStart{Honeypot: true, Listen: "127.0.0.1:8080"})
	if err == nil || !strings.Contains(err.Error(), "listen: the API's port 8080") {
		t.Errorf("--honeypot --listen 127.0.0.1:8080: %v", err)
	}
	f, err = FromFlags(nil, QuickStart{Honeypot: true, Listen: "127.0.0.1:9180"})
	if err != nil {
		t.Fatal(err)
	}
	if f.Listen != "127.0.0.1:9180" {
		t.Errorf("listen %q", f.Listen)
	}
	if !reflect.DeepEqual(f.Honeypot.HTTP.Ports, DefaultPorts(ServiceHTTP)) || !reflect.DeepEqual(f.Honeypot.Generic.Ports, DefaultPorts(ServiceGeneric)) {
		t.Errorf("--honeypot alone: %+v", f.Honeypot)
	}
	// A port flag enables the honeypot by itself; --https ports are HTTP
	// ports speaking TLS.
	f, err = FromFlags(nil, QuickStart{HTTPS: []uint16{8443}, Generic: []uint16{6379}})
	if err != nil {
		t.Fatal(err)
	}
	h = f.Honeypot
	if !h.Enabled || !reflect.DeepEqual(h.HTTP.Ports, []uint16{8443}) || !reflect.DeepEqual(h.HTTP.TLSPorts, []uint16{8443}) ||
		len(h.Telnet.Ports) != 0 || len(h.SSH.Ports) != 0 || !reflect.DeepEqual(h.Generic.Ports, []uint16{6379}) {
		t.Errorf("--https 8443 --generic 6379: %+v", h)
	}
}

func TestFromFlagsOverFile(t *testing.T) {
	data := `listen: 127.0.0.1:9180
honeypot:
  name: file-name
  allow_countries: [JP]
  telnet:
    ports: [2323]
  generic:
    ports: [5555]
  http:
    ports: [80]
`
	base, err := Parse("f.yaml", []byte(data), YAML)
	if err != nil {
		t.Fatal(err)
	}
	keep := *base
	keepTelnet := append([]uint16(nil), base.Honeypot.Telnet.Ports...)

	f, err := FromFlags(base, QuickStart{SSH: []uint16{2222}, Name: "flag-name", AllowCountries: []string{"kr"}})
	if err != nil {
		t.Fatal(err)
	}
	h := f.Honeypot
	switch {
	case h.Name != "flag-name" || !reflect.DeepEqual(h.AllowCountries, []string{"KR"}):
		t.Errorf("flags did not win: %q %v", h.Name, h.AllowCountries)
	case !reflect.DeepEqual(h.SSH.Ports, []uint16{2222}):
		t.Errorf("ssh %v", h.SSH.Ports)
	case !reflect.DeepEqual(h.Telnet.Ports, []uint16{2323}), !reflect.DeepEqual(h.Generic.Ports, []uint16{5555}), !reflect.DeepEqual(h.HTTP.Ports, []uint16{80}):
		t.Errorf("the file's ports were lost: %v %v %v", h.Telnet.Ports, h.Generic.Ports, h.HTTP.Ports)
	case !h.Enabled:
		t.Error("a port flag did not enable the honeypot")
	}
	// base is unchanged.
	if base.Honeypot.Name != keep.Honeypot.Name || !reflect.DeepEqual(base.Honeypot.Telnet.Ports, keepTelnet) || !reflect.DeepEqual(base.Honeypot.SSH.Ports, DefaultPorts(ServiceSSH)) || base.Honeypot.Enabled {
		t.Errorf("FromFlags changed its base: %+v", base.Honeypot)
	}

	// A file that gives no ports for a service: a port flag for another
	// one leaves it off (the file's default set is not used).
	base2, err := Parse("g.yaml", []byte("listen: 127.0.0.1:9180\nhoneypot:\n  enabled: true\n"), YAML)
	if err != nil {
		t.Fatal(err)
	}
	f, err = FromFlags(base2, QuickStart{Telnet: []uint16{2323}})
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Honeypot.SSH.Ports) != 0 || len(f.Honeypot.HTTP.Ports) != 0 || len(f.Honeypot.Generic.Ports) != 0 {
		t.Errorf("--telnet over a file without ports: %+v", f.Honeypot)
	}
	// No flags: the file as loaded.
	f, err = FromFlags(base2, QuickStart{})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(f.Honeypot.SSH.Ports, DefaultPorts(ServiceSSH)) {
		t.Errorf("no flags: ssh %v", f.Honeypot.SSH.Ports)
	}
}

// TestFromFlagsErrors: a problem from a flag names the flag; a clash with
// the file names the file's line.
func TestFromFlagsErrors(t *testing.T) {
	base, err := Parse("f.yaml", []byte("listen: 127.0.0.1:9180\nhoneypot:\n  telnet:\n    ports: [2323]\n"), YAML)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		q    QuickStart
		want string
	}{
		{"clash with the file", QuickStart{SSH: []uint16{2323}}, "config f.yaml: --ssh: honeypot.ssh.ports[0]: port 2323 is also a telnet port (line 4: honeypot.telnet.ports[0])"},
		{"clash between flags", QuickStart{HTTP: []uint16{8080}, HTTPS: []uint16{8080}}, "--https: honeypot.http.ports[1]: port 8080 is listed twice (--http)"},
		{"bad bind", QuickStart{Bind: []string{"eth0"}}, `--bind: honeypot.bind[0]: "eth0" is not an IP address`},
		{"bad name", QuickStart{Name: "a b"}, "--name: honeypot.name:"},
		{"bad country", QuickStart{AllowCountries: []string{"Japan"}}, `--allow-countries: honeypot.allow_countries[0]: "JAPAN" is not a two-letter country code`},
		{"port zero", QuickStart{Generic: []uint16{0}}, `--generic: honeypot.generic.ports[0]: "0" is not a port`},
		{"listen on a listener", QuickStart{Honeypot: true, Listen: "127.0.0.1:2323"}, "--listen: listen: the API's port 2323 (listen 127.0.0.1:2323) is also a telnet port (line 4: honeypot.telnet.ports[0])"},
	} {
		_, err := FromFlags(base, c.q)
		var ce *Error
		if !errors.As(err, &ce) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v\nwant %s", c.name, err, c.want)
		}
	}
}

// TestFromFlagsCodeFile: a File made in code (not loaded) keeps its port
// lists when a port flag is given.
func TestFromFlagsCodeFile(t *testing.T) {
	base := &File{Listen: "127.0.0.1:9180", Honeypot: Honeypot{Generic: Service{Ports: []uint16{5555}}}}
	f, err := FromFlags(base, QuickStart{Telnet: []uint16{2323}})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(f.Honeypot.Generic.Ports, []uint16{5555}) || len(f.Honeypot.SSH.Ports) != 0 {
		t.Errorf("%+v", f.Honeypot)
	}
}
