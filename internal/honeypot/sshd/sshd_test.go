package sshd

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/honeyscope/honeyscope/internal/session"
	"github.com/honeyscope/honeyscope/internal/shell"
)

// fakeShell records each line as a command and answers "ran:LINE\n";
// "exit" ends the session.
type fakeShell struct {
	rec    *session.Recorder
	cfg    shell.Config
	reason string // as shell.Shell's ExitReason
}

func (f *fakeShell) ExitReason() string { return f.reason }

func (f *fakeShell) Prompt() string { return "fake# " }

func (f *fakeShell) Run(line string) ([]byte, bool) {
	if !f.rec.Command(session.Command{Input: line, Known: true}) {
		f.reason = "commands"
		return nil, true
	}
	if line == "exit" {
		f.reason = "exit"
		return nil, true
	}
	if line == "whoami" {
		return []byte(f.cfg.User + "@" + f.cfg.Hostname + ":" + f.cfg.Arch + "\n"), false
	}
	return []byte("ran:" + line + "\n"), false
}

func newFake(c shell.Config, rec *session.Recorder) Shell { return &fakeShell{rec: rec, cfg: c} }

// acceptOnly accepts one user:password pair.
type acceptOnly struct{ user, pass string }

func (a acceptOnly) Check(_ *session.Session, _ int, user, pass string) bool {
	return user == a.user && pass == a.pass
}

// result is what one served connection left.
type result struct {
	reason string
	sess   session.Session
}

var (
	sharedOnce sync.Once
	sharedKeys []ssh.Signer
)

// testServer returns a server with shared in-memory host keys (generating
// an RSA key per test would be slow) and cfg's other settings.
func testServer(t *testing.T, cfg Config) *Server {
	t.Helper()
	sharedOnce.Do(func() {
		k, err := hostKeys("")
		if err != nil {
			t.Fatal(err)
		}
		sharedKeys = k
	})
	if cfg.NewShell == nil {
		cfg.NewShell = newFake
	}
	srv, err := newWithKeys(cfg, sharedKeys)
	if err != nil {
		t.Fatal(err)
	}
	return srv
}

// serve listens on loopback and serves one connection with srv, as the
// listener framework does; the result arrives on the returned channel.
func serve(t *testing.T, srv *Server, lim session.Limits) (string, <-chan result) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	hub := session.NewHub(session.HubConfig{Limits: lim})
	out := make(chan result, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		rec := hub.Open(session.Session{Service: session.SSH, Port: 22}, lim)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		reason := srv.Serve(ctx, c, rec)
		c.Close()
		rec.Close(reason)
		out <- result{reason, rec.Snapshot()}
	}()
	return ln.Addr().String(), out
}

func wait(t *testing.T, ch <-chan result) result {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(30 * time.Second):
		t.Fatal("session did not end")
	}
	return result{}
}

func clientConfig(auth ...ssh.AuthMethod) *ssh.ClientConfig {
	return &ssh.ClientConfig{User: "root", Auth: auth, HostKeyCallback: ssh.InsecureIgnoreHostKey(), ClientVersion: "SSH-2.0-TestClient_1.0", Timeout: 10 * time.Second}
}

func TestExecPassword(t *testing.T) {
	srv := testServer(t, Config{Credentials: acceptOnly{"root", "admin"}, Hostname: "dvr"})
	addr, done := serve(t, srv, session.DefaultLimits())
	cl, err := ssh.Dial("tcp", addr, clientConfig(ssh.Password("admin")))
	if err != nil {
		t.Fatal(err)
	}
	sess, err := cl.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	out, err := sess.Output("uname -a")
	if err != nil {
		t.Fatalf("exec: %v", err)
	}
	if string(out) != "ran:uname -a\n" {
		t.Errorf("exec output %q", out)
	}
	sess, err = cl.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	out, err = sess.Output("whoami")
	if err != nil {
		t.Fatal(err)
	}
	cl.Close()
	r := wait(t, done)
	if r.reason != "closed" {
		t.Errorf("reason %q, want closed", r.reason)
	}
	s := r.sess
	if !slices.Contains(DefaultArch, s.Arch) {
		t.Errorf("arch %q not one of %v", s.Arch, DefaultArch)
	}
	if want := "root@dvr:" + s.Arch + "\n"; string(out) != want {
		t.Errorf("shell config seen %q, want %q", out, want)
	}
	if !s.LoggedIn || s.Username != "root" || s.Password != "admin" {
		t.Errorf("login not recorded: %+v", s)
	}
	if len(s.Logins) != 1 || s.Logins[0].Method != "password" || !s.Logins[0].Success {
		t.Errorf("logins %+v", s.Logins)
	}
	if len(s.Commands) != 2 || s.Commands[0].Input != "uname -a" {
		t.Errorf("commands %+v", s.Commands)
	}
	if s.ClientVersion != "SSH-2.0-TestClient_1.0" {
		t.Errorf("client version %q", s.ClientVersion)
	}
	if !s.Intrusion() {
		t.Error("not an intrusion")
	}
}

func TestExecRealShell(t *testing.T) {
	srv := testServer(t, Config{NewShell: func(c shell.Config, rec *session.Recorder) Shell { return shell.New(c, rec) }, Arch: []string{"mips"}})
	addr, done := serve(t, srv, session.DefaultLimits())
	cl, err := ssh.Dial("tcp", addr, clientConfig(ssh.RetryableAuthMethod(ssh.PasswordCallback(func() (string, error) { return "x", nil }), 3)))
	if err != nil {
		t.Fatal(err)
	}
	sess, err := cl.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	// The exit status arrives (a nil error means status 0).
	if _, err := sess.Output("uname -a"); err != nil {
		t.Fatalf("exec: %v", err)
	}
	cl.Close()
	r := wait(t, done)
	if r.sess.Arch != "mips" || r.reason != "closed" {
		t.Errorf("arch %q reason %q", r.sess.Arch, r.reason)
	}
}

func TestWrongPasswords(t *testing.T) {
	srv := testServer(t, Config{}) // default policy: the third attempt succeeds
	addr, done := serve(t, srv, session.DefaultLimits())
	pw := []string{"123456", "admin", "vizxv"}
	i := 0
	cb := ssh.PasswordCallback(func() (string, error) {
		p := pw[i%len(pw)]
		i++
		return p, nil
	})
	cl, err := ssh.Dial("tcp", addr, clientConfig(ssh.RetryableAuthMethod(cb, 5)))
	if err != nil {
		t.Fatal(err)
	}
	cl.Close()
	s := wait(t, done).sess
	if len(s.Logins) != 3 {
		t.Fatalf("logins %+v", s.Logins)
	}
	for j, l := range s.Logins {
		if l.Password != pw[j] || l.Success != (j == 2) || l.Method != "password" || l.Username != "root" {
			t.Errorf("login %d: %+v", j, l)
		}
	}
	if s.Password != "vizxv" || !s.LoggedIn || s.Intrusion() {
		t.Errorf("session %+v", s)
	}
}

func TestMaxAuthTries(t *testing.T) {
	srv := testServer(t, Config{Credentials: acceptOnly{"nobody", "never"}, MaxAuthTries: 4})
	addr, done := serve(t, srv, session.DefaultLimits())
	n := 0
	cb := ssh.PasswordCallback(func() (string, error) { n++; return "guess", nil })
	if _, err := ssh.Dial("tcp", addr, clientConfig(ssh.RetryableAuthMethod(cb, 20))); err == nil {
		t.Fatal("login succeeded")
	}
	s := wait(t, done).sess
	if len(s.Logins) != 4 || s.LoggedIn {
		t.Errorf("%d logins recorded, want 4 (client tried %d)", len(s.Logins), n)
	}
}

func TestKeyboardInteractive(t *testing.T) {
	srv := testServer(t, Config{Credentials: acceptOnly{"root", "xc3511"}})
	addr, done := serve(t, srv, session.DefaultLimits())
	var asked []string
	ki := ssh.KeyboardInteractive(func(name, instr string, qs []string, echo []bool) ([]string, error) {
		asked = append(asked, qs...)
		ans := make([]string, len(qs))
		for i := range ans {
			ans[i] = "xc3511"
		}
		return ans, nil
	})
	cl, err := ssh.Dial("tcp", addr, clientConfig(ki))
	if err != nil {
		t.Fatal(err)
	}
	cl.Close()
	s := wait(t, done).sess
	if len(asked) != 1 || asked[0] != "Password: " {
		t.Errorf("questions %q", asked)
	}
	if len(s.Logins) != 1 || s.Logins[0].Method != "keyboard-interactive" || !s.Logins[0].Success || s.Password != "xc3511" {
		t.Errorf("logins %+v", s.Logins)
	}
}

func TestPublicKeyRefused(t *testing.T) {
	srv := testServer(t, Config{Credentials: acceptOnly{"root", "root"}})
	addr, done := serve(t, srv, session.DefaultLimits())
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ssh.Dial("tcp", addr, clientConfig(ssh.PublicKeys(signer))); err == nil {
		t.Fatal("public key accepted")
	}
	s := wait(t, done).sess
	if len(s.Logins) == 0 {
		t.Fatal("no attempt recorded")
	}
	for _, l := range s.Logins {
		if l.Method != "publickey" || l.Success || l.Username != "root" {
			t.Errorf("login %+v", l)
		}
	}
	if s.LoggedIn {
		t.Error("logged in")
	}
}

// readUntil reads r until the accumulated output contains want.
func readUntil(t *testing.T, r io.Reader, acc *bytes.Buffer, want string) {
	t.Helper()
	buf := make([]byte, 1024)
	for !strings.Contains(acc.String(), want) {
		n, err := r.Read(buf)
		acc.Write(buf[:n])
		if err != nil {
			t.Fatalf("waiting for %q: %v (got %q)", want, err, acc.String())
		}
	}
}

func TestInteractiveShell(t *testing.T) {
	srv := testServer(t, Config{})
	addr, done := serve(t, srv, session.DefaultLimits())
	cl, err := ssh.Dial("tcp", addr, clientConfig(ssh.RetryableAuthMethod(ssh.PasswordCallback(func() (string, error) { return "p", nil }), 3)))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	sess, err := cl.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	if err := sess.RequestPty("xterm", 24, 80, ssh.TerminalModes{}); err != nil {
		t.Fatal(err)
	}
	in, _ := sess.StdinPipe()
	out, _ := sess.StdoutPipe()
	if err := sess.Shell(); err != nil {
		t.Fatal(err)
	}
	var acc bytes.Buffer
	readUntil(t, out, &acc, "fake# ")
	// Typing with a mistake, a backspace and an arrow key, CR LF ended.
	io.WriteString(in, "ecx\x7fho\x1b[A hi\r\n")
	readUntil(t, out, &acc, "ran:echo hi\r\nfake# ")
	if !strings.Contains(acc.String(), "ecx\b \bho hi\r\n") {
		t.Errorf("echo missing: %q", acc.String())
	}
	io.WriteString(in, "ls\rexit\r")
	readUntil(t, out, &acc, "ran:ls\r\n")
	if err := sess.Wait(); err != nil {
		t.Errorf("shell ended with %v", err)
	}
	r := wait(t, done)
	if r.reason != "exit" {
		t.Errorf("reason %q", r.reason)
	}
	var got []string
	for _, c := range r.sess.Commands {
		got = append(got, c.Input)
	}
	if !slices.Equal(got, []string{"echo hi", "ls", "exit"}) {
		t.Errorf("commands %q", got)
	}
}

func TestLongLine(t *testing.T) {
	srv := testServer(t, Config{})
	lim := session.DefaultLimits()
	lim.Line = 64
	addr, done := serve(t, srv, lim)
	cl, err := ssh.Dial("tcp", addr, clientConfig(ssh.RetryableAuthMethod(ssh.PasswordCallback(func() (string, error) { return "p", nil }), 3)))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	sess, err := cl.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	in, _ := sess.StdinPipe()
	if err := sess.Shell(); err != nil {
		t.Fatal(err)
	}
	io.WriteString(in, strings.Repeat("A", 200)+"\n")
	r := wait(t, done)
	if r.reason != "line" {
		t.Errorf("reason %q, want line", r.reason)
	}
	if len(r.sess.Commands) != 1 || len(r.sess.Commands[0].Input) != 64 {
		t.Errorf("commands %+v", r.sess.Commands)
	}
}

func TestCommandLimit(t *testing.T) {
	srv := testServer(t, Config{})
	lim := session.DefaultLimits()
	lim.Commands = 2
	addr, done := serve(t, srv, lim)
	cl, err := ssh.Dial("tcp", addr, clientConfig(ssh.RetryableAuthMethod(ssh.PasswordCallback(func() (string, error) { return "p", nil }), 3)))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	sess, err := cl.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	in, _ := sess.StdinPipe()
	if err := sess.Shell(); err != nil {
		t.Fatal(err)
	}
	io.WriteString(in, "a\nb\nc\nd\n")
	r := wait(t, done)
	if r.reason != "commands" || len(r.sess.Commands) != 2 {
		t.Errorf("reason %q, %d commands", r.reason, len(r.sess.Commands))
	}
}

func TestForwardingAndSubsystemRefused(t *testing.T) {
	srv := testServer(t, Config{})
	addr, done := serve(t, srv, session.DefaultLimits())
	cl, err := ssh.Dial("tcp", addr, clientConfig(ssh.RetryableAuthMethod(ssh.PasswordCallback(func() (string, error) { return "p", nil }), 3)))
	if err != nil {
		t.Fatal(err)
	}
	// The channel request goes to the honeypot only; it refuses it.
	if c, err := cl.Dial("tcp", "192.0.2.7:25"); err == nil {
		c.Close()
		t.Error("direct-tcpip accepted")
	}
	sess, err := cl.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	if err := sess.RequestSubsystem("sftp"); err == nil {
		t.Error("sftp accepted")
	}
	cl.Close()
	s := wait(t, done).sess
	if len(s.Commands) != 1 || s.Commands[0].Input != "direct-tcpip 192.0.2.7:25" || s.Commands[0].Known {
		t.Errorf("commands %+v", s.Commands)
	}
}

func TestChannelLimit(t *testing.T) {
	srv := testServer(t, Config{MaxChannels: 2})
	addr, done := serve(t, srv, session.DefaultLimits())
	cl, err := ssh.Dial("tcp", addr, clientConfig(ssh.RetryableAuthMethod(ssh.PasswordCallback(func() (string, error) { return "p", nil }), 3)))
	if err != nil {
		t.Fatal(err)
	}
	var errs int
	for range 4 {
		if s, err := cl.NewSession(); err != nil {
			var oce *ssh.OpenChannelError
			if !errors.As(err, &oce) || oce.Reason != ssh.ResourceShortage {
				t.Errorf("refusal %v", err)
			}
			errs++
		} else {
			defer s.Close()
		}
	}
	cl.Close()
	wait(t, done)
	if errs != 2 {
		t.Errorf("%d channels refused, want 2", errs)
	}
}

func TestHASSHOfClient(t *testing.T) {
	srv := testServer(t, Config{})
	addr, done := serve(t, srv, session.DefaultLimits())
	cc := clientConfig(ssh.Password("x"))
	cc.KeyExchanges = []string{"ecdh-sha2-nistp256", "diffie-hellman-group14-sha256"}
	cc.Ciphers = []string{"aes128-ctr", "aes256-ctr"}
	cc.MACs = []string{"hmac-sha2-256-etm@openssh.com", "hmac-sha2-256"}
	if cl, err := ssh.Dial("tcp", addr, cc); err == nil {
		cl.Close()
	}
	s := wait(t, done).sess
	// x/crypto's client appends its two extension names to the kex list
	// and offers no compression.
	want := "ecdh-sha2-nistp256,diffie-hellman-group14-sha256,ext-info-c,kex-strict-c-v00@openssh.com;aes128-ctr,aes256-ctr;hmac-sha2-256-etm@openssh.com,hmac-sha2-256;none"
	sum := md5.Sum([]byte(want))
	if s.HASSHAlgos != want || s.HASSH != hex.EncodeToString(sum[:]) {
		t.Errorf("HASSH %s of %q, want %x of %q", s.HASSH, s.HASSHAlgos, sum, want)
	}
}

func TestNotSSH(t *testing.T) {
	srv := testServer(t, Config{})
	addr, done := serve(t, srv, session.DefaultLimits())
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(c, "GET / HTTP/1.0\r\n\r\n")
	c.(*net.TCPConn).CloseWrite()
	banner, _ := io.ReadAll(c)
	c.Close()
	r := wait(t, done)
	if !strings.HasPrefix(string(banner), DefaultBanner+"\r\n") {
		t.Errorf("banner %q", banner)
	}
	if string(r.sess.FirstBytes) != "GET / HTTP/1.0\r\n\r\n" || r.sess.ClientVersion != "" || r.reason != "closed" {
		t.Errorf("first bytes %q version %q reason %q", r.sess.FirstBytes, r.sess.ClientVersion, r.reason)
	}
}

func TestShutdown(t *testing.T) {
	srv := testServer(t, Config{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	got := make(chan string, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		rec := session.NewHub(session.HubConfig{}).Open(session.Session{}, session.Limits{})
		got <- srv.Serve(ctx, c, rec)
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, "SSH-2.0-slow\r\n") // and nothing more
	cancel()
	select {
	case r := <-got:
		if r != "shutdown" {
			t.Errorf("reason %q", r)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return on cancel")
	}
}

func TestHostKeyFile(t *testing.T) {
	if testing.Short() {
		t.Skip("generates an RSA key")
	}
	path := filepath.Join(t.TempDir(), "ssh_host_keys")
	a, err := New(Config{HostKeyPath: path})
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", st.Mode())
	}
	b, err := New(Config{HostKeyPath: path})
	if err != nil {
		t.Fatal(err)
	}
	ka, kb := a.HostKeys(), b.HostKeys()
	if len(ka) != 2 || len(kb) != 2 {
		t.Fatalf("%d and %d keys", len(ka), len(kb))
	}
	types := []string{ka[0].Type(), ka[1].Type()}
	if !slices.Equal(types, []string{ssh.KeyAlgoED25519, ssh.KeyAlgoRSA}) {
		t.Errorf("key types %v", types)
	}
	for i := range ka {
		if !bytes.Equal(ka[i].Marshal(), kb[i].Marshal()) {
			t.Errorf("key %d not reloaded", i)
		}
	}
	if err := os.WriteFile(path, []byte("not a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := New(Config{HostKeyPath: path}); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("bad key file: %v", err)
	}
}

func TestBadBanner(t *testing.T) {
	for _, b := range []string{"dropbear", "SSH-1.5-x", "SSH-2.0-a\r\nb"} {
		if _, err := newWithKeys(Config{Banner: b}, nil); err == nil {
			t.Errorf("banner %q accepted", b)
		}
	}
}
