package remote

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/honeyscope/honeyscope/internal/store"
)

// Server owns an open store and answers other processes' calls on the
// store's socket (SocketPath). Writers are serialised: one write
// transaction (a Tx, a Commit, a Reassign) at a time, from clients and from
// the owner's own writers using Store(); reads run alongside.
type Server struct {
	st  store.Store
	log *slog.Logger

	// OnCommit, when set before Start, is called after each transaction a
	// client (or Store()) committed, with the ingest it recorded.
	OnCommit func(in store.Ingest)
	// OnQueue, when set before Start, is told the number of writes (a
	// capture's transaction, a commit, a reassign) running or waiting for
	// the write lock each time it changes: the ingest queue.
	OnQueue func(n int)
	// MaxConns bounds the connections served at once (default 128); more
	// wait in the socket's backlog.
	MaxConns int
	// Classifiers, when set before Start, builds the classifiers of a
	// backfill a client asks for under a rule set (store.BuiltinRuleSet or
	// a stored set's id); without it a backfill through the owner is
	// refused.
	Classifiers func(ctx context.Context, ruleSet int32) (store.Classifiers, error)

	commits atomic.Uint64
	queued  atomic.Int64  // writes holding or waiting for wlock
	wlock   chan struct{} // the one write transaction

	mu       sync.Mutex
	ln       *net.UnixListener
	lockFile *os.File
	sock     string
	base     context.Context
	cancel   context.CancelFunc
	conns    map[net.Conn]struct{}
	wg       sync.WaitGroup
	stopped  bool
}

// NewServer returns a server for st; Start makes it listen.
func NewServer(st store.Store, log *slog.Logger) *Server {
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Server{st: st, log: log, wlock: make(chan struct{}, 1), conns: map[net.Conn]struct{}{}}
}

// Commits is the number of transactions committed through the server.
func (s *Server) Commits() uint64 { return s.commits.Load() }

// ErrOwned is returned by Start when another process owns the store.
var ErrOwned = errors.New("another serve owns the store")

// Start takes the owner's lock and listens on SocketPath(st.Path()). A
// socket file left behind by an owner that died is removed; a running
// owner makes Start fail with ErrOwned naming its pid.
func (s *Server) Start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln != nil || s.stopped {
		return errors.New("remote server: already started")
	}
	if s.MaxConns <= 0 {
		s.MaxConns = 128
	}
	sock := SocketPath(s.st.Path())
	if err := checkSocketPath(sock); err != nil {
		return err
	}
	lf, err := s.takeLock(ctx, sock)
	if err != nil {
		return err
	}
	// Holding the lock, any socket file there is stale.
	if err := os.Remove(sock); err != nil && !errors.Is(err, os.ErrNotExist) {
		lf.Close()
		return fmt.Errorf("remove stale socket %s: %w", sock, err)
	}
	// Listen on a temporary name, restrict it to the owner's user, then
	// give it its name: nobody can connect before the mode is set.
	tmp := sock + ".tmp" + strconv.Itoa(os.Getpid())
	os.Remove(tmp)
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: tmp, Net: "unix"})
	if err != nil {
		lf.Close()
		return fmt.Errorf("listen on %s: %w", sock, err)
	}
	ln.SetUnlinkOnClose(false)
	if err := os.Chmod(tmp, 0o600); err != nil {
		ln.Close()
		os.Remove(tmp)
		lf.Close()
		return fmt.Errorf("listen on %s: %w", sock, err)
	}
	if err := os.Rename(tmp, sock); err != nil {
		ln.Close()
		os.Remove(tmp)
		lf.Close()
		return fmt.Errorf("listen on %s: %w", sock, err)
	}
	s.ln, s.lockFile, s.sock = ln, lf, sock
	s.base, s.cancel = context.WithCancel(context.WithoutCancel(ctx))
	s.wg.Add(1)
	go s.accept()
	s.log.Info("store owner listening", "socket", sock, "pid", os.Getpid())
	return nil
}

// takeLock takes the owner's lock, waiting a little while a client that
// is removing a stale socket holds it.
func (s *Server) takeLock(ctx context.Context, sock string) (*os.File, error) {
	deadline := time.Now().Add(2 * time.Second)
	for {
		f, ok, err := tryLock(lockPath(sock))
		if err != nil {
			return nil, err
		}
		if ok {
			if err := writePID(f); err != nil {
				f.Close()
				return nil, fmt.Errorf("owner lock: %w", err)
			}
			return f, nil
		}
		if pid, err := OwnerPID(ctx, s.st.Path()); err == nil {
			return nil, fmt.Errorf("%w %s (pid %d)", ErrOwned, s.st.Path(), pid)
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("%w %s (pid %d, not answering yet)", ErrOwned, s.st.Path(), readPID(lockPath(sock)))
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (s *Server) accept() {
	defer s.wg.Done()
	sem := make(chan struct{}, s.MaxConns)
	for {
		sem <- struct{}{}
		c, err := s.ln.Accept()
		if err != nil {
			<-sem
			if errors.Is(err, net.ErrClosed) {
				return
			}
			s.log.Warn("store owner: accept", "err", err)
			time.Sleep(50 * time.Millisecond)
			continue
		}
		s.mu.Lock()
		if s.stopped {
			s.mu.Unlock()
			c.Close()
			<-sem
			return
		}
		s.conns[c] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go func() {
			defer s.wg.Done()
			defer func() { <-sem }()
			defer func() {
				if r := recover(); r != nil {
					s.log.Error("store owner: call failed", "panic", r)
				}
			}()
			s.serve(c)
			c.Close()
			s.mu.Lock()
			delete(s.conns, c)
			s.mu.Unlock()
		}()
	}
}

// Stop stops accepting calls and removes the socket, lets the calls and
// transactions in progress end until ctx is done, then cancels those
// left (their transactions roll back) and lets go of the owner's lock.
// The store itself stays open: its owner closes it.
func (s *Server) Stop(ctx context.Context) error {
	s.mu.Lock()
	if s.ln == nil || s.stopped {
		s.stopped = true
		s.mu.Unlock()
		return nil
	}
	s.stopped = true
	err := s.ln.Close()
	if e := os.Remove(s.sock); e != nil && !errors.Is(e, os.ErrNotExist) && err == nil {
		err = e
	}
	s.mu.Unlock()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		s.log.Warn("store owner: cancelling calls still running")
		s.cancel()
		s.mu.Lock()
		for c := range s.conns {
			c.Close()
		}
		s.mu.Unlock()
		<-done
	}
	s.cancel()
	if e := s.lockFile.Close(); err == nil {
		err = e
	}
	return err
}

// acquireWrite waits for the write lock.
func (s *Server) acquireWrite(ctx context.Context) error {
	s.queue(1)
	select {
	case s.wlock <- struct{}{}:
		return nil
	case <-ctx.Done():
		s.queue(-1)
		return ctx.Err()
	}
}

func (s *Server) releaseWrite() {
	<-s.wlock
	s.queue(-1)
}

// WriteQueue is the number of writes running or waiting for the write lock.
func (s *Server) WriteQueue() int { return int(s.queued.Load()) }

// queue counts a write in or out of the ingest queue.
func (s *Server) queue(d int64) {
	n := s.queued.Add(d)
	if s.OnQueue != nil {
		s.OnQueue(int(n))
	}
}

func (s *Server) committed(in store.Ingest) {
	s.commits.Add(1)
	if s.OnCommit != nil {
		s.OnCommit(in)
	}
}

// handshakeTimeout bounds how long a connection may take to say hello.
const handshakeTimeout = 10 * time.Second

// serve answers one connection: a handshake, then one call, or one
// transaction's calls. A frame that cannot be read or decoded ends the
// connection (and rolls back its transaction).
func (s *Server) serve(nc net.Conn) {
	c := newConn(nc, maxRequestFrame)
	nc.SetReadDeadline(time.Now().Add(handshakeTimeout))
	hello, err := c.readMessage()
	if err != nil {
		s.log.Debug("store owner: handshake", "err", err)
		return
	}
	if hello.Op != opHello || hello.Magic != magic {
		s.log.Warn("store owner: not a honeyscope client; connection closed")
		return
	}
	if hello.Version != protocolVersion {
		c.writeMessage(&message{Op: opHello, Err: fmt.Sprintf("store owner speaks protocol version %d, this client %d: use the same honeyscope build for serve and the other commands", protocolVersion, hello.Version)})
		c.flush()
		return
	}
	if err := c.writeMessage(&message{Op: opHello, Magic: magic, Version: protocolVersion, PID: os.Getpid(), Path: s.st.Path(), TimeZone: s.st.TimeZone()}); err != nil {
		return
	}
	if err := c.flush(); err != nil {
		return
	}
	// The request must follow the handshake as promptly (a transaction's
	// later frames may take as long as reading a capture takes).
	nc.SetReadDeadline(time.Now().Add(handshakeTimeout))

	// A reader goroutine hands frames over one at a time; when the client
	// goes away its read fails and the call's context is cancelled.
	ctx, cancel := context.WithCancel(s.base)
	defer cancel()
	frames := make(chan frame)
	go func() {
		defer cancel()
		defer close(frames)
		for first := true; ; first = false {
			f, err := c.readFrame()
			if first {
				nc.SetReadDeadline(time.Time{})
			}
			if err != nil {
				if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
					s.log.Debug("store owner: read", "err", err)
				}
				return
			}
			select {
			case frames <- f:
			case <-ctx.Done():
				return
			}
		}
	}()
	next := func() (frame, bool) {
		select {
		case f, ok := <-frames:
			return f, ok
		case <-ctx.Done():
			return frame{}, false
		}
	}
	f, ok := next()
	if !ok {
		return
	}
	m, err := decodeMessage(f)
	if err != nil {
		s.log.Warn("store owner: bad request", "err", err)
		s.reply(c, &message{Op: opOK}, err)
		return
	}
	if f, ok := readOps[m.Op]; ok {
		s.read(ctx, c, m, f)
		return
	}
	if op, ok := bulkOps[m.Op]; ok {
		s.bulk(ctx, c, m, op, next)
		return
	}
	switch m.Op {
	case opAddRuleSet:
		if err := s.acquireWrite(ctx); err != nil {
			s.reply(c, &message{Op: opRows}, err)
			return
		}
		s.read(ctx, c, m, addRuleSetOp)
		s.releaseWrite()
	case opBackfill:
		if err := s.acquireWrite(ctx); err != nil {
			s.reply(c, &message{Op: opRows}, err)
			return
		}
		s.read(ctx, c, m, s.backfillOp)
		s.releaseWrite()
	case opPutResolutions:
		if err := s.acquireWrite(ctx); err != nil {
			s.reply(c, &message{Op: opRows}, err)
			return
		}
		s.read(ctx, c, m, putResolutionsOp)
		s.releaseWrite()
	case opBegin:
		s.tx(ctx, c, next)
	case opReassign:
		s.reassign(ctx, c, m, next)
	case opCommitSessions:
		s.commitSessions(ctx, c, m, next)
	default:
		s.reply(c, &message{Op: opOK}, fmt.Errorf("unknown operation %q", m.Op))
	}
}

// reply writes m with err (when not nil) and flushes.
func (s *Server) reply(c *conn, m *message, err error) error {
	if err != nil {
		m.Err, m.Code = err.Error(), errorCode(err)
	}
	if e := c.writeMessage(m); e != nil {
		return e
	}
	return c.flush()
}

// tx runs one client transaction: chunks to append, then finish or abort.
// Whatever ends it otherwise (the client going away, a bad frame, Stop's
// deadline) rolls it back.
func (s *Server) tx(ctx context.Context, c *conn, next func() (frame, bool)) {
	if err := s.acquireWrite(ctx); err != nil {
		s.reply(c, &message{Op: opBegin}, err)
		return
	}
	defer s.releaseWrite()
	tx, err := s.st.Begin(ctx)
	if err != nil {
		s.reply(c, &message{Op: opBegin}, err)
		return
	}
	finished := false
	defer func() {
		if !finished {
			if err := tx.Abort(); err != nil {
				s.log.Warn("store owner: roll back", "err", err)
			}
		}
	}()
	if s.reply(c, &message{Op: opBegin, ID: tx.ID()}, nil) != nil {
		return
	}
	for {
		f, ok := next()
		if !ok {
			s.log.Info("store owner: client left during a transaction; rolled back", "id", tx.ID())
			return
		}
		if f.kind == kindBulk {
			ch, err := decodeChunk(f.payload)
			if err == nil {
				err = tx.Append(ctx, &ch.result, ch.places, ch.sensor, ch.pattern())
			}
			if s.reply(c, &message{Op: opOK}, err) != nil || err != nil {
				return
			}
			continue
		}
		m, err := decodeMessage(f)
		if err != nil {
			s.reply(c, &message{Op: opOK}, err)
			return
		}
		switch m.Op {
		case opFinish:
			if m.Ingest == nil {
				s.reply(c, &message{Op: opOK}, errors.New("finish: no ingest"))
				return
			}
			finished = true
			err := tx.Finish(ctx, *m.Ingest, m.Replace, m.Sensor)
			if err == nil {
				s.committed(*m.Ingest)
			}
			s.reply(c, &message{Op: opOK}, err)
			return
		case opEvidence:
			p, sensor, err := receiveEvidence(m, next)
			if err == nil {
				if et, ok := tx.(store.EvidenceTx); ok {
					err = et.AppendEvidence(ctx, p, sensor)
				}
			}
			if s.reply(c, &message{Op: opOK}, err) != nil || err != nil {
				return
			}
		case opSrcPorts:
			p, sensor, err := receiveSrcPorts(m, next)
			if err == nil {
				if st, ok := tx.(store.SrcPortTx); ok {
					err = st.AppendSrcPorts(ctx, p, sensor)
				}
			}
			if s.reply(c, &message{Op: opOK}, err) != nil || err != nil {
				return
			}
		case opAbort:
			finished = true
			s.reply(c, &message{Op: opOK}, tx.Abort())
			return
		default:
			s.reply(c, &message{Op: opOK}, fmt.Errorf("unexpected %q in a transaction", m.Op))
			return
		}
	}
}

func (s *Server) reassign(ctx context.Context, c *conn, m *message, next func() (frame, bool)) {
	ra, ok := s.st.(reassigner)
	if !ok {
		s.reply(c, &message{Op: opReassign}, fmt.Errorf("the owner's store (%T) cannot re-geolocate for a client", s.st))
		return
	}
	if err := s.acquireWrite(ctx); err != nil {
		s.reply(c, &message{Op: opReassign}, err)
		return
	}
	defer s.releaseWrite()
	srcs, err := ra.ReassignSources(ctx, m.From, m.To)
	if err != nil {
		s.reply(c, &message{Op: opReassign}, err)
		return
	}
	for i := 0; i < len(srcs); i += addrsPerFrame {
		if err := c.writeBulk(encodeAddrs(srcs[i:min(len(srcs), i+addrsPerFrame)])); err != nil {
			return
		}
	}
	if s.reply(c, &message{Op: opSources, Count: len(srcs)}, nil) != nil {
		return
	}
	places := make([]store.Place, 0, len(srcs))
	intern := map[string]string{}
	for {
		f, ok := next()
		if !ok {
			return
		}
		if f.kind == kindBulk {
			ps, err := decodePlaces(f.payload, intern)
			if err == nil && len(places)+len(ps) > len(srcs) {
				err = fmt.Errorf("reassign: more places than the %d sources", len(srcs))
			}
			if err != nil {
				s.reply(c, &message{Op: opReassign}, err)
				return
			}
			places = append(places, ps...)
			continue
		}
		pm, err := decodeMessage(f)
		if err == nil && (pm.Op != opPlaces || len(places) != len(srcs)) {
			err = fmt.Errorf("reassign: got %d places for %d sources", len(places), len(srcs))
		}
		if err != nil {
			s.reply(c, &message{Op: opReassign}, err)
			return
		}
		res, err := ra.ReassignPlaces(ctx, m.From, m.To, srcs, places, m.CountryDB, m.ASNDB)
		s.reply(c, &message{Op: opReassign, Reassign: res}, err)
		return
	}
}
