package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestRulesCheck(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "x.rules")
	os.WriteFile(f, []byte(`alert tcp any any -> any any (msg:"ok"; content:"a"; sid:1; rev:1;)
alert tcp any any -> any any (msg:"bad"; pcre:"/(a)\1/"; sid:2; rev:1;)
#alert tcp any any -> any any (msg:"off"; pcre:"/(?=x)/"; sid:3; rev:1;)
`), 0o644)
	out, err := run(t, "rules", "check", f)
	if err != nil {
		t.Fatal(err, out)
	}
	if !strings.Contains(out, "x.rules:2: sid 2: ") || !strings.Contains(out, "backreference") {
		t.Errorf("no reason for sid 2:\n%s", out)
	}
	if !strings.HasSuffix(out, "1 rules loaded, 1 unsupported\n") {
		t.Errorf("summary:\n%s", out)
	}
	out, _ = run(t, "rules", "check", "--include-disabled", dir)
	if !strings.HasSuffix(out, "1 rules loaded, 2 unsupported\n") || !strings.Contains(out, "sid 3: ") {
		t.Errorf("with disabled:\n%s", out)
	}
	if _, err := run(t, "rules", "check", "--var", "bad", f); err == nil {
		t.Error("--var without = accepted")
	}
}

func TestRulesTestJAWSCapture(t *testing.T) {
	pcap := "../../../shared/data/pcaps/exploits/sv_bug-5437-02_jaws-dvr-shell-wget.pcap"
	rules := "../../../shared/data/suricata-verify-expected/sv_bug-5437-02/test.rules"
	if _, err := os.Stat(pcap); err != nil {
		t.Skip("shared data not present")
	}
	out, err := run(t, "rules", "test", "--builtin", rules, pcap)
	if err != nil {
		t.Fatal(err, out)
	}
	// One line per alert: packet, gid:sid:rev, msg, addresses, offsets.
	line := regexp.MustCompile(`(?m)^(\d+) \[1:2030092:2\] ET MALWARE JAWS Webserver Unauthenticated Shell Command Execution \{TCP\} \S+ -> \S+:80 http\.\S+\[\d+:\d+\]$`)
	if n := len(line.FindAllString(out, -1)); n != 2 {
		t.Errorf("%d JAWS alert lines, want 2:\n%s", n, out)
	}
	if !strings.Contains(out, "[1:9000004:1] HONEYSCOPE JAWS") {
		t.Errorf("no built-in JAWS alert:\n%s", out)
	}
	if !strings.Contains(out, "sid 2200073: ipv4-csum not supported") || !strings.Contains(out, "60 packets") {
		t.Errorf("summary missing:\n%s", out)
	}
	if _, err := run(t, "rules", "test", pcap); err == nil {
		t.Error("rules test without rules accepted")
	}
}

func TestRulesDiff(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.rules"), filepath.Join(dir, "b.rules")
	os.WriteFile(a, []byte(`alert tcp any any -> any any (msg:"same"; content:"a"; sid:1; rev:1;)
alert tcp any any -> any any (msg:"bumped"; content:"b"; sid:2; rev:1;)
alert tcp any any -> any any (msg:"gone"; content:"c"; sid:3; rev:1;)
`), 0o644)
	os.WriteFile(b, []byte(`alert tcp any any -> any any (msg:"same"; content:"a"; sid:1; rev:1;)
alert tcp any any -> any any (msg:"bumped"; content:"bb"; sid:2; rev:2;)
#alert tcp any any -> any any (msg:"new, disabled"; pcre:"/(a)\1/"; sid:4; rev:1;)
`), 0o644)
	out, err := run(t, "rules", "diff", a, b)
	if err != nil {
		t.Fatal(err, out)
	}
	want := "added   1:4:1 new, disabled\nremoved 1:3:1 gone\nchanged 1:2:1 -> 2 bumped\n1 added, 1 removed, 1 changed\n"
	if out != want {
		t.Errorf("diff:\n%s\nwant:\n%s", out, want)
	}
	if _, err := run(t, "rules", "diff", a); err == nil {
		t.Error("diff of one set accepted")
	}
	if _, err := run(t, "rules", "diff", a, filepath.Join(dir, "absent.rules")); err == nil {
		t.Error("diff with a missing path accepted")
	}
}
