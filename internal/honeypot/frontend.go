package honeypot

import (
	"context"
	"net"

	"github.com/honeyscope/honeyscope/internal/session"
)

// Handler is a honeypot front end (telnet, SSH, HTTP, generic). Serve serves
// one accepted connection until the session ends and returns the end reason
// ("closed", "exit", "idle", "timeout", "bytes", "commands", "line",
// "shutdown", ...; guard.Reason maps connection errors to these).
//
// The framework wraps c before passing it (see package guard): the wrapper
// counts bytes into rec.AddBytes, enforces the idle deadline (reset on each
// read) and the total session deadline, returns an error once the session's
// byte limit is passed, and fails every read and write once ctx is done
// (shutdown). After Serve returns, the framework closes c and calls
// rec.Close(reason). Serve must not keep c or rec after it returns.
//
// Front ends get their per-service settings at construction
// (telnet.New(telnet.Config{...}), generic.New, sshd.New, httpd.New).
type Handler interface {
	Serve(ctx context.Context, c net.Conn, rec *session.Recorder) (reason string)
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(ctx context.Context, c net.Conn, rec *session.Recorder) string

// Serve calls f.
func (f HandlerFunc) Serve(ctx context.Context, c net.Conn, rec *session.Recorder) string {
	return f(ctx, c, rec)
}
