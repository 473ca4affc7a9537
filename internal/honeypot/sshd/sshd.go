// Package sshd is the honeypot's SSH front end: an SSH server (x/crypto/ssh)
// that records the client's version string and key-exchange offer (HASSH),
// every password, keyboard-interactive and public-key attempt, lets the
// credential policy decide which succeed, and then serves the emulated
// BusyBox shell (internal/shell) on "session" channels, interactively or
// for exec requests. Port forwarding and subsystems are refused; the
// forwarding destinations asked for are recorded.
//
// Every bound is explicit: authentication failures per connection
// (MaxAuthTries, then disconnect), channels per connection, line length
// (session.Limits.Line). Nothing a client sends is executed.
package sshd

import (
	"context"
	"errors"
	"fmt"
	"github.com/honeyscope/honeyscope/internal/honeypot/guard"
	"math/rand/v2"
	"net"
	"strings"
	"sync"

	"golang.org/x/crypto/ssh"

	"github.com/honeyscope/honeyscope/internal/session"
	"github.com/honeyscope/honeyscope/internal/shell"
)

// DefaultBanner is the server version string announced by default.
const DefaultBanner = "SSH-2.0-dropbear_2019.78"

// DefaultArch are the architectures chosen from when Config.Arch is empty.
var DefaultArch = []string{"arm7", "mips", "mipsel", "x86_64"}

// Credentials decides whether a login attempt succeeds. attempt is the
// 1-based number of this attempt in the session (password and
// keyboard-interactive attempts count together).
type Credentials interface {
	Check(sess *session.Session, attempt int, user, pass string) bool
}

// Shell is the emulated shell a session runs (internal/shell.Shell).
type Shell interface {
	Prompt() string
	Run(line string) (output []byte, exit bool)
}

// Config configures an SSH front end.
type Config struct {
	Sensor   string   // sensor name (informational: the framework fills the session header)
	Hostname string   // shell host name (default "localhost")
	Banner   string   // server version string (default DefaultBanner); must start with "SSH-2.0-"
	Arch     []string // emulated architectures, one chosen per session (default DefaultArch)
	// Credentials is the login policy (nil: any login after 2 failed
	// attempts, so the third succeeds).
	Credentials Credentials
	// HostKeyPath is the file holding the host keys (PEM, OpenSSH format,
	// mode 0600): loaded when present, else an ed25519 and an RSA key are
	// generated and stored there. Empty: keys generated in memory.
	HostKeyPath string
	// MaxAuthTries is the number of failed authentications before the
	// server disconnects (default 6).
	MaxAuthTries int
	// MaxChannels is the number of channels a connection may open over its
	// life (default 16); more are rejected.
	MaxChannels int
	// NewShell makes a session's shell (default: shell.New).
	NewShell func(cfg shell.Config, rec *session.Recorder) Shell
}

// Server is an SSH front end. Its Serve method is safe for concurrent use.
type Server struct {
	cfg  Config
	keys []ssh.Signer
}

// New returns a server for cfg, loading or generating its host keys.
func New(cfg Config) (*Server, error) {
	if err := checkBanner(cfg.Banner); err != nil {
		return nil, err
	}
	keys, err := hostKeys(cfg.HostKeyPath)
	if err != nil {
		return nil, err
	}
	return newWithKeys(cfg, keys)
}

func checkBanner(b string) error {
	if b == "" {
		return nil
	}
	if !strings.HasPrefix(b, "SSH-2.0-") || strings.ContainsAny(b, "\r\n") || len(b) > maxVersionLine-2 {
		return fmt.Errorf("sshd banner %q: must be one line starting with \"SSH-2.0-\", at most %d bytes", b, maxVersionLine-2)
	}
	return nil
}

// newWithKeys returns a server for cfg with the given host keys.
func newWithKeys(cfg Config, keys []ssh.Signer) (*Server, error) {
	if err := checkBanner(cfg.Banner); err != nil {
		return nil, err
	}
	if cfg.Banner == "" {
		cfg.Banner = DefaultBanner
	}
	if len(cfg.Arch) == 0 {
		cfg.Arch = DefaultArch
	}
	if cfg.Hostname == "" {
		cfg.Hostname = "localhost"
	}
	if cfg.MaxAuthTries <= 0 {
		cfg.MaxAuthTries = 6
	}
	if cfg.MaxChannels <= 0 {
		cfg.MaxChannels = 16
	}
	if cfg.NewShell == nil {
		cfg.NewShell = func(c shell.Config, rec *session.Recorder) Shell { return shell.New(c, rec) }
	}
	return &Server{cfg: cfg, keys: keys}, nil
}

// HostKeys returns the server's public host keys.
func (s *Server) HostKeys() []ssh.PublicKey {
	var out []ssh.PublicKey
	for _, k := range s.keys {
		out = append(out, k.PublicKey())
	}
	return out
}

// conn is the state of one connection.
type conn struct {
	srv  *Server
	rec  *session.Recorder
	lim  session.Limits
	arch string

	mu       sync.Mutex
	attempts int
	user     string
	sh       Shell
	channels int

	endOnce sync.Once
	endCh   chan struct{}
	reason  string
}

// end asks for the connection to end with reason (first call wins).
func (c *conn) end(reason string) {
	c.endOnce.Do(func() {
		c.reason = reason
		close(c.endCh)
	})
}

// Serve serves one accepted connection until the session ends and returns
// why it ended: "closed" (the client went away or the handshake failed),
// "exit", "commands", "line", "shutdown" (ctx was cancelled), or the reason
// an error from c carries (an error with a Reason() string method, as the
// listener's wrapper returns for its idle, total-time and byte limits;
// other timeouts give "idle"). The caller closes c and the recorder.
func (s *Server) Serve(ctx context.Context, c net.Conn, rec *session.Recorder) (reason string) {
	cs := &conn{srv: s, rec: rec, lim: rec.Limits(), arch: s.cfg.Arch[rand.IntN(len(s.cfg.Arch))], endCh: make(chan struct{})}
	rec.Update("", func(ss *session.Session) { ss.Arch = cs.arch })

	tee := &teeConn{Conn: c, onHello: cs.hello}
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()

	sconn, chans, reqs, err := ssh.NewServerConn(tee, s.serverConfig(cs))
	tee.finish()
	if err != nil {
		return cs.readReason(ctx, tee)
	}
	if hdr := rec.Header(); hdr.ClientVersion == "" {
		v := printable(sconn.ClientVersion())
		rec.Update("", func(ss *session.Session) { ss.ClientVersion = v })
	}
	go ssh.DiscardRequests(reqs)

	done := make(chan struct{})
	go func() {
		for nc := range chans {
			cs.channel(nc)
		}
		close(done)
	}()
	select {
	case <-done:
	case <-cs.endCh:
	case <-ctx.Done():
	}
	sconn.Close()
	<-done
	// The shell records large appended files lazily; Close records what
	// a session cut off mid-upload wrote.
	cs.mu.Lock()
	if cl, ok := cs.sh.(interface{ Close() }); ok {
		cl.Close()
	}
	cs.mu.Unlock()
	if ctx.Err() != nil {
		return "shutdown"
	}
	select {
	case <-cs.endCh:
		return cs.reason
	default:
	}
	return cs.readReason(ctx, tee)
}

// readReason names why the connection's reads ended.
func (c *conn) readReason(ctx context.Context, t *teeConn) string {
	if ctx.Err() != nil {
		return "shutdown"
	}
	return ReadReason(t.err())
}

// ReadReason names the end of a session from the error its reads ended
// with (see guard.Reason).
func ReadReason(err error) string { return guard.Reason(err) }

// hello records the client's version line and key-exchange offer, or, when
// the client did not speak SSH, its first bytes.
func (c *conn) hello(h Hello, status HelloStatus, raw []byte) {
	switch status {
	case HelloDone:
		c.rec.Update(session.EventVersion, func(s *session.Session) {
			s.ClientVersion, s.HASSH, s.HASSHAlgos = h.Version, h.HASSH(), h.Algos()
		})
	case HelloVersion:
		c.rec.Update(session.EventVersion, func(s *session.Session) { s.ClientVersion = h.Version })
	default:
		c.rec.FirstBytes(raw)
	}
}

// serverConfig returns the x/crypto configuration of one connection, its
// callbacks bound to c.
func (s *Server) serverConfig(c *conn) *ssh.ServerConfig {
	cfg := &ssh.ServerConfig{
		ServerVersion: s.cfg.Banner,
		MaxAuthTries:  s.cfg.MaxAuthTries,
		PasswordCallback: func(m ssh.ConnMetadata, pass []byte) (*ssh.Permissions, error) {
			return c.login(m.User(), string(pass), "password")
		},
		KeyboardInteractiveCallback: func(m ssh.ConnMetadata, ch ssh.KeyboardInteractiveChallenge) (*ssh.Permissions, error) {
			ans, err := ch("", "", []string{"Password: "}, []bool{false})
			if err != nil {
				return nil, err
			}
			pass := ""
			if len(ans) > 0 {
				pass = ans[0]
			}
			return c.login(m.User(), pass, "keyboard-interactive")
		},
		PublicKeyCallback: func(m ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
			c.rec.Login(session.Login{Method: "publickey", Username: clean(m.User())})
			return nil, errRefused
		},
	}
	for _, k := range s.keys {
		cfg.AddHostKey(k)
	}
	return cfg
}

var errRefused = errors.New("permission denied")

// maxCredential bounds a recorded user name or password.
const maxCredential = 1024

// clean bounds a user name or password and makes it valid UTF-8.
func clean(s string) string {
	if len(s) > maxCredential {
		s = s[:maxCredential]
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

// login records an attempt and applies the credential policy.
func (c *conn) login(user, pass, method string) (*ssh.Permissions, error) {
	user, pass = clean(user), clean(pass)
	c.mu.Lock()
	c.attempts++
	n := c.attempts
	c.mu.Unlock()
	var ok bool
	if p := c.srv.cfg.Credentials; p != nil {
		hdr := c.rec.Header()
		ok = p.Check(&hdr, n, user, pass)
	} else {
		ok = n > 2
	}
	c.rec.Login(session.Login{Method: method, Username: user, Password: pass, Success: ok})
	if !ok {
		return nil, errRefused
	}
	c.mu.Lock()
	c.user = user
	c.mu.Unlock()
	return &ssh.Permissions{}, nil
}

// shell returns the connection's shell (one per connection: its channels
// share the virtual filesystem), made on first use.
func (c *conn) shell() Shell {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sh == nil {
		c.sh = c.srv.cfg.NewShell(shell.Config{Arch: c.arch, Hostname: c.srv.cfg.Hostname, User: c.user, FSBytes: c.lim.FSBytes}, c.rec)
	}
	return c.sh
}

// run runs one line in the shared shell.
func (c *conn) run(line string) ([]byte, bool) {
	sh := c.shell()
	c.mu.Lock()
	defer c.mu.Unlock()
	return sh.Run(line)
}

// prompt returns the shell's prompt.
func (c *conn) prompt() string {
	sh := c.shell()
	c.mu.Lock()
	defer c.mu.Unlock()
	return sh.Prompt()
}

// exitReason tells "commands" (the command limit was reached) from "exit".
func (c *conn) exitReason() string {
	c.mu.Lock()
	sh := c.sh
	c.mu.Unlock()
	// The shell knows why it ended ("exit", or "commands" at the
	// session's command limit).
	if er, ok := sh.(interface{ ExitReason() string }); ok && er.ExitReason() != "" {
		return er.ExitReason()
	}
	return "exit"
}
