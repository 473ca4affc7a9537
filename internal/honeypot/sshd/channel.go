package sshd

import (
	"github.com/honeyscope/honeyscope/internal/shell"
	"net"
	"strconv"

	"golang.org/x/crypto/ssh"

	"github.com/honeyscope/honeyscope/internal/session"
)

// channel accepts or rejects one new channel.
func (c *conn) channel(nc ssh.NewChannel) {
	c.mu.Lock()
	c.channels++
	over := c.channels > c.srv.cfg.MaxChannels
	c.mu.Unlock()
	if over {
		_ = nc.Reject(ssh.ResourceShortage, "too many channels")
		return
	}
	switch nc.ChannelType() {
	case "session":
		ch, reqs, err := nc.Accept()
		if err != nil {
			return
		}
		s := &sessionChannel{c: c, ch: ch}
		go s.serve(reqs)
	case "direct-tcpip":
		var m struct {
			Host     string
			Port     uint32
			OrigHost string
			OrigPort uint32
		}
		dest := "?"
		if ssh.Unmarshal(nc.ExtraData(), &m) == nil {
			dest = net.JoinHostPort(printable([]byte(m.Host)), strconv.FormatUint(uint64(m.Port), 10))
		}
		if !c.rec.Command(session.Command{Input: "direct-tcpip " + dest}) {
			c.end("commands")
		}
		_ = nc.Reject(ssh.Prohibited, "administratively prohibited")
	default:
		_ = nc.Reject(ssh.UnknownChannelType, "unknown channel type")
	}
}

// sessionChannel is one "session" channel.
type sessionChannel struct {
	c       *conn
	ch      ssh.Channel
	pty     bool
	started bool
}

// serve answers the channel's requests; "shell" and "exec" start the
// channel's one program.
func (s *sessionChannel) serve(reqs <-chan *ssh.Request) {
	for req := range reqs {
		ok := false
		switch req.Type {
		case "pty-req":
			ok = !s.started
			if ok {
				s.pty = true
			}
		case "env", "window-change":
			ok = true
		case "shell":
			ok = !s.started
			if ok {
				s.started = true
				go s.interactive()
			}
		case "exec":
			var m struct{ Command string }
			ok = !s.started && ssh.Unmarshal(req.Payload, &m) == nil
			if ok {
				s.started = true
				go s.exec(m.Command)
			}
		}
		// "subsystem" (sftp), "x11-req", agent forwarding, signals: refused.
		if req.WantReply {
			_ = req.Reply(ok, nil)
		}
	}
}

// output writes shell output, translating line ends on a pty.
func (s *sessionChannel) output(b []byte) error {
	if len(b) == 0 {
		return nil
	}
	if s.pty {
		b = shell.CRLF(b)
	}
	_, err := s.ch.Write(b)
	return err
}

// finish sends the exit status and closes the channel.
func (s *sessionChannel) finish(status uint32) {
	_, _ = s.ch.SendRequest("exit-status", false, ssh.Marshal(struct{ Status uint32 }{status}))
	_ = s.ch.Close()
}

// exec runs one command line and closes the channel.
func (s *sessionChannel) exec(cmd string) {
	if lim := s.c.lim.Line; lim > 0 && len(cmd) > lim {
		s.c.rec.Command(session.Command{Input: cmd})
		s.finish(1)
		s.c.end("line")
		return
	}
	out, exit := s.c.run(cmd)
	_ = s.output(out)
	s.finish(0)
	if exit {
		if r := s.c.exitReason(); r == "commands" {
			s.c.end(r)
		}
	}
}

// interactive serves a shell: prompt, line editing, one line at a time.
func (s *sessionChannel) interactive() {
	ed := &lineEditor{echo: s.pty, max: s.c.lim.Line}
	if err := s.output([]byte(s.c.prompt())); err != nil {
		return
	}
	buf := make([]byte, 4096)
	var echo []byte
	for {
		n, err := s.ch.Read(buf)
		for _, b := range buf[:n] {
			var ev lineEvent
			echo, ev = ed.put(b, echo)
			switch ev {
			case evNone:
				continue
			case evOverflow:
				s.c.rec.Command(session.Command{Input: ed.take()})
				s.flush(&echo)
				s.finish(1)
				s.c.end("line")
				return
			case evEOF:
				s.flush(&echo)
				s.finish(0)
				s.c.end("exit")
				return
			case evInterrupt:
				s.flush(&echo)
				if s.output([]byte(s.c.prompt())) != nil {
					return
				}
				continue
			}
			s.flush(&echo)
			out, exit := s.c.run(ed.take())
			if s.output(out) != nil {
				return
			}
			if exit {
				s.finish(0)
				s.c.end(s.c.exitReason())
				return
			}
			if s.output([]byte(s.c.prompt())) != nil {
				return
			}
		}
		s.flush(&echo)
		if err != nil {
			// The client closed its side (EOF) or the connection ended; a
			// last line without its line end still runs, as sh runs it.
			if line := ed.take(); line != "" {
				out, _ := s.c.run(line)
				_ = s.output(out)
			}
			s.finish(0)
			return
		}
	}
}

// flush writes pending echo.
func (s *sessionChannel) flush(echo *[]byte) {
	if len(*echo) > 0 {
		_, _ = s.ch.Write(*echo)
		*echo = (*echo)[:0]
	}
}
