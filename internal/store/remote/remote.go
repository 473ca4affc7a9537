// Package remote lets one process own a store and every other process use
// it through that owner.
//
// DuckDB lets one process hold a database file for writing, and then no
// other process may open it, not even to read. `honeyscope serve` keeps
// the store open for weeks, so it announces itself on a Unix socket beside
// the store (SocketPath: STORE.sock, mode 0600, so only the owner's user
// can connect), and the other commands Dial it: the client they get
// implements store.Store by calling the owner. When no owner runs, Dial
// returns ErrNoOwner and the command opens the file itself.
//
// Protocol (version protocolVersion): one connection per call, or per
// transaction. Each connection starts with a handshake (magic, protocol
// version; the owner answers with its pid, the store's path and time
// zone), then carries one request and its replies. Messages are frames: a
// kind byte, a 4-byte length and a payload, gob for control messages,
// fixed-width binary for bulk rows (a Tx's appended rows, Reassign's
// addresses and places), every length bounded (maxRequestFrame,
// maxBulkFrame) and checked before it is read. A client that goes away
// cancels its call on the owner (a running query is interrupted); a
// transaction lives on its connection, so a client that dies before
// Finish has its transaction rolled back.
//
// Reader calls go through one generic path (reads.go: adding a method to
// store.Reader is an entry in readOps and a two-line Client method).
// Writers are serialised by the owner, for clients and for its own code
// alike (Server.Store).
//
// Liveness: the owner holds an flock(2) on STORE.sock.lock for its whole
// life. A socket that refuses connections is stale only when that lock
// can be taken (the owner is gone; the kernel released its lock, even
// after SIGKILL), and only then is it removed.
package remote

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"time"
)

// SocketPath is where the owner of the store at dbPath listens: the path
// with ".sock" appended.
func SocketPath(dbPath string) string { return dbPath + ".sock" }

// ErrNoOwner is returned by Dial when no process owns the store.
var ErrNoOwner = errors.New("no process owns the store")

// maxSocketPath is the longest socket path the kernel takes (sun_path
// holds 108 bytes including the terminating NUL on Linux).
const maxSocketPath = 107

func checkSocketPath(sock string) error {
	if len(sock) > maxSocketPath {
		return fmt.Errorf("socket path %s is %d bytes, longer than the %d a Unix socket may have: use a store path closer to /", sock, len(sock), maxSocketPath)
	}
	return nil
}

// dialTimeout bounds a handshake with an owner that accepted the
// connection (the kernel accepts for a process that is stuck).
const dialTimeout = 30 * time.Second

// dialOwner connects to the owner and does the handshake. It returns
// ErrNoOwner when no owner listens (and removes a stale socket then).
func dialOwner(ctx context.Context, dbPath string) (*conn, *message, error) {
	sock := SocketPath(dbPath)
	if len(sock) > maxSocketPath {
		// No owner can listen there (Start refuses such a path).
		return nil, nil, ErrNoOwner
	}
	var d net.Dialer
	nc, err := d.DialContext(ctx, "unix", sock)
	if err != nil {
		switch {
		case errors.Is(err, syscall.ENOENT):
			return nil, nil, ErrNoOwner
		case errors.Is(err, syscall.ECONNREFUSED):
			removeStale(sock)
			return nil, nil, ErrNoOwner
		}
		return nil, nil, fmt.Errorf("connect to the owner of %s: %w", dbPath, err)
	}
	c := newConn(nc, maxReplyFrame)
	stop := context.AfterFunc(ctx, func() { nc.Close() })
	defer stop()
	nc.SetDeadline(time.Now().Add(dialTimeout))
	hello, err := handshake(c)
	if err != nil {
		nc.Close()
		if ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
		var ne net.Error
		if isEOF(err) {
			// The owner is stopping (it closed what it had accepted).
			return nil, nil, ErrNoOwner
		}
		if errors.As(err, &ne) && ne.Timeout() {
			return nil, nil, fmt.Errorf("the owner of %s (pid %d) does not answer: %w", dbPath, readPID(lockPath(sock)), err)
		}
		return nil, nil, fmt.Errorf("owner of %s: %w", dbPath, err)
	}
	nc.SetDeadline(time.Time{})
	return c, hello, nil
}

func handshake(c *conn) (*message, error) {
	if err := c.writeMessage(&message{Op: opHello, Magic: magic, Version: protocolVersion}); err != nil {
		return nil, err
	}
	if err := c.flush(); err != nil {
		return nil, err
	}
	m, err := c.readMessage()
	if err != nil {
		return nil, err
	}
	if err := replyError(m); err != nil {
		return nil, err
	}
	if m.Magic != magic {
		return nil, errors.New("the socket's owner is not a honeyscope store owner")
	}
	return m, nil
}

// removeStale removes a socket that refused a connection, if its owner is
// gone: only when the owner's lock can be taken.
func removeStale(sock string) {
	f, ok, err := tryLock(lockPath(sock))
	if err != nil || !ok {
		return
	}
	defer f.Close()
	// Still refusing while we hold the lock: nobody can be listening.
	if nc, err := net.Dial("unix", sock); err == nil {
		nc.Close()
		return
	}
	os.Remove(sock)
}

// OwnerPID returns the pid of the process owning the store at dbPath, or
// ErrNoOwner.
func OwnerPID(ctx context.Context, dbPath string) (int, error) {
	c, hello, err := dialOwner(ctx, dbPath)
	if err != nil {
		return 0, err
	}
	c.rw.Close()
	return hello.PID, nil
}

// isEOF reports whether err says the other side closed the connection.
func isEOF(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}
