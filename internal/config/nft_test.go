package config

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func nftHoneypot() *Honeypot {
	h := &Honeypot{Redirect: 65000, AdminPorts: []uint16{22222, 9180}}
	h.ApplyDefaults()
	return h
}

// setElements returns the elements of a named set in the ruleset.
func setElements(t *testing.T, rules, set string) string {
	t.Helper()
	m := regexp.MustCompile(`(?s)set ` + set + ` \{.*?\n\t\}`).FindString(rules)
	if m == "" {
		t.Fatalf("no set %s in\n%s", set, rules)
	}
	e := regexp.MustCompile(`elements = \{ ([^}]*) \}`).FindStringSubmatch(m)
	if e == nil {
		return ""
	}
	return e[1]
}

func TestNFTText(t *testing.T) {
	h := nftHoneypot()
	rules, err := NFT(h, "eth0")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := setElements(t, rules, "listeners"), "22, 23, 80, 81, 445, 1433, 2323, 3389, 5555, 6379, 7547, 8000, 8080, 8443, 9000, 37215, 52869, 65000"; got != want {
		t.Errorf("listeners = %s\nwant %s", got, want)
	}
	if got := setElements(t, rules, "admin"); got != "9180, 22222" {
		t.Errorf("admin = %s", got)
	}
	for _, want := range []string{
		"table inet honeyscope {",
		"type nat hook prerouting priority dstnat; policy accept;",
		`iifname != "eth0" return`,
		"tcp dport @admin return",
		"tcp dport @listeners return",
		"meta l4proto tcp redirect to :65000",
		"# Remove: nft delete table inet honeyscope",
	} {
		if !strings.Contains(rules, want) {
			t.Errorf("ruleset lacks %q:\n%s", want, rules)
		}
	}
	// The admin and listener ports are returned from before the redirect.
	if strings.Index(rules, "@admin return") > strings.Index(rules, "redirect to") || strings.Index(rules, "@listeners return") > strings.Index(rules, "redirect to") {
		t.Error("a port kept out is only checked after the redirect")
	}
	if strings.Contains(rules, "WARNING") || strings.Contains(rules, "redirect_port is not set") {
		t.Error("warnings on a complete config")
	}
	if NFTRemove() != "nft delete table inet honeyscope\n" {
		t.Errorf("NFTRemove = %q", NFTRemove())
	}

	// Unset redirect and admin ports: the default redirect port, and
	// comments saying what to set.
	h2 := &Honeypot{Telnet: Service{Ports: []uint16{}}}
	h2.ApplyDefaults()
	rules, err = NFT(h2, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"redirect_port is not set", "WARNING: no admin_ports", "redirect to :65000"} {
		if !strings.Contains(rules, want) {
			t.Errorf("ruleset lacks %q", want)
		}
	}
	if strings.Contains(rules, "iifname !=") {
		t.Error("an interface match without an interface")
	}
	if got := setElements(t, rules, "admin"); got != "" {
		t.Errorf("admin = %q", got)
	}
	if strings.Contains(setElements(t, rules, "listeners"), "23,") {
		t.Error("telnet is off, its port is still kept out")
	}

	// An interface name cannot carry anything into the ruleset.
	for _, bad := range []string{`eth0"; flush ruleset; "`, "a b", "verylonginterface0", "eth\n0"} {
		if _, err := NFT(h, bad); err == nil {
			t.Errorf("interface %q accepted", bad)
		}
	}
	if _, err := NFT(h, "enp*"); err != nil {
		t.Errorf("wildcard interface: %v", err)
	}
}

// TestNFTParses checks the ruleset with nft itself when it is installed:
// `nft -c -f` (check only), then, as root in a new network namespace,
// loading it twice (it replaces itself) and removing it.
func TestNFTParses(t *testing.T) {
	nft, err := exec.LookPath("nft")
	if err != nil {
		t.Skip("nft is not installed (apt package nftables)")
	}
	if os.Geteuid() != 0 {
		t.Skip("nft needs root, even to check a ruleset")
	}
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		t.Skip("unshare is not installed")
	}
	if out, err := exec.Command(unshare, "-n", "true").CombinedOutput(); err != nil {
		t.Skipf("cannot make a network namespace: %v %s", err, out)
	}
	dir := t.TempDir()
	for i, c := range []struct {
		h     *Honeypot
		iface string
	}{
		{nftHoneypot(), "eth0"},
		{nftHoneypot(), ""},
		{nftHoneypot(), "enp*"},
		{func() *Honeypot { h := &Honeypot{}; h.ApplyDefaults(); return h }(), "eth0"},
	} {
		rules, err := NFT(c.h, c.iface)
		if err != nil {
			t.Fatal(err)
		}
		file := filepath.Join(dir, "rules.nft")
		if err := os.WriteFile(file, []byte(rules), 0o600); err != nil {
			t.Fatal(err)
		}
		script := strings.Join([]string{
			nft + " -c -f " + file,
			nft + " -f " + file,
			nft + " -f " + file,
			nft + " list table inet honeyscope",
			strings.Replace(strings.TrimSpace(NFTRemove()), "nft", nft, 1),
			"! " + nft + " list table inet honeyscope 2>/dev/null",
		}, " && ")
		out, err := exec.Command(unshare, "-n", "sh", "-c", script).CombinedOutput()
		if err != nil {
			t.Fatalf("case %d: %v\n%s\nruleset:\n%s", i, err, out, rules)
		}
		if !strings.Contains(string(out), "redirect to :65000") {
			t.Errorf("case %d: the loaded table lacks the redirect:\n%s", i, out)
		}
	}
}
