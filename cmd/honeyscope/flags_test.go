package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/honeyscope/honeyscope/internal/capture"
	"github.com/honeyscope/honeyscope/internal/classify"
	"github.com/honeyscope/honeyscope/internal/ingest"
	"github.com/honeyscope/honeyscope/internal/synth"
)

// runSplit executes the CLI with args and returns stdout, stderr and the error.
func runSplit(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	root := newRoot()
	var out, errw bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errw)
	root.SetArgs(args)
	err := root.Execute()
	return out.String(), errw.String(), err
}

// checkInvocation parses args as the CLI would and runs every check that
// comes before a command's work (flag parsing, argument count, the root's
// config and --lang handling, the command's PreRunE), without running it.
func checkInvocation(args []string) error {
	root := newRoot()
	cmd, rest, err := root.Find(args)
	if err != nil {
		return err
	}
	if err := cmd.ParseFlags(rest); err != nil {
		return err
	}
	if err := cmd.ValidateArgs(cmd.Flags().Args()); err != nil {
		return err
	}
	if err := root.PersistentPreRunE(cmd, cmd.Flags().Args()); err != nil {
		return err
	}
	if cmd.PreRunE != nil {
		return cmd.PreRunE(cmd, cmd.Flags().Args())
	}
	return nil
}

// shellWords splits a command line as sh would for the simple lines in the
// documentation: blanks separate words, quotes group, # starts a comment.
func shellWords(line string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	var quote rune
	for _, r := range line {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			cur.WriteRune(r)
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case r == '#' && !inWord:
			return words, nil
		case r == ' ' || r == '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("unclosed quote in %q", line)
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

// isolateConfig keeps a settings file of the machine out of the test.
func isolateConfig(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	t.Setenv("HOME", t.TempDir())
}

// TestDocumentedExamplesParse checks that every example command in README.md
// and in the commands' --help passes the CLI's flag checks.
func TestDocumentedExamplesParse(t *testing.T) {
	isolateConfig(t)
	type example struct{ where, line string }
	var examples []example
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(bytes.NewReader(readme))
	inCode := false
	for sc.Scan() {
		l := sc.Text()
		if strings.HasPrefix(l, "```") {
			inCode = !inCode
			continue
		}
		if inCode && strings.HasPrefix(l, "honeyscope ") {
			examples = append(examples, example{"README.md", l})
		}
	}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for _, l := range strings.Split(c.Example, "\n") {
			if l = strings.TrimSpace(l); l != "" {
				examples = append(examples, example{c.CommandPath() + " --help", l})
			}
		}
		for _, s := range c.Commands() {
			walk(s)
		}
	}
	walk(newRoot())
	if len(examples) < 20 {
		t.Fatalf("found only %d examples", len(examples))
	}
	for _, ex := range examples {
		words, err := shellWords(ex.line)
		if err != nil || len(words) < 2 || words[0] != "honeyscope" {
			t.Errorf("%s: cannot read %q: %v", ex.where, ex.line, err)
			continue
		}
		if err := checkInvocation(words[1:]); err != nil {
			t.Errorf("%s: %s: %v", ex.where, ex.line, err)
		}
	}
	// The example the audit found broken stays rejected, with a message that
	// says where the ASN database goes.
	err = checkInvocation([]string{"stats", "--country", "JP", "--by", "asn,day", "--class", "mirai", "--asn", "asn.mmdb"})
	if err == nil || !strings.Contains(err.Error(), "geo reassign") {
		t.Errorf("stats --asn asn.mmdb: %v", err)
	}
}

// TestFlagValueNames checks the value names cobra shows in --help: they come
// from the first back-quoted word of a usage string, so prose in back quotes
// turns into a wrong placeholder ("--asn geoip build-asn").
func TestFlagValueNames(t *testing.T) {
	want := map[string]string{"asn": "FILE", "geoip": "FILE", "db": "FILE", "config": "FILE"}
	seen := map[string]bool{}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		check := func(f *pflag.Flag) {
			name, usage := pflag.UnquoteUsage(f)
			if strings.ContainsAny(name, " .") || strings.Contains(usage, "geoip build-asn") {
				t.Errorf("%s --%s: value name %q, usage %q", c.CommandPath(), f.Name, name, usage)
			}
			if w, ok := want[f.Name]; ok && c.Name() != "stats" && c.Name() != "srcports" { // their --asn is an AS number, as a filter
				seen[f.Name] = true
				if name != w {
					t.Errorf("%s --%s: value name %q, want %q", c.CommandPath(), f.Name, name, w)
				}
			}
		}
		c.LocalFlags().VisitAll(check)
		for _, s := range c.Commands() {
			walk(s)
		}
	}
	walk(newRoot())
	for f := range want {
		if !seen[f] {
			t.Errorf("no command has --%s", f)
		}
	}
	docs, err := os.ReadFile("../../docs/commands.md")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(docs, []byte("--asn geoip")) {
		t.Error("docs/commands.md still shows --asn geoip build-asn")
	}
}

// TestLang checks --lang everywhere it exists: only en and ja, and the
// config file's lang applies when the flag is not given.
func TestLang(t *testing.T) {
	isolateConfig(t)
	var withLang [][]string
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c.LocalFlags().Lookup("lang") != nil {
			withLang = append(withLang, strings.Fields(c.CommandPath())[1:])
		}
		for _, s := range c.Commands() {
			walk(s)
		}
	}
	walk(newRoot())
	if len(withLang) < 5 {
		t.Fatalf("--lang on only %v", withLang)
	}
	dir := t.TempDir()
	badCfg := filepath.Join(dir, "bad.json")
	os.WriteFile(badCfg, []byte(`{"lang": "fr"}`), 0o644)
	for _, path := range withLang {
		var extra []string
		switch path[len(path)-1] {
		case "lookup":
			extra = []string{"8.8.8.8"}
		case "show":
			extra = []string{"0123456789abcdef"}
		case "add":
			extra = []string{"sample.bin"}
		}
		args := append(append(append([]string{}, path...), "--lang", "fr"), extra...)
		err := checkInvocation(args)
		if err == nil || !strings.Contains(err.Error(), `--lang "fr": want en or ja`) {
			t.Errorf("%v: %v", args, err)
		}
		args = append(append([]string{"--config", badCfg}, path...), extra...)
		err = checkInvocation(args)
		if err == nil || !strings.Contains(err.Error(), badCfg) || !strings.Contains(err.Error(), "want en or ja") {
			t.Errorf("%v: %v", args, err)
		}
		// An explicit --lang wins over the config file.
		args = append(append(append([]string{"--config", badCfg}, path...), "--lang", "ja"), extra...)
		if err := checkInvocation(args); err != nil {
			t.Errorf("%v: %v", args, err)
		}
	}

	jaCfg := filepath.Join(dir, "ja.json")
	os.WriteFile(jaCfg, []byte(`{"lang": "ja"}`), 0o644)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--config", jaCfg, "geo", "lookup", "--format", "json", "133.11.0.1"}, "日本"},
		{[]string{"--config", jaCfg, "geo", "lookup", "--format", "json", "--lang", "en", "133.11.0.1"}, "Japan"},
		{[]string{"geo", "lookup", "--format", "json", "133.11.0.1"}, "Japan"},
	} {
		out, err := run(t, tc.args...)
		if err != nil {
			t.Fatalf("%v: %v", tc.args, err)
		}
		var rows []lookupRow
		if err := json.Unmarshal([]byte(out), &rows); err != nil || len(rows) != 1 {
			t.Fatalf("%v: %v\n%s", tc.args, err, out)
		}
		if rows[0].CountryName != tc.want {
			t.Errorf("%v: country_name %q, want %q", tc.args, rows[0].CountryName, tc.want)
		}
	}
}

func TestStatsFlagErrors(t *testing.T) {
	isolateConfig(t)
	db := filepath.Join(t.TempDir(), "none.duckdb")
	for _, tc := range []struct {
		args []string
		want string // "" = accepted
	}{
		{[]string{"--top", "-1"}, "--top -1: want 0 (all rows) or more"},
		{[]string{"--from", "2026-05-10", "--to", "2026-05-01"}, "--from 2026-05-10 is after --to 2026-05-01"},
		{[]string{"--from", "2026-5-1"}, "--from"},
		{[]string{"--port", "abc"}, `--port "abc": not a port number (0-65535)`},
		{[]string{"--port", "23,70000"}, `--port "70000": not a port number (0-65535)`},
		{[]string{"--port", "-1"}, `--port "-1": not a port number (0-65535)`},
		{[]string{"--country", "JPN"}, "country codes are two letters (ISO 3166-1 alpha-2), got JPN"},
		{[]string{"--country", "JP,1X"}, "got 1X"},
		{[]string{"--asn", "asn.mmdb"}, `--asn "asn.mmdb": not an AS number`},
		{[]string{"--lang", "de"}, `--lang "de": want en or ja`},
		{[]string{"--by", "day,nonsense"}, `--by "nonsense"`},
		{[]string{"--class", "mirai,bogus"}, `--class "bogus"`},
		{[]string{"--order", "size"}, `--order "size"`},
		{[]string{"--format", "xml"}, `--format "xml"`},
		{[]string{"--proto", "sctpx"}, "--proto"},
		{[]string{"--top", "0", "--port", "0,23,65535", "--country", "ZZ,??,jp,US", "--asn", "2914,AS4713,as7"}, ""},
		{[]string{"--from", "2026-05-01", "--to", "2026-05-01", "--by", "asn,day", "--class", "mirai", "--lang", "ja"}, ""},
	} {
		args := append([]string{"stats", "--db", db}, tc.args...)
		err := checkInvocation(args)
		if tc.want == "" {
			if err != nil {
				t.Errorf("%v: %v", tc.args, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: err %v, want %q", tc.args, err, tc.want)
		}
		// Through the whole CLI: the same error, and no store created.
		if _, err := run(t, args...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("run %v: err %v, want %q", tc.args, err, tc.want)
		}
		if _, err := os.Stat(db); err == nil {
			t.Fatalf("%v created the store", tc.args)
		}
	}
	// The parsed values reach the query.
	ports, err := parsePorts([]string{"0,23", "65535"})
	if err != nil || fmt.Sprint(ports) != "[0 23 65535]" {
		t.Errorf("parsePorts: %v %v", ports, err)
	}
	asns, err := parseASNs([]string{"2914,AS4713", "as7"})
	if err != nil || fmt.Sprint(asns) != "[2914 4713 7]" {
		t.Errorf("parseASNs: %v %v", asns, err)
	}
}

// TestSynthBadFlagsKeepFile checks that a rejected flag leaves an existing
// --out file as it was.
func TestSynthBadFlagsKeepFile(t *testing.T) {
	dir := t.TempDir()
	keep := filepath.Join(dir, "keep.pcap")
	for _, tc := range []struct {
		flags []string
		want  string
	}{
		{[]string{"--format", "foo"}, `--format "foo"`},
		{[]string{"--packets", "-5"}, "--packets -5"},
		{[]string{"--days", "0"}, "--days 0"},
		{[]string{"--days", "100000"}, "days"},
		{[]string{"--start", "May 1"}, "--start"},
		{[]string{"--sensor-net", "2001:db8::/64"}, "sensor net"},
		{[]string{"--spike", "IT:99:3"}, "spike"},
		{[]string{"--spike", "XX:1:3"}, "XX"},
		{[]string{"--spike", "IT:1"}, "IT:1"},
	} {
		if err := os.WriteFile(keep, []byte("precious"), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := run(t, append([]string{"synth", "--out", keep, "--packets", "100"}, tc.flags...)...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: err %v, want %q", tc.flags, err, tc.want)
		}
		if b, _ := os.ReadFile(keep); string(b) != "precious" {
			t.Errorf("%v: --out file changed to %d bytes", tc.flags, len(b))
		}
		if _, err := os.Stat(keep + ".truth.json"); err == nil {
			t.Errorf("%v: truth file written", tc.flags)
		}
	}
}

// TestGeoLookupJapaneseTable checks that the table's columns line up when
// country names are in Japanese (two columns per character).
func TestGeoLookupJapaneseTable(t *testing.T) {
	isolateConfig(t)
	out, err := run(t, "geo", "lookup", "--lang", "ja", "8.8.8.8", "133.11.0.1", "192.168.1.1")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	lines := strings.Split(out, "\n")
	if len(lines) < 4 || !strings.Contains(out, "日本") || !strings.Contains(lines[3], "private") {
		t.Fatalf("unexpected output:\n%s", out)
	}
	col := func(line, word string) int {
		i := strings.Index(line, word)
		if i < 0 {
			t.Fatalf("%q not in %q", word, line)
		}
		return displayWidth(line[:i])
	}
	if h, r := col(lines[0], "special"), col(lines[3], "private"); h != r {
		t.Errorf("special column starts at %d in the header, %d in the row:\n%s", h, r, out)
	}
	if h, r := col(lines[0], "name"), col(lines[2], "日本"); h != r {
		t.Errorf("name column starts at %d in the header, %d in the row:\n%s", h, r, out)
	}
}

// TestGeoLookupBadAddress checks that good addresses are printed around bad
// ones, each bad one has its error line, and the exit status is 1.
func TestGeoLookupBadAddress(t *testing.T) {
	isolateConfig(t)
	for _, format := range []string{"json", "table"} {
		out, errOut, err := runSplit(t, "geo", "lookup", "--format", format, "notanip", "8.8.8.8", "192.0.2.999", "192.168.1.1")
		var ee exitError
		if !errors.As(err, &ee) || ee.code != 1 {
			t.Errorf("%s: err %v, want exit status 1", format, err)
		}
		for _, bad := range []string{`"notanip" is not an IP address`, `"192.0.2.999" is not an IP address`} {
			if !strings.Contains(errOut, bad) {
				t.Errorf("%s: stderr lacks %s:\n%s", format, bad, errOut)
			}
		}
		if format == "table" {
			if !strings.Contains(out, "8.8.8.8") || !strings.Contains(out, "192.168.1.1") || strings.Contains(out, "notanip") {
				t.Errorf("table:\n%s", out)
			}
			continue
		}
		var rows []map[string]any
		if err := json.Unmarshal([]byte(out), &rows); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		if len(rows) != 2 || rows[0]["ip"] != "8.8.8.8" || rows[1]["ip"] != "192.168.1.1" {
			t.Fatalf("rows: %v", rows)
		}
		// Every object has every key, even when empty.
		keys := []string{"ip", "country", "country_name", "asn", "as_org", "special", "database"}
		for _, r := range rows {
			if len(r) != len(keys) {
				t.Errorf("keys of %v, want %v", r, keys)
			}
			for _, k := range keys {
				if _, ok := r[k]; !ok {
					t.Errorf("%v lacks %q", r["ip"], k)
				}
			}
		}
		// The builtin ASN table answers without --asn.
		if rows[0]["asn"] != 15169.0 || rows[0]["as_org"] != "Google LLC" || rows[0]["special"] != "" || rows[1]["special"] != "private" {
			t.Errorf("values: %v", rows)
		}
	}
	// Only bad addresses: still an empty JSON list, and exit status 1.
	out, _, err := runSplit(t, "geo", "lookup", "--format", "json", "nope")
	if strings.TrimSpace(out) != "[]" || err == nil {
		t.Errorf("only bad: %q, %v", out, err)
	}
}

// TestIngestMissingPaths checks that arguments naming nothing are reported
// one by one while the other paths are ingested.
func TestIngestMissingPaths(t *testing.T) {
	isolateConfig(t)
	dir := t.TempDir()
	good := filepath.Join(dir, "good.pcap")
	if _, err := run(t, "synth", "--out", good, "--packets", "2000", "--days", "1"); err != nil {
		t.Fatal(err)
	}
	truth, err := synth.ReadTruth(good + ".truth.json")
	if err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(dir, "s.duckdb")
	missing := filepath.Join(dir, "missing.pcap")
	glob := filepath.Join(dir, "nomatch-*.pcap")
	out, errOut, err := runSplit(t, "ingest", "-q", "--db", db, missing, good, glob)
	var ee exitError
	if !errors.As(err, &ee) || ee.code != 1 {
		t.Fatalf("err %v, want exit status 1\n%s%s", err, out, errOut)
	}
	if !strings.Contains(errOut, "error: "+missing+": no such file or directory\n") ||
		!strings.Contains(errOut, "error: "+glob+": no file matches the pattern\n") {
		t.Errorf("stderr does not name both bad arguments:\n%s", errOut)
	}
	if !strings.HasPrefix(out, "ingested 1 file, failed 2 (nothing kept): ") {
		t.Errorf("summary: %s", out)
	}
	out, err = run(t, "stats", "--db", db, "--format", "json")
	if err != nil {
		t.Fatal(err)
	}
	var rows []map[string]float64
	if err := json.Unmarshal([]byte(out), &rows); err != nil || len(rows) != 1 || rows[0]["packets"] != float64(truth.Packets) {
		t.Errorf("stats after partial ingest: %v %s (truth %d packets)", err, out, truth.Packets)
	}
	// Nothing to ingest at all: no store is created.
	db2 := filepath.Join(dir, "t.duckdb")
	if _, _, err := runSplit(t, "ingest", "-q", "--db", db2, missing); !errors.As(err, &ee) || ee.code != 1 {
		t.Errorf("only a missing path: %v", err)
	}
	if _, err := os.Stat(db2); err == nil {
		t.Error("store created with nothing to ingest")
	}
}

// TestIngestGzipOffsetNote checks that damage in a gzip-compressed capture
// is reported with a note that the offset counts decompressed bytes.
func TestIngestGzipOffsetNote(t *testing.T) {
	isolateConfig(t)
	dir := t.TempDir()
	plain := filepath.Join(dir, "c.pcap")
	if _, err := run(t, "synth", "--out", plain, "--packets", "2000", "--days", "1"); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(plain)
	if err != nil {
		t.Fatal(err)
	}
	cut := data[:len(data)/2+7]
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(cut)
	zw.Close()
	for _, tc := range []struct {
		name string
		data []byte
		note bool
	}{
		{"cut.pcap.gz", gz.Bytes(), true},
		{"cut.pcap", cut, false},
	} {
		p := filepath.Join(dir, tc.name)
		os.WriteFile(p, tc.data, 0o644)
		_, errOut, err := runSplit(t, "ingest", "-q", "--db", filepath.Join(dir, tc.name+".duckdb"), p)
		if err == nil || !strings.Contains(errOut, "offset") {
			t.Fatalf("%s: %v\n%s", tc.name, err, errOut)
		}
		if got := strings.Contains(errOut, "(the offset counts decompressed bytes; kept the"); got != tc.note {
			t.Errorf("%s: note %v, want %v:\n%s", tc.name, got, tc.note, errOut)
		}
	}
}

func TestReportIngestWording(t *testing.T) {
	damaged := &capture.FormatError{Path: "bad.pcap", Offset: 1234, Msg: "truncated record"}
	var cls [classify.NumClasses]uint64
	ok := func(p string, n uint64) ingest.FileResult {
		return ingest.FileResult{Path: p, Committed: true, Packets: n, Frames: n + 1, Classes: cls}
	}
	part := func(p string, n uint64) ingest.FileResult {
		r := ok(p, n)
		r.Err = damaged
		return r
	}
	for _, tc := range []struct {
		name      string
		results   []ingest.FileResult
		inputErrs int
		summary   string // prefix of the summary line
		stderr    []string
		exit      bool
	}{
		{"all good", []ingest.FileResult{ok("a", 10), ok("b", 5)}, 0,
			"ingested 2 files: 17 frames, 15 packets counted", nil, false},
		{"one", []ingest.FileResult{ok("a", 10)}, 0,
			"ingested 1 file: 11 frames, 10 packets counted", nil, false},
		{"damaged kept", []ingest.FileResult{ok("a", 1), ok("b", 1), part("c", 1), part("d", 1), part("e", 1), part("f", 1)}, 0,
			"ingested 6 files (2 complete, 4 with errors: the packets before the damage were kept): 12 frames, 6 packets counted",
			[]string{"error: capture bad.pcap: offset 1234: truncated record (kept the 1 packets read before it"}, true},
		{"skipped", []ingest.FileResult{ok("a", 3), {Path: "b", Skipped: true, Duplicate: "old/b"}}, 0,
			"ingested 1 file, skipped 1 (already in the store): 4 frames, 3 packets counted",
			[]string{"skipped b: same content already ingested (old/b)"}, false},
		{"failed", []ingest.FileResult{ok("a", 3), {Path: "x", Err: errors.New("open x: permission denied")}}, 2,
			"ingested 1 file, failed 3 (nothing kept): 4 frames, 3 packets counted",
			[]string{"error: open x: permission denied (nothing kept from this file)"}, true},
		{"nothing", nil, 1, "ingested 0 files, failed 1 (nothing kept): 0 frames, 0 packets counted", nil, true},
		{"grown", []ingest.FileResult{{Path: "r.pcap", Committed: true, Grown: true, Packets: 2, Frames: 2}}, 0,
			"ingested 1 file: 2 frames, 2 packets counted",
			[]string{"note: r.pcap has grown since it was ingested", "both versions now count", "--force"}, false},
		{"grown, forced", []ingest.FileResult{{Path: "r.pcap", Committed: true, Grown: true, Replaced: true, Packets: 2, Frames: 2}}, 0,
			"ingested 1 file: 2 frames, 2 packets counted",
			[]string{"the earlier, shorter ingest was replaced"}, false},
		{"rewritten", []ingest.FileResult{{Path: "r.pcap", Committed: true, Rewritten: true, Packets: 2, Frames: 2}}, 0,
			"ingested 1 file: 2 frames, 2 packets counted",
			[]string{"note: r.pcap was ingested before with other content", "both are counted"}, false},
	} {
		var out, errw bytes.Buffer
		err := reportIngest(&out, &errw, tc.results, tc.inputErrs)
		if !strings.HasPrefix(out.String(), tc.summary) {
			t.Errorf("%s: summary %q, want prefix %q", tc.name, out.String(), tc.summary)
		}
		for _, s := range tc.stderr {
			if !strings.Contains(errw.String(), s) {
				t.Errorf("%s: stderr %q lacks %q", tc.name, errw.String(), s)
			}
		}
		if (err != nil) != tc.exit {
			t.Errorf("%s: err %v, want exit status 1: %v", tc.name, err, tc.exit)
		}
	}
}

// TestProgressFirstRate checks that the bar shows no rate before rateDelay
// and a plausible one after it. Only a lower bound on elapsed time is relied
// on (sleep), so a slow machine cannot fail it.
func TestProgressFirstRate(t *testing.T) {
	var buf bytes.Buffer
	p := newProgressBar(&buf, 100<<20, unitBytes)
	p.add(1<<20, 1000)
	if strings.Contains(buf.String(), "/s") {
		t.Fatalf("rate shown at once: %q", buf.String())
	}
	time.Sleep(rateDelay + 100*time.Millisecond)
	p.add(1<<20, 1000)
	// Once more after the bar's 200 ms throttle, so a frame shows the rate.
	time.Sleep(300 * time.Millisecond)
	p.add(1<<20, 1000)
	m := regexp.MustCompile(`\(([0-9.]+) ([kMGT]?B)/s`).FindAllStringSubmatch(buf.String(), -1)
	if len(m) == 0 {
		t.Fatalf("no byte rate after %v: %q", rateDelay, buf.String())
	}
	v, _ := strconv.ParseFloat(m[len(m)-1][1], 64)
	v *= map[string]float64{"B": 1, "kB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12}[m[len(m)-1][2]]
	// 2 MiB in at least 0.6 s, then 1 MiB in at least 0.3 s: at most
	// 3.5 MB/s (5% more for the display's rounding).
	if v <= 0 || v > 1.05*2*(1<<20)/(rateDelay+100*time.Millisecond).Seconds() {
		t.Errorf("rate %v B/s for 2 MiB in over %v: %q", v, rateDelay, buf.String())
	}
	p.finish()
	// The packet-count bar (synth) holds back too.
	buf.Reset()
	p = newProgressBar(&buf, 1000, unitPackets)
	p.set(500)
	if strings.Contains(buf.String(), "/s") || strings.Contains(buf.String(), "50%") {
		t.Errorf("packet bar moved at once: %q", buf.String())
	}
}

func TestVCSLine(t *testing.T) {
	s := func(kv ...string) *debug.BuildInfo {
		bi := &debug.BuildInfo{}
		for i := 0; i+1 < len(kv); i += 2 {
			bi.Settings = append(bi.Settings, debug.BuildSetting{Key: kv[i], Value: kv[i+1]})
		}
		return bi
	}
	for _, tc := range []struct {
		info *debug.BuildInfo
		want string
	}{
		{s(), ""},
		{s("vcs", "git", "vcs.time", "2026-05-01T00:00:00Z"), ""},
		{s("vcs.revision", "abc123"), "built from revision abc123"},
		{s("vcs.revision", "abc123", "vcs.time", "2026-05-01T10:00:00Z", "vcs.modified", "false"),
			"built from revision abc123 (committed 2026-05-01T10:00:00Z)"},
		{s("vcs.revision", "abc123", "vcs.time", "2026-05-01T10:00:00Z", "vcs.modified", "true"),
			"built from revision abc123 (committed 2026-05-01T10:00:00Z, with uncommitted changes)"},
	} {
		if got := vcsLine(tc.info); got != tc.want {
			t.Errorf("%v: %q, want %q", tc.info.Settings, got, tc.want)
		}
	}
	out, err := run(t, "version")
	if err != nil || !strings.HasPrefix(out, "honeyscope ") {
		t.Errorf("version: %v %q", err, out)
	}
}
