package cowrie

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/honeyscope/honeyscope/internal/session"
)

// sharedLogs returns the shared logs directory, found by walking up from
// the package directory; the test is skipped when it is absent.
func sharedLogs(t *testing.T) string {
	t.Helper()
	dir, _ := filepath.Abs(".")
	for {
		for _, c := range []string{filepath.Join(dir, "shared", "data", "logs"), filepath.Join(dir, "..", "shared", "data", "logs")} {
			if fi, err := os.Stat(c); err == nil && fi.IsDir() {
				return c
			}
		}
		up := filepath.Dir(dir)
		if up == dir {
			t.Skip("shared/data/logs not found")
		}
		dir = up
	}
}

// naive counts a Cowrie log with a plain decode into maps, independently
// of the reader.
type naive struct {
	events, sessions, loggedIn, intrusions, commands, failed, urls, files int
	sources                                                               map[string]bool
}

func countNaive(t *testing.T, path string) naive {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	type acc struct {
		login      bool
		cmds       int
		urls, shas map[string]bool
	}
	n := naive{sources: map[string]bool{}}
	sess := map[string]*acc{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		n.events++
		n.sources[m["src_ip"].(string)] = true
		id := m["session"].(string)
		a := sess[id]
		if a == nil {
			a = &acc{urls: map[string]bool{}, shas: map[string]bool{}}
			sess[id] = a
		}
		switch m["eventid"] {
		case "cowrie.login.success":
			a.login = true
		case "cowrie.command.input":
			a.cmds++
		case "cowrie.command.failed":
			n.failed++
		case "cowrie.session.file_download", "cowrie.session.file_download.failed":
			if u, _ := m["url"].(string); u != "" {
				a.urls[u] = true
			}
			if s, _ := m["shasum"].(string); s != "" && m["eventid"] == "cowrie.session.file_download" {
				a.shas[s] = true
			}
		case "cowrie.direct-tcpip.request":
			a.urls[m["dst_ip"].(string)+"|"+jsonNum(m["dst_port"])] = true
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	n.sessions = len(sess)
	for _, a := range sess {
		if a.login {
			n.loggedIn++
			if a.cmds > 0 {
				n.intrusions++
			}
		}
		n.commands += a.cmds
		n.urls += len(a.urls)
		n.files += len(a.shas)
	}
	return n
}

func jsonNum(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// measured compares what Read made of a file with the naive count.
func measured(t *testing.T, path string, ss []session.Session, st ReadStats) {
	t.Helper()
	want := countNaive(t, path)
	var got naive
	for _, s := range ss {
		if s.LoggedIn {
			got.loggedIn++
		}
		if s.Intrusion() {
			got.intrusions++
		}
		got.commands += len(s.Commands)
		for _, c := range s.Commands {
			if !c.Known {
				got.failed++
			}
		}
		got.urls += len(s.URLs)
		got.files += len(s.Files)
		for _, f := range s.Files {
			if len(f.SHA256) != 64 {
				t.Errorf("%s: session %s: file SHA-256 %q", path, s.ID, f.SHA256)
			}
			if f.Content != nil {
				t.Errorf("%s: a file read from a log has content", path)
			}
		}
		if s.Start.IsZero() || s.End.Before(s.Start) {
			t.Errorf("%s: session %s: start %v end %v", path, s.ID, s.Start, s.End)
		}
		if s.Service != session.SSH && s.Service != session.Telnet {
			t.Errorf("%s: session %s: service %q", path, s.ID, s.Service)
		}
	}
	if st.Events != int64(want.events) || st.Bad != 0 || len(ss) != want.sessions || st.Sources != len(want.sources) ||
		got.loggedIn != want.loggedIn || got.intrusions != want.intrusions || got.commands != want.commands ||
		got.failed > want.failed || got.urls != want.urls || got.files != want.files {
		t.Errorf("%s: read %d events (%d bad), %d sessions, %d sources, %d logged in, %d intrusions, %d commands (%d failed), %d URLs, %d files;\n"+
			"naive count: %d events, %d sessions, %d sources, %d logged in, %d intrusions, %d commands (%d failed), %d URLs, %d files",
			path, st.Events, st.Bad, len(ss), st.Sources, got.loggedIn, got.intrusions, got.commands, got.failed, got.urls, got.files,
			want.events, want.sessions, len(want.sources), want.loggedIn, want.intrusions, want.commands, want.failed, want.urls, want.files)
	}
}

func TestKareiva(t *testing.T) {
	path := filepath.Join(sharedLogs(t), "cowrie-kareiva", "cowrie.json.2018-06-12")
	if !DetectFile(path) {
		t.Fatal("not detected as a Cowrie log")
	}
	ss, st, err := ReadFile(path, ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// Measured on the file: 1,783 events from 67 source addresses, 408
	// sessions, 27 with a successful login, 8 of which ran commands.
	if st.Events != 1783 || st.Sources != 67 || len(ss) != 408 {
		t.Errorf("%d events, %d sources, %d sessions; want 1783, 67, 408", st.Events, st.Sources, len(ss))
	}
	intr := 0
	for _, s := range ss {
		if s.Intrusion() {
			intr++
		}
		if s.Sensor != "920497a79896" {
			t.Fatalf("session %s sensor %q", s.ID, s.Sensor)
		}
		if s.Port != 2222 || s.Service != session.SSH || s.Dst.String() != "172.17.0.3" {
			t.Fatalf("session %s: port %d service %s dst %v", s.ID, s.Port, s.Service, s.Dst)
		}
	}
	if intr != 8 {
		t.Errorf("%d intrusions, want 8", intr)
	}
	if len(st.Sensors) != 1 || st.Sensors[0] != "920497a79896" {
		t.Errorf("sensors %v", st.Sensors)
	}
	measured(t, path, ss, st)

	// One known session, checked field by field.
	var s *session.Session
	for i := range ss {
		if ss[i].ID == "0a676cdf82f8" {
			s = &ss[i]
		}
	}
	if s == nil {
		t.Fatal("session 0a676cdf82f8 missing")
	}
	if s.Src.String() != "61.8.73.166" || !s.LoggedIn {
		t.Errorf("session 0a676cdf82f8: %+v", s)
	}
	found := false
	for _, u := range s.URLs {
		found = found || u.URL == "http://54.37.72.170/n3"
	}
	if !found {
		t.Errorf("session 0a676cdf82f8: URLs %+v", s.URLs)
	}
	if len(s.Files) != 1 || s.Files[0].SHA256 != "3be56c3e5cc12387b3857b841cea6341494b572811617e47df6dbf160b5ca866" {
		t.Errorf("session 0a676cdf82f8: files %+v (the download is logged twice: one file)", s.Files)
	}
}

func TestHoneypotAI(t *testing.T) {
	root := filepath.Join(sharedLogs(t), "honeypot-ai")
	var cowrie, other int
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		isCowrie := strings.HasSuffix(p, ".json") && filepath.Base(filepath.Dir(p)) == "cowrie"
		if got := DetectFile(p); got != isCowrie {
			t.Errorf("Detect(%s) = %v, want %v", p, got, isCowrie)
		}
		if !isCowrie {
			other++
			return nil
		}
		cowrie++
		ss, st, err := ReadFile(p, ReadOptions{DefaultSensor: "honeypot-ai"})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range ss {
			if s.Sensor != "honeypot-ai" { // the logs' sensor fields are empty
				t.Errorf("%s: sensor %q", p, s.Sensor)
			}
		}
		measured(t, p, ss, st)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if cowrie != 5 || other == 0 {
		t.Errorf("%d Cowrie JSON logs and %d other files; want 5 and some", cowrie, other)
	}
}

func TestHoneypotAIDetails(t *testing.T) {
	root := filepath.Join(sharedLogs(t), "honeypot-ai")
	ss, _, err := ReadFile(filepath.Join(root, "telnet-wget-tftp-loader", "cowrie", "cowrie.2023-12-13.json"), ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var intr *session.Session
	for i := range ss {
		if ss[i].Service != session.Telnet {
			t.Errorf("session %s service %q, want telnet", ss[i].ID, ss[i].Service)
		}
		if ss[i].Intrusion() {
			intr = &ss[i]
		}
	}
	if intr == nil {
		t.Fatal("no intrusion in the telnet loader log")
	}
	if intr.Port != 2223 || len(intr.Logins) == 0 || intr.Logins[len(intr.Logins)-1].Method != session.Telnet {
		t.Errorf("telnet intrusion: %+v", intr)
	}
	ss, _, err = ReadFile(filepath.Join(root, "ssh-mirai-like-204.76.203.13", "cowrie", "cowrie.2023-11-30.json"), ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var cmds []session.Command
	var hassh, arch string
	for _, s := range ss {
		if s.Intrusion() {
			cmds = s.Commands
		}
		if s.HASSH != "" {
			hassh = s.HASSH
		}
		if s.Arch != "" {
			arch = s.Arch
		}
	}
	known := map[string]bool{}
	for _, c := range cmds {
		known[c.Input] = c.Known
	}
	// Cowrie logged command.failed for system, shell and linuxshell, not
	// for enable and sh.
	if !known["enable"] || known["system"] || known["shell"] || !known["sh"] || known["linuxshell"] {
		t.Errorf("commands known: %v", known)
	}
	if len(hassh) != 32 {
		t.Errorf("HASSH %q", hassh)
	}
	if arch != "x86_64" { // session.params arch "linux-x64-lsb"
		t.Errorf("arch %q, want x86_64", arch)
	}
}

func TestBadLines(t *testing.T) {
	good := `{"eventid":"cowrie.session.connect","src_ip":"192.0.2.1","src_port":1234,"dst_ip":"198.51.100.1","dst_port":23,"session":"aaaaaaaaaaaa","protocol":"telnet","timestamp":"2024-01-01T00:00:00.000001Z"}`
	lines := []string{
		good,
		`not json`,
		`{"eventid":"cowrie.login.success","session":"aaaaaaaaaaaa","username":"root","password":"x","timestamp":"2024-01-01T00:00:01Z"}`,
		`{"eventid":"cowrie.command.input","session":"aaaaaaaaaaaa","input":"ls","timestamp":"bad"}`,
		``,
		`{"session":"aaaaaaaaaaaa","timestamp":"2024-01-01T00:00:02Z"}`,
		`{"eventid":"cowrie.command.input","session":"aaaaaaaaaaaa","input":"` + strings.Repeat("A", 300) + `","timestamp":"2024-01-01T00:00:03Z"}`,
		`{"eventid":"cowrie.command.input","session":"aaaaaaaaaaaa","input":"uname -a","timestamp":"2024-01-01T00:00:04Z"}`,
		`[1,2]`,
	}
	ss, st, err := Read(strings.NewReader(strings.Join(lines, "\n")), "t.json", ReadOptions{MaxLine: 200})
	if err != nil {
		t.Fatal(err)
	}
	if st.Lines != 8 || st.Events != 3 || st.Bad != 5 {
		t.Errorf("lines %d events %d bad %d; want 8, 3, 5", st.Lines, st.Events, st.Bad)
	}
	wantLines := []int64{2, 4, 6, 7, 9}
	if len(st.Errors) != len(wantLines) {
		t.Fatalf("errors %v", st.Errors)
	}
	for i, e := range st.Errors {
		var le *LineError
		if !errors.As(e, &le) || le.File != "t.json" || le.Line != wantLines[i] {
			t.Errorf("error %d: %v, want t.json:%d", i, e, wantLines[i])
		}
		if !strings.HasPrefix(e.Error(), "t.json:") {
			t.Errorf("error %q does not name file:line", e)
		}
	}
	if !errors.Is(st.Errors[3], ErrLineTooLong) {
		t.Errorf("line 7: %v, want ErrLineTooLong", st.Errors[3])
	}
	if len(ss) != 1 || !ss[0].Intrusion() || len(ss[0].Commands) != 1 || ss[0].Commands[0].Input != "uname -a" {
		t.Errorf("sessions %+v", ss)
	}
	if ss[0].EndReason != "log-end" {
		t.Errorf("a session without closed: reason %q", ss[0].EndReason)
	}
	_, st, _ = Read(strings.NewReader(strings.Repeat("x\n", 50)), "t.json", ReadOptions{MaxErrors: 3})
	if st.Bad != 50 || len(st.Errors) != 3 {
		t.Errorf("bad %d errors kept %d; want 50, 3", st.Bad, len(st.Errors))
	}
}

func TestGzip(t *testing.T) {
	path := filepath.Join(sharedLogs(t), "cowrie-kareiva", "cowrie.json.2018-06-12")
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(raw)
	zw.Close()
	gz := filepath.Join(t.TempDir(), "cowrie.json.gz")
	os.WriteFile(gz, buf.Bytes(), 0o600)
	if !DetectFile(gz) {
		t.Fatal("gzip log not detected")
	}
	a, sa, err := ReadFile(path, ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b, sb, err := ReadFile(gz, ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if sa.Events != sb.Events || len(a) != len(b) {
		t.Fatalf("plain %d events %d sessions, gzip %d events %d sessions", sa.Events, len(a), sb.Events, len(b))
	}
	// A damaged gzip stream is an error, with the sessions before it.
	cut := filepath.Join(t.TempDir(), "cut.json.gz")
	os.WriteFile(cut, buf.Bytes()[:buf.Len()/2], 0o600)
	c, _, err := ReadFile(cut, ReadOptions{})
	if err == nil || len(c) == 0 || len(c) >= len(a) {
		t.Errorf("truncated gzip: %d sessions, err %v", len(c), err)
	}
}

func TestDetect(t *testing.T) {
	for in, want := range map[string]bool{
		"\n\n  {\"eventid\":\"cowrie.session.connect\"}\n":  true,
		"{\"eventid\":\"honeyscope.http.request\"}":         true,
		"\xef\xbb\xbf{\"eventid\":\"cowrie.login.failed\"}": true,
		"{\"eventid\":\"other.thing\"}":                     false,
		"{\"time\":\"2024\"}":                               false,
		"2023-12-13T23:03:50Z [cowrie] New connection":      false,
		"":                 false,
		"\xd4\xc3\xb2\xa1": false,
	} {
		if got := Detect(strings.NewReader(in)); got != want {
			t.Errorf("Detect(%q) = %v, want %v", in, got, want)
		}
	}
}

func FuzzParseLine(f *testing.F) {
	f.Add([]byte(`{"eventid":"cowrie.session.connect","src_ip":"1.2.3.4","src_port":"1","timestamp":"2024-01-01T00:00:00Z","session":"a"}`))
	f.Add([]byte(`{"eventid":"cowrie.session.params","arch":"linux-x64-lsb","message":[],"timestamp":"2024-01-01T00:00:00Z","session":"a"}`))
	f.Add([]byte(`{"eventid":"honeyscope.http.request","honeyscope_http_body":"AAEC","honeyscope_patterns":"x","timestamp":"2024-01-01T00:00:00Z","session":"a","duration":"1e999"}`))
	f.Add([]byte(`{"eventid":"cowrie.command.failed","input":7,"username":null,"timestamp":"2024-01-01 00:00:00","session":"a"}`))
	f.Fuzz(func(t *testing.T, line []byte) {
		Detect(bytes.NewReader(line))
		ev, err := parseLine(line)
		if err == nil && ev.EventID == "" {
			t.Fatal("an event without eventid was accepted")
		}
		// The whole reader on the same bytes, twice (a second session
		// event and a closing one included), must not panic either.
		in := append(append(append([]byte{}, line...), '\n'), line...)
		ss, st, _ := Read(bytes.NewReader(in), "fuzz", ReadOptions{MaxLine: 4096, Limits: session.Limits{Line: 64, Logins: 2, Commands: 2, Requests: 2, URLs: 2, Files: 2, Body: 16, Headers: 16, FirstBytes: 8}})
		if st.Events+st.Bad != st.Lines {
			t.Fatalf("events %d + bad %d != lines %d", st.Events, st.Bad, st.Lines)
		}
		for _, s := range ss {
			if len(s.Commands) > 2 || len(s.FirstBytes) > 8 || len(s.ID) > 64 {
				t.Fatalf("bounds not kept: %+v", s)
			}
		}
	})
}
