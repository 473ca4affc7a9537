package config

import (
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestFetcherSection: the fetcher section reads the same from YAML and
// TOML, and bad values are refused with their key and line.
func TestFetcherSection(t *testing.T) {
	want := Fetcher{Enabled: true, MaxBytes: 8 << 20, Timeout: time.Minute, MaxRedirects: -1, Proxy: "socks5://127.0.0.1:1080",
		Deny: []string{"192.0.2.0/24"}, Allow: []string{"127.0.0.0/8"}, SourceAddr: "2001:db8::1"}
	y := "fetcher:\n  enabled: true\n  max_bytes: 8MiB\n  timeout: 1m\n  max_redirects: -1\n  proxy: socks5://127.0.0.1:1080\n  deny: [192.0.2.0/24]\n  allow: [127.0.0.0/8]\n  source_addr: \"2001:db8::1\"\n"
	tm := "[fetcher]\nenabled = true\nmax_bytes = \"8MiB\"\ntimeout = \"1m\"\nmax_redirects = -1\nproxy = \"socks5://127.0.0.1:1080\"\ndeny = [\"192.0.2.0/24\"]\nallow = [\"127.0.0.0/8\"]\nsource_addr = \"2001:db8::1\"\n"
	for _, c := range []struct {
		name, text string
		format     Format
	}{{"f.yaml", y, YAML}, {"f.toml", tm, TOML}} {
		f, err := Parse(c.name, []byte(c.text), c.format)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if !reflect.DeepEqual(f.Fetcher, want) {
			t.Errorf("%s: %+v, want %+v", c.name, f.Fetcher, want)
		}
	}
	for _, bad := range []struct{ text, key, line, msg string }{
		{"fetcher:\n  max_bytes: 64MiB\n", "fetcher.max_bytes", "line 2", "sample store"},
		{"fetcher:\n  enabled: true\n  timeout: 10ms\n", "fetcher.timeout", "line 3", "at least 1s"},
		{"fetcher:\n  idle: 5m\n", "fetcher.idle", "line 2", "at most the timeout"},
		{"fetcher:\n  max_redirects: 50\n", "fetcher.max_redirects", "line 2", "-1 to 20"},
		{"fetcher:\n  concurrency: -2\n", "fetcher.concurrency", "line 2", "0 to 256"},
		{"fetcher:\n  source_addr: eth0\n", "fetcher.source_addr", "line 2", "not an IP address"},
		{"fetcher:\n  interface: \"a/b\"\n", "fetcher.interface", "line 2", "not an interface"},
		{"fetcher:\n  proxy: ftp://h:21\n", "fetcher.proxy", "line 2", "scheme"},
		{"fetcher:\n  proxy: socks5://h\n", "fetcher.proxy", "line 2", "not a proxy URL"},
		{"fetcher:\n  deny: [10.0.0.0/8, nonsense]\n", "fetcher.deny[1]", "line 2", "not an address or CIDR"},
		{"fetcher:\n  user_agent: \"a\\nb\"\n", "fetcher.user_agent", "line 2", "one line"},
		{"fetcher:\n  enable: true\n", "fetcher.enable", "line 2", "enabled"},
	} {
		f, err := Parse("b.yaml", []byte(bad.text), YAML)
		if err == nil {
			err = f.Validate()
		}
		if err == nil || !strings.Contains(err.Error(), bad.key) || !strings.Contains(err.Error(), bad.line) || !strings.Contains(err.Error(), bad.msg) {
			t.Errorf("%q: %v, want a problem with %s at %s (%s)", bad.text, err, bad.key, bad.line, bad.msg)
		}
	}
	p, err := Prefixes([]string{"10.1.2.3/8", " 2001:db8::1 "})
	if err != nil || len(p) != 2 || p[0] != netip.MustParsePrefix("10.0.0.0/8") || p[1] != netip.MustParsePrefix("2001:db8::1/128") {
		t.Errorf("Prefixes: %v %v", p, err)
	}
}
