package telnet

import (
	"bytes"
	"context"
	"math/rand/v2"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/honeyscope/honeyscope/internal/config"
	"github.com/honeyscope/honeyscope/internal/honeypot/creds"
	"github.com/honeyscope/honeyscope/internal/honeypot/guard"
	"github.com/honeyscope/honeyscope/internal/session"
	"github.com/honeyscope/honeyscope/internal/shell"
)

// fakeShell records every line as a command and answers the BusyBox
// applet probe; "exit" ends the session.
type fakeShell struct{ rec *session.Recorder }

func (f *fakeShell) Prompt() string { return "# " }

func (f *fakeShell) Run(line string) ([]byte, bool) {
	line = strings.TrimSpace(line)
	if line == "" {
		return nil, false
	}
	if !f.rec.Command(session.Command{Input: line}) {
		return nil, true
	}
	if tok, ok := strings.CutPrefix(line, "/bin/busybox "); ok {
		return []byte(tok + ": applet not found\n"), false
	}
	return nil, line == "exit"
}

func fakeShellFor(_ shell.Config, rec *session.Recorder) Shell { return &fakeShell{rec: rec} }

// serve runs srv on a loopback listener for one connection and returns the
// address and a channel receiving the finished session.
func serve(t *testing.T, srv *Server, lim session.Limits) (string, <-chan session.Session) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	hub := session.NewHub(session.HubConfig{Limits: lim})
	out := make(chan session.Session, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		rec := hub.Open(session.Session{Service: session.Telnet}, lim)
		g := guard.Wrap(context.Background(), c, rec)
		reason := srv.Serve(context.Background(), g, rec)
		g.Close()
		rec.Close(reason)
		out <- rec.Snapshot()
	}()
	return ln.Addr().String(), out
}

func wait(t *testing.T, ch <-chan session.Session) session.Session {
	t.Helper()
	select {
	case s := <-ch:
		return s
	case <-time.After(20 * time.Second):
		t.Fatal("session did not end")
	}
	return session.Session{}
}

// client is a telnet client answering option negotiation as the Mirai
// bot's scanner does (consume_iac in bot/scanner.c): DO NAWS gets WILL NAWS
// and a window size, any other DO gets WONT, WILL gets DO.
type client struct {
	t     *testing.T
	c     net.Conn
	seen  bytes.Buffer // received text, IAC sequences removed
	mirai bool
}

func dial(t *testing.T, addr string, mirai bool) *client {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &client{t: t, c: c, mirai: mirai}
}

func (cl *client) send(s string) {
	cl.t.Helper()
	if _, err := cl.c.Write([]byte(s)); err != nil {
		cl.t.Fatal(err)
	}
}

// expect reads until the text received since the last expect contains s.
func (cl *client) expect(s string) string {
	cl.t.Helper()
	_ = cl.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 4096)
	for !strings.Contains(cl.seen.String(), s) {
		n, err := cl.c.Read(buf)
		cl.consume(buf[:n])
		if err != nil {
			cl.t.Fatalf("waiting for %q: %v (got %q)", s, err, cl.seen.String())
		}
	}
	text := cl.seen.String()
	i := strings.Index(text, s) + len(s)
	cl.seen.Reset()
	cl.seen.WriteString(text[i:])
	return text[:i]
}

func (cl *client) consume(b []byte) {
	for i := 0; i < len(b); i++ {
		if b[i] != cmdIAC || i+2 >= len(b) {
			cl.seen.WriteByte(b[i])
			continue
		}
		verb, opt := b[i+1], b[i+2]
		i += 2
		if !cl.mirai {
			continue
		}
		switch {
		case verb == cmdDO && opt == optNAWS:
			cl.send("\xff\xfb\x1f\xff\xfa\x1f\x00\x50\x00\x18\xff\xf0")
		case verb == cmdDO:
			cl.send(string([]byte{cmdIAC, cmdWONT, opt}))
		case verb == cmdWILL:
			cl.send(string([]byte{cmdIAC, cmdDO, opt}))
		}
	}
}

func newServer(t *testing.T, cfg Config) *Server {
	t.Helper()
	if cfg.NewShell == nil {
		cfg.NewShell = fakeShellFor
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func policy(t *testing.T, c config.Credentials) creds.Credentials {
	t.Helper()
	p, err := creds.FromConfig(c)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoginPolicies(t *testing.T) {
	type try struct{ user, pass string }
	cases := []struct {
		name  string
		cred  config.Credentials
		tries []try // the last succeeds, the others fail
	}{
		{"list", config.Credentials{Policy: "list", Accept: []string{"admin:smcadmin"}},
			[]try{{"root", "root"}, {"admin", "admin"}, {"admin", "smcadmin"}}},
		{"any", config.Credentials{Policy: "any"}, []try{{"x", "y"}}},
		{"after 2", config.Credentials{Policy: "after", AfterTries: 2},
			[]try{{"root", "a"}, {"root", "b"}, {"root", "c"}}},
		{"mirai", config.Credentials{Policy: "mirai"},
			[]try{{"root", "hunter2"}, {"root", "vizxv"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv := newServer(t, Config{Hostname: "dvr", Credentials: policy(t, c.cred)})
			addr, done := serve(t, srv, session.DefaultLimits())
			cl := dial(t, addr, true)
			for i, tr := range c.tries {
				cl.expect("dvr login: ")
				cl.send(tr.user + "\r\n")
				cl.expect("Password: ")
				cl.send(tr.pass + "\r\n")
				if i < len(c.tries)-1 {
					cl.expect("Login incorrect")
				}
			}
			cl.expect("# ")
			cl.send("exit\r\n")
			s := wait(t, done)
			if len(s.Logins) != len(c.tries) {
				t.Fatalf("%d logins recorded, want %d: %+v", len(s.Logins), len(c.tries), s.Logins)
			}
			for i, tr := range c.tries {
				l := s.Logins[i]
				want := i == len(c.tries)-1
				if l.Username != tr.user || l.Password != tr.pass || l.Success != want || l.Method != "telnet" {
					t.Errorf("login %d: %+v, want %s/%s success %v", i, l, tr.user, tr.pass, want)
				}
			}
			last := c.tries[len(c.tries)-1]
			if !s.LoggedIn || s.Username != last.user || s.Password != last.pass || s.EndReason != "exit" {
				t.Errorf("session: logged in %v as %q/%q, end %q", s.LoggedIn, s.Username, s.Password, s.EndReason)
			}
		})
	}
}

func TestMaxAttempts(t *testing.T) {
	srv := newServer(t, Config{Credentials: creds.List{{User: "a", Password: "b"}}, MaxAttempts: 3})
	addr, done := serve(t, srv, session.DefaultLimits())
	cl := dial(t, addr, false)
	for range 3 {
		cl.expect("login: ")
		cl.send("root\r\nroot\r\n")
		cl.expect("Login incorrect")
	}
	s := wait(t, done)
	if len(s.Logins) != 3 || s.LoggedIn || s.EndReason != "logins" {
		t.Errorf("%d logins, logged in %v, end %q", len(s.Logins), s.LoggedIn, s.EndReason)
	}
}

// The Mirai bot's probe (bot/scanner.c): log in with a table pair, then
// enable, system, shell, sh and /bin/busybox MIRAI, expecting
// "MIRAI: applet not found".
func miraiProbe(t *testing.T, srv *Server) (session.Session, string) {
	addr, done := serve(t, srv, session.DefaultLimits())
	cl := dial(t, addr, true)
	cl.expect("ogin")
	cl.send("root\r\n")
	cl.expect("assword")
	cl.send("xc3511\r\n")
	cl.expect("# ")
	for _, cmd := range []string{"enable", "system", "shell", "sh"} {
		cl.send(cmd + "\r\n")
	}
	cl.send("/bin/busybox MIRAI\r\n")
	got := cl.expect("MIRAI: applet not found")
	cl.c.Close()
	return wait(t, done), got
}

func TestMiraiProbe(t *testing.T) {
	srv := newServer(t, Config{Credentials: creds.NewMirai(nil), Arch: []string{"mipsel"}})
	s, _ := miraiProbe(t, srv)
	var cmds []string
	for _, c := range s.Commands {
		cmds = append(cmds, c.Input)
	}
	if want := []string{"enable", "system", "shell", "sh", "/bin/busybox MIRAI"}; !slices.Equal(cmds, want) {
		t.Errorf("commands %q, want %q", cmds, want)
	}
	if want := "WONT 1,WILL 31,SB 31,DO 1,DO 3"; s.TelnetOptions != want {
		t.Errorf("telnet options %q, want %q", s.TelnetOptions, want)
	}
	if s.Arch != "mipsel" || !s.LoggedIn || s.Username != "root" || s.EndReason != "closed" || !s.Intrusion() {
		t.Errorf("arch %q logged in %v user %q end %q intrusion %v", s.Arch, s.LoggedIn, s.Username, s.EndReason, s.Intrusion())
	}
	if s.BytesIn == 0 || s.BytesOut == 0 {
		t.Errorf("bytes not counted: in %d out %d", s.BytesIn, s.BytesOut)
	}
}

// The same probe against the real emulated shell.
func TestMiraiProbeRealShell(t *testing.T) {
	if out, _ := shell.New(shell.Config{}, nil).Run("/bin/busybox X"); len(out) == 0 {
		t.Skip("the emulated shell is not built yet")
	}
	srv, err := New(Config{Credentials: creds.NewMirai(nil)})
	if err != nil {
		t.Fatal(err)
	}
	s, _ := miraiProbe(t, srv)
	if len(s.Commands) == 0 || s.Commands[len(s.Commands)-1].Input != "/bin/busybox MIRAI" {
		t.Errorf("commands %+v", s.Commands)
	}
}

func TestEcho(t *testing.T) {
	srv := newServer(t, Config{Credentials: creds.Any{}, Banner: "Welcome\n"})
	addr, done := serve(t, srv, session.DefaultLimits())
	cl := dial(t, addr, false)
	if got := cl.expect("login: "); !strings.Contains(got, "Welcome\r\n") {
		t.Errorf("banner not sent with CRLF: %q", got)
	}
	cl.send("root\r\n")
	if got := cl.expect("Password: "); !strings.Contains(got, "root\r\n") {
		t.Errorf("user name not echoed: %q", got)
	}
	cl.send("s3cret\r\n")
	if got := cl.expect("# "); strings.Contains(got, "s3cret") {
		t.Errorf("password echoed: %q", got)
	}
	cl.send("/bin/busybox ECCHI\r\n")
	if got := cl.expect("applet not found\r\n# "); !strings.Contains(got, "/bin/busybox ECCHI\r\nECCHI: applet not found\r\n") {
		t.Errorf("command echo or output CRLF wrong: %q", got)
	}
	cl.send("exit\r\n")
	wait(t, done)
}

func TestArchRoundRobin(t *testing.T) {
	srv := newServer(t, Config{Arch: []string{"arm", "mips", "x86"}})
	var got []string
	for range 4 {
		got = append(got, srv.pickArch())
	}
	if want := []string{"arm", "mips", "x86", "arm"}; !slices.Equal(got, want) {
		t.Errorf("round robin %q", got)
	}
	rs := newServer(t, Config{Arch: []string{"arm", "mips"}, ArchPick: "random"})
	for range 20 {
		if a := rs.pickArch(); a != "arm" && a != "mips" {
			t.Fatalf("random pick %q", a)
		}
	}
	if _, err := New(Config{ArchPick: "sometimes"}); err == nil {
		t.Error("bad arch pick accepted")
	}
}

// One byte every 50 ms still logs in and runs a command.
func TestSlowClient(t *testing.T) {
	srv := newServer(t, Config{Credentials: creds.Any{}})
	addr, done := serve(t, srv, session.DefaultLimits())
	cl := dial(t, addr, false)
	cl.expect("login: ")
	for _, b := range []byte("root\r\nroot\r\nsh\r\nexit\r\n") {
		cl.send(string([]byte{b}))
		time.Sleep(50 * time.Millisecond)
	}
	s := wait(t, done)
	if !s.LoggedIn || len(s.Commands) != 2 || s.Commands[0].Input != "sh" || s.EndReason != "exit" {
		t.Errorf("logged in %v commands %+v end %q", s.LoggedIn, s.Commands, s.EndReason)
	}
}

func TestOversizedLine(t *testing.T) {
	lim := session.DefaultLimits()
	lim.Line = 64
	for _, stage := range []string{"login", "shell"} {
		srv := newServer(t, Config{Credentials: creds.Any{}})
		addr, done := serve(t, srv, lim)
		cl := dial(t, addr, false)
		cl.expect("login: ")
		if stage == "shell" {
			cl.send("root\r\nroot\r\n")
			cl.expect("# ")
		}
		cl.send(strings.Repeat("A", 10000) + "\r\n")
		s := wait(t, done)
		if s.EndReason != "line" {
			t.Errorf("%s: end %q, want line", stage, s.EndReason)
		}
	}
}

func TestIdle(t *testing.T) {
	lim := session.DefaultLimits()
	lim.Idle = 200 * time.Millisecond
	srv := newServer(t, Config{})
	addr, done := serve(t, srv, lim)
	cl := dial(t, addr, false)
	cl.expect("login: ")
	if s := wait(t, done); s.EndReason != "idle" {
		t.Errorf("end %q, want idle", s.EndReason)
	}
}

func TestSessionBytes(t *testing.T) {
	lim := session.DefaultLimits()
	lim.Bytes = 1000
	srv := newServer(t, Config{Credentials: creds.Any{}})
	addr, done := serve(t, srv, lim)
	cl := dial(t, addr, false)
	cl.expect("login: ")
	cl.send("root\r\nroot\r\n")
	cl.expect("# ")
	go func() {
		for range 100 {
			if _, err := cl.c.Write([]byte("echo hello\r\n")); err != nil {
				return
			}
		}
	}()
	s := wait(t, done)
	if s.EndReason != "bytes" || s.BytesIn <= lim.Bytes {
		t.Errorf("end %q after %d bytes, want bytes past %d", s.EndReason, s.BytesIn, lim.Bytes)
	}
}

// Binary garbage never breaks the front end: every recorded line is free
// of line ends and the session ends when the client goes away.
func TestBinaryGarbage(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for round := range 20 {
		srv := newServer(t, Config{Credentials: creds.Any{}})
		addr, done := serve(t, srv, session.DefaultLimits())
		cl := dial(t, addr, false)
		garbage := make([]byte, 4096)
		for i := range garbage {
			garbage[i] = byte(r.UintN(256))
			if r.UintN(8) == 0 {
				garbage[i] = []byte{cmdIAC, '\r', '\n', 0, cmdSB, cmdSE}[r.UintN(6)]
			}
		}
		cl.send(string(garbage))
		time.Sleep(10 * time.Millisecond)
		cl.c.Close()
		s := wait(t, done)
		if s.EndReason != "closed" && s.EndReason != "line" && s.EndReason != "logins" {
			t.Errorf("round %d: end %q", round, s.EndReason)
		}
		for _, l := range s.Logins {
			if strings.ContainsAny(l.Username+l.Password, "\r\n") {
				t.Errorf("round %d: login with a line end: %+v", round, l)
			}
		}
		for _, c := range s.Commands {
			if strings.ContainsAny(c.Input, "\r\n") {
				t.Errorf("round %d: command with a line end: %q", round, c.Input)
			}
		}
	}
}

func TestCRLF(t *testing.T) {
	for in, want := range map[string]string{"a\nb": "a\r\nb", "a\r\nb\n": "a\r\nb\r\n", "\n": "\r\n", "x": "x"} {
		if got := string(shell.CRLF([]byte(in))); got != want {
			t.Errorf("shell.CRLF(%q) = %q, want %q", in, got, want)
		}
	}
}
