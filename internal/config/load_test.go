package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// problemCase is a config with one thing wrong: where it must be reported.
type problemCase struct {
	name   string
	format Format
	data   string
	line   int    // expected line (0: none)
	key    string // expected key path
	msg    string // expected part of the message
}

var problemCases = []problemCase{
	{"port range yaml", YAML, "honeypot:\n  telnet:\n    ports: [23, 70000]\n", 3, "honeypot.telnet.ports[1]", `"70000" is not a port (1-65535)`},
	{"port range yaml block list", YAML, "honeypot:\n  telnet:\n    ports:\n      - 23\n      - 70000\n", 5, "honeypot.telnet.ports[1]", `"70000" is not a port (1-65535)`},
	{"port range toml", TOML, "[honeypot.telnet]\nports = [\n  23,\n  70000,\n]\n", 4, "honeypot.telnet.ports[1]", `"70000" is not a port (1-65535)`},
	{"port zero", YAML, "honeypot:\n  ssh:\n    ports: [0]\n", 3, "honeypot.ssh.ports[0]", `"0" is not a port`},
	{"port text", YAML, "honeypot:\n  ssh:\n    ports: [ssh]\n", 3, "honeypot.ssh.ports[0]", `"ssh" is not a port`},
	{"port float toml", TOML, "[honeypot.ssh]\nports = [22.5]\n", 2, "honeypot.ssh.ports[0]", `"22.5" is not a port`},
	{"redirect range", YAML, "honeypot:\n  redirect_port: -1\n", 2, "honeypot.redirect_port", `"-1" is not a port (1-65535, or 0 for none)`},
	{"unknown top key, near miss", YAML, "db: x\nhoneypt:\n  enabled: true\n", 2, "honeypt", `unknown key; did you mean "honeypot"? (valid keys: db, tz, geoip, asn, listen, lang, rules, honeypot, capture, fetcher, sandbox)`},
	{"rules listed twice", YAML, "rules:\n  - a.rules\n  - b/\n  - a.rules\n", 4, "rules[2]", `"a.rules" is listed twice (line 2: rules[0])`},
	{"rules empty path toml", TOML, "rules = [\"a.rules\", \"\"]\n", 1, "rules[1]", `"" is not a path to a rule file or directory`},
	{"rules not a list", YAML, "rules: a.rules\n", 1, "rules", "list"},
	{"unknown nested key toml", TOML, "[honeypot]\nname = \"a\"\n\n[honeypot.limits]\nidel = \"3m\"\n", 5, "honeypot.limits.idel", `did you mean "idle"?`},
	{"unknown key, no near miss", YAML, "honeypot:\n  telnet:\n    colour: red\n", 3, "honeypot.telnet.colour", "unknown key (valid keys of honeypot.telnet: ports, tls_ports, arch, banner, hostname, allow_countries, port_banners)"},
	{"unknown key dash", YAML, "honeypot:\n  commit-interval: 5s\n", 2, "honeypot.commit-interval", `did you mean "commit_interval"?`},
	{"duplicate key", YAML, "honeypot:\n  name: a\n  enabled: true\n  name: b\n", 4, "honeypot.name", "given twice (first at line 2)"},
	{"duplicate key toml", TOML, "[honeypot]\nname = \"a\"\nname = \"b\"\n", 3, "", "honeypot.name"},
	{"duration number", YAML, "honeypot:\n  limits:\n    idle: 10\n", 3, "honeypot.limits.idle", `"10" is not a duration: a number needs a unit`},
	{"duration word toml", TOML, "[honeypot]\ncommit_interval = \"ten seconds\"\n", 2, "honeypot.commit_interval", `"ten seconds" is not a duration (write it like "10s"`},
	{"duration negative", YAML, "honeypot:\n  commit_interval: -1s\n", 2, "honeypot.commit_interval", "must be positive"},
	{"bool", YAML, "honeypot:\n  enabled: \"yes\"\n", 2, "honeypot.enabled", `"yes" is not true or false`},
	{"bool toml", TOML, "[honeypot]\nenabled = 1\n", 2, "honeypot.enabled", `"1" is not true or false`},
	{"list expected", YAML, "honeypot:\n  allow_countries: JP\n", 2, "honeypot.allow_countries", `"JP": give a list, like ["a", "b"]`},
	{"section expected", YAML, "honeypot: 5\n", 1, "honeypot", `"5": honeypot is a section of keys (enabled, name, bind`},
	{"section expected toml", TOML, "honeypot = \"on\"\n", 1, "honeypot", "honeypot is a section of keys"},
	{"text expected", YAML, "honeypot:\n  name: [a, b]\n", 2, "honeypot.name", "a list: give a text value"},
	{"whole number", YAML, "honeypot:\n  limits:\n    commands: many\n", 3, "honeypot.limits.commands", `"many" is not a whole number`},
	{"too large", YAML, "honeypot:\n  limits:\n    commands: 99999999999999999999\n", 3, "honeypot.limits.commands", "is too large"},
	{"empty list item", YAML, "honeypot:\n  bind:\n    - 127.0.0.1\n    -\n", 4, "honeypot.bind[1]", "an empty list item"},
	{"size suffix", YAML, "honeypot:\n  limits:\n    session_bytes: 4MB\n", 3, "honeypot.limits.session_bytes", `"4MB" is not a size (a number of bytes, or like "64KiB", "4MiB")`},
	{"size range", TOML, "[honeypot.limits]\nfs_bytes = \"99999999999GiB\"\n", 2, "honeypot.limits.fs_bytes", "is too large"},
	{"bind", YAML, "honeypot:\n  bind: [0.0.0.0, localhost]\n", 2, "honeypot.bind[1]", `"localhost" is not an IP address`},
	{"bind twice", YAML, "honeypot:\n  bind:\n    - 127.0.0.1\n    - 127.0.0.1\n", 4, "honeypot.bind[1]", "127.0.0.1 is listed twice (line 3: honeypot.bind[0])"},
	{"arch", YAML, "honeypot:\n  telnet:\n    arch: [arm7, armv7]\n", 3, "honeypot.telnet.arch[1]", `"armv7" is not an architecture; did you mean "arm7"? (known: arm, arm5`},
	{"arch toml", TOML, "[honeypot.ssh]\narch = [\"arm7\",\n  \"z80\"]\n", 3, "honeypot.ssh.arch[1]", `"z80" is not an architecture (known:`},
	{"arch on http", YAML, "honeypot:\n  http:\n    arch: [arm7]\n", 3, "honeypot.http.arch[0]", "only telnet and ssh emulate"},
	{"policy", YAML, "honeypot:\n  credentials:\n    policy: afterr\n", 3, "honeypot.credentials.policy", `"afterr" is not a policy; did you mean "after"?`},
	{"after tries", YAML, "honeypot:\n  credentials:\n    after_tries: -3\n", 3, "honeypot.credentials.after_tries", "-3: must be positive"},
	{"accept format", YAML, "honeypot:\n  credentials:\n    accept:\n      - root:xc3511\n      - admin\n", 5, "honeypot.credentials.accept[1]", `"admin" is not user:password`},
	{"accept empty user", TOML, "[honeypot.credentials]\naccept = [\":x\"]\n", 2, "honeypot.credentials.accept[0]", "is not user:password"},
	{"accept control", YAML, "honeypot:\n  credentials:\n    accept: [\"root:a\\nb\"]\n", 3, "honeypot.credentials.accept[0]", "control character"},
	{"list policy empty", YAML, "honeypot:\n  credentials:\n    policy: list\n", 3, "honeypot.credentials.policy", "accept is empty"},
	{"country", YAML, "honeypot:\n  allow_countries: [jp, JPN]\n", 2, "honeypot.allow_countries[1]", `"JPN" is not a two-letter country code`},
	{"country per service", TOML, "[honeypot.http]\nallow_countries = [\"J1\"]\n", 2, "honeypot.http.allow_countries[0]", `"J1" is not a two-letter country code`},
	{"filter", YAML, "honeypot:\n  filter: reject\n", 2, "honeypot.filter", `"reject": give drop`},
	{"limit negative", YAML, "honeypot:\n  limits:\n    connections: -1\n", 3, "honeypot.limits.connections", "-1: must be positive"},
	{"limit duration negative", TOML, "[honeypot.limits]\nsession = \"-5m\"\n", 2, "honeypot.limits.session", "must be positive"},
	{"per source over connections", YAML, "honeypot:\n  limits:\n    connections: 10\n    per_source: 20\n", 4, "honeypot.limits.per_source", "20 is more than connections (10)"},
	{"port in two services", YAML, "honeypot:\n  telnet:\n    ports: [2323]\n  ssh:\n    ports: [2222, 2323]\n", 5, "honeypot.ssh.ports[1]", "port 2323 is also a telnet port (line 3: honeypot.telnet.ports[0])"},
	{"port in two services toml", TOML, "[honeypot.telnet]\nports = [2323]\n[honeypot.generic]\nports = [2323]\n", 4, "honeypot.generic.ports[0]", "port 2323 is also a telnet port (line 2: honeypot.telnet.ports[0])"},
	{"port of a default service", YAML, "honeypot:\n  generic:\n    ports: [5555, 23]\n", 3, "honeypot.generic.ports[1]", "port 23 is also a default telnet port"},
	{"port twice in a service", YAML, "honeypot:\n  telnet:\n    ports: [23, 23]\n", 3, "honeypot.telnet.ports[1]", "port 23 is listed twice (line 3: honeypot.telnet.ports[0])"},
	{"redirect on a listener", YAML, "honeypot:\n  redirect_port: 2323\n", 2, "honeypot.redirect_port", "port 2323 is also a default telnet port"},
	{"admin port on a listener", YAML, "honeypot:\n  admin_ports: [22]\n", 2, "honeypot.admin_ports[0]", "port 22 is also a default ssh port: a listener cannot share the machine's admin port"},
	{"api port", YAML, "listen: 127.0.0.1:2323\nhoneypot:\n  enabled: true\n", 1, "listen", "the API's port 2323 (listen 127.0.0.1:2323) is also a default telnet port"},
	{"api port explicit listener", YAML, "listen: \":9000\"\nhoneypot:\n  enabled: true\n  generic:\n    ports: [9000]\n", 1, "listen", "is also a generic port (line 5: honeypot.generic.ports[0])"},
	{"listen malformed", YAML, "listen: localhost\n", 1, "listen", `"localhost" is not HOST:PORT`},
	{"listen port", TOML, "listen = \"127.0.0.1:http\"\n", 1, "listen", `"http" is not a port`},
	{"lang", YAML, "lang: fr\n", 1, "lang", `"fr": give en or ja`},
	{"tls not listened", YAML, "honeypot:\n  http:\n    ports: [80]\n    tls_ports: [443]\n", 4, "honeypot.http.tls_ports[0]", "port 443 is not one of honeypot.http.ports (80): list it there too"},
	{"tls on telnet", YAML, "honeypot:\n  telnet:\n    tls_ports: [23]\n", 3, "honeypot.telnet.tls_ports[0]", "only the http service speaks TLS"},
	{"port banner key", YAML, "honeypot:\n  generic:\n    port_banners:\n      redis: \"-ERR\"\n", 4, "honeypot.generic.port_banners.redis", `"redis" is not a port`},
	{"port banner not generic port", TOML, "[honeypot.generic.port_banners]\n\"6380\" = \"-ERR\"\n", 2, "honeypot.generic.port_banners.6380", "port 6380 is not one of honeypot.generic.ports"},
	{"port banner on telnet", YAML, "honeypot:\n  telnet:\n    port_banners: {\"23\": x}\n", 3, "honeypot.telnet.port_banners.23", "port banners are the generic service's"},
	{"port banner value", YAML, "honeypot:\n  generic:\n    port_banners:\n      6379: [a]\n", 4, "honeypot.generic.port_banners.6379", "a list: give a text value"},
	{"banner size", YAML, "honeypot:\n  telnet:\n    banner: \"" + strings.Repeat("x", MaxBanner+1) + "\"\n", 3, "honeypot.telnet.banner", "4097 bytes, at most 4096"},
	{"hostname", YAML, "honeypot:\n  telnet:\n    hostname: \"dvr; rm\"\n", 3, "honeypot.telnet.hostname", "is not a host name"},
	{"sensor name", YAML, "honeypot:\n  name: my sensor\n", 2, "honeypot.name", "not allowed"},
	{"sensor name length", TOML, "[honeypot]\nname = \"" + strings.Repeat("a", 65) + "\"\n", 2, "honeypot.name", "65 characters long"},
	{"user", YAML, "honeypot:\n  user: \"Root User\"\n", 2, "honeypot.user", "is not an account name"},
	{"yaml syntax", YAML, "honeypot:\n  enabled: true\n   name: x\n", 3, "", "mapping values are not allowed"},
	{"yaml tab", YAML, "honeypot:\n\tenabled: true\n", 2, "", "found character that cannot start any token (a tab: YAML indents with spaces)"},
	{"toml syntax", TOML, "[honeypot]\nenabled = tru\n", 2, "", `expected value but found "tru"`},
	{"toml unclosed", TOML, "[honeypot\nenabled = true\n", 0, "", "to end table name"},
	{"two documents", YAML, "db: a\n---\ndb: b\n", 2, "", "a second YAML document"},
	{"alias bomb", YAML, aliasBomb(), 0, "", "too many values"},
	{"file not a map", YAML, "- a\n- b\n", 1, "", "a list: the file is a section of keys (db, tz,"},
	{"key not a word", YAML, "? [a, b]\n: c\n", 1, "", "a key must be a plain word"},
}

// aliasBomb is a small YAML file whose aliases expand to billions of values.
func aliasBomb() string {
	var b strings.Builder
	b.WriteString("a: &a [x, x, x, x, x, x, x, x, x, x]\n")
	prev := "a"
	for i := range 8 {
		name := "b" + strconv.Itoa(i)
		b.WriteString(name + ": &" + name + " [")
		for j := range 10 {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString("*" + prev)
		}
		b.WriteString("]\n")
		prev = name
	}
	return b.String()
}

func TestProblems(t *testing.T) {
	for _, c := range problemCases {
		t.Run(c.name, func(t *testing.T) {
			name := "honeyscope." + string(c.format)
			f, err := Parse(name, []byte(c.data), c.format)
			if err == nil {
				t.Fatalf("no error; got %+v", f.Honeypot)
			}
			var ce *Error
			if !errors.As(err, &ce) || len(ce.Problems) == 0 {
				t.Fatalf("error %v (%T) is not an *Error with problems", err, err)
			}
			var p *Problem
			for _, q := range ce.Problems {
				if strings.Contains(q.Msg, c.msg) && q.Key == c.key {
					p = q
					break
				}
			}
			if p == nil {
				t.Fatalf("no problem with key %q and message %q in:\n%v", c.key, c.msg, err)
			}
			if c.line > 0 && p.Line != c.line {
				t.Errorf("line %d, want %d: %v", p.Line, c.line, p)
			}
			want := "config " + name + ": "
			if c.line > 0 {
				want += "line " + strconv.Itoa(c.line) + ": "
			}
			if c.key != "" {
				want += c.key + ": "
			}
			if !strings.Contains(err.Error(), want) {
				t.Errorf("message %q does not contain %q", err.Error(), want)
			}
		})
	}
}

// TestProblemsTogether checks that one Load reports every problem of a file.
func TestProblemsTogether(t *testing.T) {
	data := "honeypot:\n  telnet:\n    ports: [70000]\n  filter: reject\n  limits:\n    idle: 3\n    bogus: 1\n"
	_, err := Parse("x.yaml", []byte(data), YAML)
	var ce *Error
	if !errors.As(err, &ce) {
		t.Fatalf("%v", err)
	}
	// Decoding problems are reported together; validation follows once
	// the file decodes.
	if len(ce.Problems) != 3 {
		t.Fatalf("%d problems, want 3:\n%v", len(ce.Problems), err)
	}
	if got := strings.Count(err.Error(), "\n") + 1; got != 3 {
		t.Errorf("%d lines, want 3:\n%v", got, err)
	}
}

func TestProblemsBounded(t *testing.T) {
	var b strings.Builder
	b.WriteString("honeypot:\n  telnet:\n    ports:\n")
	for range 50 {
		b.WriteString("      - 99999\n")
	}
	_, err := Parse("x.yaml", []byte(b.String()), YAML)
	var ce *Error
	if !errors.As(err, &ce) {
		t.Fatalf("%v", err)
	}
	if len(ce.Problems) != maxProblems || ce.More != 50-maxProblems {
		t.Fatalf("%d problems and %d more, want %d and %d", len(ce.Problems), ce.More, maxProblems, 50-maxProblems)
	}
	if !strings.HasSuffix(err.Error(), "and 30 more problems") {
		t.Errorf("message ends %q", err.Error()[len(err.Error())-40:])
	}
}

func TestLoadFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// Formats by extension, and by content for another extension.
	for _, c := range []struct{ name, data string }{
		{"a.yaml", "honeypot:\n  name: tokyo-1\n"},
		{"a.yml", "honeypot:\n  name: tokyo-1\n"},
		{"a.json", `{"honeypot": {"name": "tokyo-1"}}`},
		{"a.toml", "[honeypot]\nname = \"tokyo-1\"\n"},
		{"a.conf", "# comment\n\n[honeypot]\nname = \"tokyo-1\"\n"},
		{"b.conf", "honeypot:\n  name: tokyo-1\n"},
		{"c.conf", "honeypot.name = \"tokyo-1\"\n"},
	} {
		f, err := Load(write(c.name, c.data))
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if f.Honeypot.Name != "tokyo-1" || f.Path != filepath.Join(dir, c.name) {
			t.Errorf("%s: name %q path %q", c.name, f.Honeypot.Name, f.Path)
		}
	}
	// An empty file and a file of comments are the defaults.
	for _, data := range []string{"", "# nothing\n", "\n\n"} {
		f, err := Load(write("empty.yaml", data))
		if err != nil {
			t.Fatalf("%q: %v", data, err)
		}
		if f.Honeypot.Enabled || f.Honeypot.Name != DefaultName {
			t.Errorf("%q: %+v", data, f.Honeypot)
		}
	}
	// A missing file wraps fs.ErrNotExist and names the file.
	missing := filepath.Join(dir, "none.yaml")
	if _, err := Load(missing); !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), missing) {
		t.Errorf("missing file: %v", err)
	}
	// A directory and an oversized file are refused before reading.
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "directory") {
		t.Errorf("directory: %v", err)
	}
	big := write("big.yaml", "# "+strings.Repeat("x", MaxFileSize)+"\n")
	if _, err := Load(big); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("big file: %v", err)
	}
	// Errors of a loaded file name it.
	bad := write("bad.toml", "[honeypot]\nfilter = \"x\"\n")
	if _, err := Load(bad); err == nil || !strings.HasPrefix(err.Error(), "config "+bad+": line 2: honeypot.filter: ") {
		t.Errorf("bad file: %v", err)
	}
}

func TestFormatOf(t *testing.T) {
	for _, c := range []struct {
		path, data string
		want       Format
	}{
		{"x.YAML", "a = 1", YAML},
		{"x.toml", "a: 1", TOML},
		{"x", "[honeypot]\n", TOML},
		{"x", "[[a]]\n", TOML},
		{"x", "  # c\ndb = \"a\"\n", TOML},
		{"x", "db: a\n", YAML},
		{"x", "- a\n", YAML},
		{"x", "[a, b]\n", YAML}, // a YAML flow list, not a table
		{"x", "", YAML},
	} {
		if got := FormatOf(c.path, []byte(c.data)); got != c.want {
			t.Errorf("FormatOf(%q, %q) = %s, want %s", c.path, c.data, got, c.want)
		}
	}
}

// TestValues checks the values the decoder accepts, in both formats.
func TestValues(t *testing.T) {
	yml := `honeypot:
  enabled: true
  name: 東京-1
  bind: [127.0.0.1, "::1"]
  allow_countries: [jp, " kr"]
  commit_interval: 1m30s
  redirect_port: 65000
  admin_ports: [22222]
  telnet:
    ports: ["2323", 23]
    arch: [mips]
  ssh:
    ports: []
  http:
    ports: [8080, 8443]
  generic:
    ports: [6379]
    port_banners:
      6379: "-NOAUTH\r\n"
      9999: "x"
  credentials:
    accept: ["root:", "admin:a:b", "*:*"]
  limits:
    session_bytes: 1GiB
    line_bytes: 2048
    fs_bytes: 0x100000
    first_bytes: 512B
    idle: 30s
listen: "[::1]:9180"
`
	f, err := Parse("v.yaml", []byte(yml), YAML)
	if err != nil {
		t.Fatal(err)
	}
	h := f.Honeypot
	check := func(what string, got, want any) {
		t.Helper()
		if !equalJSON(got, want) {
			t.Errorf("%s = %v, want %v", what, got, want)
		}
	}
	check("name", h.Name, "東京-1")
	check("bind", h.Bind, []string{"127.0.0.1", "::1"})
	check("countries", h.AllowCountries, []string{"JP", "KR"})
	check("commit", h.CommitInterval.String(), "1m30s")
	check("redirect", h.Redirect, uint16(65000))
	check("admin", h.AdminPorts, []uint16{22222})
	check("telnet", h.Telnet.Ports, []uint16{2323, 23})
	check("telnet arch", h.Telnet.Arch, []string{"mips"})
	check("ssh off", h.SSH.Ports, []uint16{})
	check("http tls", h.HTTP.TLSPorts, []uint16{8443})
	check("banners", h.Generic.PortBanners, map[string]string{"6379": "-NOAUTH\r\n", "9999": "x"})
	check("accept", h.Credentials.Accept, []string{"root:", "admin:a:b", "*:*"})
	check("session bytes", h.Limits.SessionBytes, int64(1<<30))
	check("line bytes", h.Limits.LineBytes, 2048)
	check("fs bytes", h.Limits.FSBytes, int64(1<<20))
	check("first bytes", h.Limits.FirstBytes, 512)
	check("idle", h.Limits.Idle.String(), "30s")
	check("session", h.Limits.Session, DefaultLimits().Session)
	check("listen", f.Listen, "[::1]:9180")
	if h.SSH.Ports == nil {
		t.Error("an empty port list became nil: the service would take its defaults")
	}
}
