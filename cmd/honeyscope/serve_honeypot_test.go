package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	svcconfig "github.com/honeyscope/honeyscope/internal/config"
)

// TestServeExampleConfig: --example-config prints the documented example
// in either format, and what it prints loads as a config file.
func TestServeExampleConfig(t *testing.T) {
	for _, format := range []string{"yaml", "toml"} {
		out, err := run(t, "serve", "--example-config", "--format", format)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out, "honeypot") || !strings.Contains(out, "allow_countries") {
			t.Errorf("%s example lacks the honeypot section:\n%.300s", format, out)
		}
		p := filepath.Join(t.TempDir(), "honeyscope."+format)
		if err := os.WriteFile(p, []byte(out), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := svcconfig.Load(p); err != nil {
			t.Errorf("%s example does not load: %v", format, err)
		}
	}
	if _, err := run(t, "serve", "--example-config", "--format", "ini"); err == nil || !strings.Contains(err.Error(), "yaml or toml") {
		t.Errorf("--format ini: %v", err)
	}
}

// TestServePrintNFT: --print-nft redirects every port but the listeners'
// and the admin ports to the redirect listener, and says how to remove it.
func TestServePrintNFT(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "hp.yaml")
	os.WriteFile(cfg, []byte("honeypot:\n  enabled: true\n  redirect_port: 65000\n  admin_ports: [2222]\n"), 0o600)
	out, err := run(t, "--config", cfg, "serve", "--print-nft", "--nft-iface", "eth0")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"table inet honeyscope", "65000", "2222", "eth0", "nft delete table inet honeyscope"} {
		if !strings.Contains(out, want) {
			t.Errorf("--print-nft output lacks %q:\n%s", want, out)
		}
	}
	if _, err := run(t, "serve", "--print-nft", "--nft-iface", "eth0; drop"); err == nil {
		t.Error("--nft-iface with a rule in it accepted")
	}
}

// TestServeHoneypotConfigErrors: a bad port flag and a bad config key are
// refused before anything starts, naming the flag, or the key and line.
func TestServeHoneypotConfigErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := run(t, "serve", "--db", filepath.Join(dir, "a.duckdb"), "--telnet", "70000"); err == nil || !strings.Contains(err.Error(), "--telnet 70000") {
		t.Errorf("--telnet 70000: %v", err)
	}
	cfg := filepath.Join(dir, "bad.yaml")
	os.WriteFile(cfg, []byte("honeypot:\n  enabled: true\n  telnet:\n    portz: [23]\n"), 0o600)
	_, err := run(t, "--config", cfg, "serve", "--db", filepath.Join(dir, "b.duckdb"))
	if err == nil || !strings.Contains(err.Error(), "line 4") || !strings.Contains(err.Error(), "portz") {
		t.Errorf("unknown key: %v", err)
	}
	// The API and an HTTP listener on one port: the API moves when
	// --listen was not given, and an explicit --listen that clashes is an
	// error naming listen.
	_, err = run(t, "serve", "--db", filepath.Join(dir, "c.duckdb"), "--listen", "127.0.0.1:8080", "--bind", "127.0.0.1", "--http", "8080", "--print-nft")
	if err == nil || !strings.Contains(err.Error(), "listen") {
		t.Errorf("explicit clashing --listen: %v", err)
	}
}
