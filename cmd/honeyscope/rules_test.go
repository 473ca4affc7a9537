package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/honeyscope/honeyscope/internal/store/duckstore"
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

// TestRuleSetsInStore: rules add / list / show / diff by name, and ingests
// recording the rule set that classified them: the active stored set, or
// the --rules files as an ad-hoc set; stats --by pattern names the rules.
func TestRuleSetsInStore(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "s.duckdb")
	a, b := filepath.Join(dir, "a.rules"), filepath.Join(dir, "b.rules")
	os.WriteFile(a, []byte("alert tcp any any -> any any (msg:\"one\"; content:\"zzqq\"; classtype:misc-attack; sid:7000001; rev:1;)\n"), 0o644)
	os.WriteFile(b, []byte("alert tcp any any -> any any (msg:\"one\"; content:\"zzqq\"; sid:7000001; rev:2;)\nalert tcp any any -> any any (msg:\"two\"; content:\"qqzz\"; sid:7000002; rev:1;)\n"), 0o644)
	capPath := filepath.Join(dir, "radiation.pcap")
	if _, err := run(t, "synth", "--out", capPath, "--packets", "20000", "--days", "2", "--seed", "5"); err != nil {
		t.Fatal(err)
	}
	if out, err := run(t, "rules", "add", "--db", db, "--name", "local", "--version", "1", a); err != nil || !strings.Contains(out, "rule set #1 local: 1 files, 1 rules") {
		t.Fatalf("add: %v %s", err, out)
	}
	if out, err := run(t, "rules", "add", "--db", db, "--name", "local", "--version", "2", "--from", "2999-01-01", b); err != nil || !strings.Contains(out, "#2") {
		t.Fatalf("add: %v %s", err, out)
	}
	if _, err := run(t, "rules", "add", "--db", db, a); err == nil {
		t.Error("add without --name accepted")
	}
	out, err := run(t, "rules", "list", "--db", db, "--format", "json")
	var sets []map[string]any
	if err != nil || json.Unmarshal([]byte(out), &sets) != nil || len(sets) != 2 || sets[1]["active_from"] != "2999-01-01" {
		t.Fatalf("list: %v %s", err, out)
	}
	out, err = run(t, "rules", "show", "--db", db, "local")
	if err != nil || !strings.Contains(out, "1:7000001:2") || !strings.Contains(out, "1:7000002:1") || !strings.Contains(out, "b.rules") {
		t.Errorf("show: %v\n%s", err, out)
	}
	out, err = run(t, "rules", "diff", "--db", db, "#1", "local")
	if err != nil || !strings.HasSuffix(out, "1 added, 0 removed, 1 changed\n") {
		t.Errorf("diff of stored sets: %v\n%s", err, out)
	}
	// Set #1 is the active one today (#2 only from 2999).
	if out, err := run(t, "ingest", "-q", "--db", db, "--sensor", "s1", capPath); err != nil {
		t.Fatalf("ingest: %v\n%s", err, out)
	}
	cap2 := filepath.Join(dir, "radiation2.pcap")
	if _, err := run(t, "synth", "--out", cap2, "--packets", "20000", "--days", "2", "--seed", "6"); err != nil {
		t.Fatal(err)
	}
	c := filepath.Join(dir, "c.rules")
	os.WriteFile(c, []byte("alert tcp any any -> any any (msg:\"three\"; content:\"qzqz\"; sid:7000003; rev:1;)\n"), 0o644)
	if out, err := run(t, "ingest", "-q", "--db", db, "--sensor", "s2", "--rules", c, cap2); err != nil {
		t.Fatalf("ingest --rules: %v\n%s", err, out)
	}
	out, err = run(t, "rules", "list", "--db", db)
	if err != nil || !strings.Contains(out, "(ad hoc)") {
		t.Errorf("list after ingest --rules: %v\n%s", err, out)
	}
	st, err := duckstore.Open(context.Background(), db, duckstore.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int32{}
	rows, err := st.DB().Query(`SELECT sensor, coalesce(rule_set, 0) FROM ingests`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var s string
		var id int32
		rows.Scan(&s, &id)
		got[s] = id
	}
	rows.Close()
	st.Close()
	if got["s1"] != 1 || got["s2"] != 3 {
		t.Errorf("rule sets of the ingests: %v, want s1 1 (active) and s2 3 (ad hoc)", got)
	}
	out, err = run(t, "stats", "--db", db, "--by", "pattern", "--format", "json")
	var ps []map[string]any
	if err != nil || json.Unmarshal([]byte(out), &ps) != nil || len(ps) == 0 {
		t.Fatalf("stats --by pattern: %v %s", err, out)
	}
	for _, p := range ps {
		id, _ := p["pattern"].(string)
		if f := strings.Split(id, ":"); len(f) != 3 || p["sid"] != f[1] || p["msg"] == "" {
			t.Errorf("pattern row %v: want gid:sid:rev with its sid and msg", p)
		}
	}
}
