// Package telnet is the honeypot's telnet front end: it behaves as the
// telnetd of a BusyBox IoT device (option negotiation, "HOST login: " and
// "Password: " prompts, "Login incorrect") and, once a login succeeds, hands
// each input line to the emulated shell. Nothing the client sends is
// executed; every line and buffer is bounded by the session's limits.
package telnet

import (
	"context"
	"errors"
	"math/rand/v2"
	"net"
	"strings"
	"sync/atomic"
	"time"

	"github.com/honeyscope/honeyscope/internal/honeypot/creds"
	"github.com/honeyscope/honeyscope/internal/honeypot/guard"
	"github.com/honeyscope/honeyscope/internal/session"
	"github.com/honeyscope/honeyscope/internal/shell"
)

// Shell is what the front end needs of the emulated shell (*shell.Shell).
type Shell interface {
	Prompt() string
	Run(line string) (output []byte, exit bool)
}

// Config configures the telnet front end.
type Config struct {
	Banner   string   // text written before the first login prompt ("\n" is sent as "\r\n")
	Hostname string   // login prompt and shell host name (default "localhost")
	Arch     []string // emulated architectures, one chosen per session (default ["arm7"])
	// ArchPick chooses the architecture of a session: "round-robin"
	// (default) or "random".
	ArchPick    string
	Credentials creds.Credentials // which logins succeed (nil: any after 2 failures)
	MaxAttempts int               // failed logins before the connection is closed (default 5)
	FailDelay   time.Duration     // pause after a failed login, as login(1) does (default none)
	FSBytes     int64             // virtual filesystem bytes per session (0: the session's limit)
	// NewShell returns a session's shell (nil: shell.New).
	NewShell func(cfg shell.Config, rec *session.Recorder) Shell
}

// Server is the telnet front end. It is safe for concurrent use.
type Server struct {
	cfg  Config
	next atomic.Uint64
}

// New returns a telnet front end.
func New(cfg Config) (*Server, error) {
	if cfg.Hostname == "" {
		cfg.Hostname = "localhost"
	}
	if len(cfg.Arch) == 0 {
		cfg.Arch = []string{"arm7"}
	}
	switch cfg.ArchPick {
	case "":
		cfg.ArchPick = "round-robin"
	case "round-robin", "random":
	default:
		return nil, errors.New("telnet: arch pick " + cfg.ArchPick + ": want round-robin or random")
	}
	if strings.ContainsAny(cfg.Hostname, "\r\n\x00\xff") {
		return nil, errors.New("telnet: host name contains a control character")
	}
	if cfg.Credentials == nil {
		cfg.Credentials = creds.After{N: creds.DefaultAfterTries}
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 5
	}
	if cfg.NewShell == nil {
		cfg.NewShell = func(c shell.Config, rec *session.Recorder) Shell { return shell.New(c, rec) }
	}
	return &Server{cfg: cfg}, nil
}

func (s *Server) pickArch() string {
	if s.cfg.ArchPick == "random" {
		return s.cfg.Arch[rand.IntN(len(s.cfg.Arch))]
	}
	return s.cfg.Arch[(s.next.Add(1)-1)%uint64(len(s.cfg.Arch))]
}

// conn is one session's connection state.
type conn struct {
	c       net.Conn
	rec     *session.Recorder
	p       Parser
	buf     []byte
	pending []byte
	readErr error
}

func (t *conn) write(b []byte) error {
	if len(b) == 0 {
		return nil
	}
	_, err := t.c.Write(b)
	return err
}

func (t *conn) writeString(s string) error { return t.write([]byte(s)) }

// readLine returns the next input line, echoing it when p.Echo is set and
// recording new telnet options.
func (t *conn) readLine() (string, error) {
	for {
		if len(t.pending) > 0 {
			n, line, done, err := t.p.Feed(t.pending)
			t.pending = t.pending[n:]
			if opts, changed := t.p.Options(); changed {
				t.rec.Update("", func(s *session.Session) { s.TelnetOptions = opts })
			}
			if e := t.p.TakeEcho(); e != nil {
				if werr := t.write(e); werr != nil {
					return "", werr
				}
			}
			if err != nil {
				return "", err
			}
			if done {
				return string(line), nil
			}
			continue
		}
		if t.readErr != nil {
			return "", t.readErr
		}
		n, err := t.c.Read(t.buf)
		t.pending = t.buf[:n]
		t.readErr = err
	}
}

// reason maps a session error to its end reason.
func reason(err error) string {
	if errors.Is(err, ErrLine) {
		return "line"
	}
	return guard.Reason(err)
}

// Serve talks to one client until the session ends.
func (s *Server) Serve(ctx context.Context, c net.Conn, rec *session.Recorder) string {
	arch := s.pickArch()
	rec.Update("", func(x *session.Session) { x.Arch = arch })
	lim := rec.Limits()
	t := &conn{c: c, rec: rec, buf: make([]byte, 2048)}
	t.p.Max = lim.Line
	if err := t.write(Negotiation); err != nil {
		return reason(err)
	}
	if s.cfg.Banner != "" {
		if err := t.write(shell.CRLF([]byte(s.cfg.Banner))); err != nil {
			return reason(err)
		}
	}
	user, why := s.login(ctx, t)
	if why != "" {
		return why
	}
	fs := s.cfg.FSBytes
	if fs <= 0 {
		fs = lim.FSBytes
	}
	sh := s.cfg.NewShell(shell.Config{Arch: arch, Hostname: s.cfg.Hostname, User: user, FSBytes: fs}, rec)
	// The shell records large appended files lazily; Close records what
	// a session cut off mid-upload wrote.
	if cl, ok := sh.(interface{ Close() }); ok {
		defer cl.Close()
	}
	t.p.Echo = true
	for {
		if err := t.writeString(sh.Prompt()); err != nil {
			return reason(err)
		}
		line, err := t.readLine()
		if err != nil {
			return reason(err)
		}
		out, exit := sh.Run(line)
		if err := t.write(shell.CRLF(out)); err != nil {
			return reason(err)
		}
		if exit {
			// The shell knows why it ended ("exit", or "commands" at the
			// session's command limit).
			if er, ok := sh.(interface{ ExitReason() string }); ok && er.ExitReason() != "" {
				return er.ExitReason()
			}
			return "exit"
		}
	}
}

// login runs the login dialogue; it returns the user logged in, or the
// session's end reason.
func (s *Server) login(ctx context.Context, t *conn) (user, why string) {
	prompt := "\r\n" + s.cfg.Hostname + " login: "
	for attempt := 1; ; {
		t.p.Echo = true
		if err := t.writeString(prompt); err != nil {
			return "", reason(err)
		}
		u, err := t.readLine()
		if err != nil {
			return "", reason(err)
		}
		if strings.TrimSpace(u) == "" {
			continue
		}
		t.p.Echo = false
		if err := t.writeString("Password: "); err != nil {
			return "", reason(err)
		}
		pw, err := t.readLine()
		if err != nil {
			return "", reason(err)
		}
		hdr := t.rec.Header()
		ok := s.cfg.Credentials.Check(&hdr, attempt, u, pw)
		t.rec.Login(session.Login{Method: "telnet", Username: u, Password: pw, Success: ok})
		if err := t.writeString("\r\n"); err != nil {
			return "", reason(err)
		}
		if ok {
			return u, ""
		}
		if s.cfg.FailDelay > 0 {
			select {
			case <-ctx.Done():
				return "", "shutdown"
			case <-time.After(s.cfg.FailDelay):
			}
		}
		if err := t.writeString("Login incorrect\r\n"); err != nil {
			return "", reason(err)
		}
		if attempt >= s.cfg.MaxAttempts {
			return "", "logins"
		}
		attempt++
	}
}
