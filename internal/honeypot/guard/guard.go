// Package guard wraps a honeypot connection with its session's limits: every
// byte read and written is counted into the session's recorder, a read that
// waits longer than the idle time or past the session's end fails, reading
// past the session's byte limit fails, and once the serving context is done
// (shutdown) every read and write fails at once.
//
// Front ends map the errors to session end reasons with Reason.
package guard

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"time"

	"github.com/honeyscope/honeyscope/internal/session"
)

// Errors a guarded connection returns.
var (
	ErrIdle     error = &limitError{"session idle too long", "idle"}
	ErrTimeout  error = &limitError{"session lasted too long", "timeout"}
	ErrBytes    error = &limitError{"session byte limit reached", "bytes"}
	ErrShutdown error = &limitError{"honeypot shutting down", "shutdown"}
)

// limitError is a limit's error; Reason names the session end reason, so
// front ends that look for a Reason() method find it.
type limitError struct{ msg, reason string }

func (e *limitError) Error() string  { return e.msg }
func (e *limitError) Reason() string { return e.reason }

// Limit returns the limit error the connection hit first (nil: none).
func (g *Conn) Limit() error { return g.sticky() }

// Reason returns the session end reason for an error a front end got from
// its connection: the error's Reason() when it has one (the limits' errors
// do: "idle", "timeout", "bytes", "shutdown"), "idle" for another timeout,
// or "closed" for anything else (the client went away or the connection
// broke).
func Reason(err error) string {
	var r interface{ Reason() string }
	if errors.As(err, &r) && r.Reason() != "" {
		return r.Reason()
	}
	var ne net.Error
	if errors.Is(err, os.ErrDeadlineExceeded) || errors.As(err, &ne) && ne.Timeout() {
		return "idle"
	}
	return "closed"
}

// Conn is a guarded connection.
type Conn struct {
	net.Conn
	rec  *session.Recorder
	idle time.Duration
	end  time.Time // zero: no total limit
	ctx  context.Context
	now  func() time.Time
	stop func() bool

	mu                  sync.Mutex
	failed              error     // sticky: the first limit error
	userRead, userWrite time.Time // the front end's own deadlines
	limRead, limWrite   time.Time // the limits' deadlines of the last read and write
}

// Wrap returns c guarded by rec's limits (Idle, Total, Bytes); ctx ending
// fails every pending and later read or write with ErrShutdown. Close the
// returned Conn (it closes c) to release the context watch.
func Wrap(ctx context.Context, c net.Conn, rec *session.Recorder) *Conn {
	lim := rec.Limits()
	g := &Conn{Conn: c, rec: rec, idle: lim.Idle, ctx: ctx, now: time.Now}
	if lim.Total > 0 {
		g.end = g.now().Add(lim.Total)
	}
	// AfterFunc starts no goroutine until ctx is done: cheap for many
	// idle connections.
	g.stop = context.AfterFunc(ctx, func() { _ = c.SetDeadline(time.Unix(1, 0)) })
	return g
}

func (g *Conn) deadline() time.Time {
	var d time.Time
	if g.idle > 0 {
		d = g.now().Add(g.idle)
	}
	if !g.end.IsZero() && (d.IsZero() || g.end.Before(d)) {
		d = g.end
	}
	return d
}

func (g *Conn) sticky() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.failed
}

func (g *Conn) fail(err error) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.failed == nil {
		g.failed = err
	}
	return g.failed
}

// mapErr turns a deadline error into the limit it stands for; user is the
// front end's own deadline for the operation.
func (g *Conn) mapErr(err error, user time.Time) error {
	if err == nil || errors.Is(err, io.EOF) {
		return err
	}
	if g.ctx.Err() != nil {
		return g.fail(ErrShutdown)
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		if !user.IsZero() && !g.now().Before(user) {
			return err
		}
		if !g.end.IsZero() && !g.now().Before(g.end) {
			return g.fail(ErrTimeout)
		}
		return g.fail(ErrIdle)
	}
	return err
}

// Read reads from the connection with the idle deadline reset, counting the
// bytes read. Past the byte limit it returns ErrBytes (the bytes of the read
// that crossed it are dropped).
func (g *Conn) Read(b []byte) (int, error) {
	if err := g.sticky(); err != nil {
		return 0, err
	}
	if g.ctx.Err() != nil {
		return 0, g.fail(ErrShutdown)
	}
	g.mu.Lock()
	g.limRead = g.deadline()
	user := g.userRead
	err := g.Conn.SetReadDeadline(earlier(user, g.limRead))
	g.mu.Unlock()
	if err != nil {
		return 0, g.mapErr(err, user)
	}
	n, err := g.Conn.Read(b)
	if n > 0 && !g.rec.AddBytes(int64(n), 0) {
		return 0, g.fail(ErrBytes)
	}
	if err != nil {
		g.mu.Lock()
		user = g.userRead
		g.mu.Unlock()
	}
	return n, g.mapErr(err, user)
}

// Write writes to the connection, counting the bytes written. A client that
// does not read for the idle time (or past the session's end) fails the
// write as a read would.
func (g *Conn) Write(b []byte) (int, error) {
	if err := g.sticky(); err != nil {
		return 0, err
	}
	if g.ctx.Err() != nil {
		return 0, g.fail(ErrShutdown)
	}
	g.mu.Lock()
	g.limWrite = g.deadline()
	user := g.userWrite
	err := g.Conn.SetWriteDeadline(earlier(user, g.limWrite))
	g.mu.Unlock()
	if err != nil {
		return 0, g.mapErr(err, user)
	}
	n, err := g.Conn.Write(b)
	if n > 0 {
		g.rec.AddBytes(0, int64(n))
	}
	if err != nil {
		g.mu.Lock()
		user = g.userWrite
		g.mu.Unlock()
	}
	return n, g.mapErr(err, user)
}

// SetDeadline sets the front end's own read and write deadlines; the
// connection uses the earlier of them and the session's limits. A read or
// write failing at the front end's deadline returns the usual timeout error
// (os.ErrDeadlineExceeded), not a limit error.
func (g *Conn) SetDeadline(t time.Time) error {
	if err := g.SetReadDeadline(t); err != nil {
		return err
	}
	return g.SetWriteDeadline(t)
}

// SetReadDeadline sets the front end's read deadline; see SetDeadline.
func (g *Conn) SetReadDeadline(t time.Time) error {
	g.mu.Lock()
	g.userRead = t
	d := earlier(t, g.limRead)
	g.mu.Unlock()
	return g.Conn.SetReadDeadline(d)
}

// SetWriteDeadline sets the front end's write deadline; see SetDeadline.
func (g *Conn) SetWriteDeadline(t time.Time) error {
	g.mu.Lock()
	g.userWrite = t
	d := earlier(t, g.limWrite)
	g.mu.Unlock()
	return g.Conn.SetWriteDeadline(d)
}

// earlier returns the earlier of two deadlines (zero: none).
func earlier(a, b time.Time) time.Time {
	if a.IsZero() || !b.IsZero() && b.Before(a) {
		return b
	}
	return a
}

// Close closes the connection and stops watching the context.
func (g *Conn) Close() error {
	g.stop()
	return g.Conn.Close()
}

// Unwrap returns the connection guarded.
func (g *Conn) Unwrap() net.Conn { return g.Conn }
