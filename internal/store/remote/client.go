package remote

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"time"

	"github.com/honeyscope/honeyscope/internal/aggregate"
	"github.com/honeyscope/honeyscope/internal/store"
)

// Client is a store reached through its owner. Each call opens its own
// connection, so a Client may be used from several goroutines.
type Client struct {
	dbPath   string
	tz       string
	loc      *time.Location
	pid      int
	readOnly bool

	mu     sync.Mutex
	closed bool
}

// Dial returns a client of the process owning the store at dbPath, or
// ErrNoOwner when none runs (a socket left behind by an owner that died is
// removed).
func Dial(ctx context.Context, dbPath string) (store.Store, error) {
	c, err := DialClient(ctx, dbPath)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// DialClient is Dial returning the concrete client.
func DialClient(ctx context.Context, dbPath string) (*Client, error) {
	c, hello, err := dialOwner(ctx, dbPath)
	if err != nil {
		return nil, err
	}
	c.rw.Close()
	loc, err := time.LoadLocation(hello.TimeZone)
	if err != nil {
		return nil, fmt.Errorf("owner of %s: time zone %q: %w", dbPath, hello.TimeZone, err)
	}
	return &Client{dbPath: dbPath, tz: hello.TimeZone, loc: loc, pid: hello.PID}, nil
}

// ReadOnly makes the client refuse writes, as a store opened read-only
// does, and returns it.
func (c *Client) ReadOnly() *Client { c.readOnly = true; return c }

// PID is the owner's process id.
func (c *Client) PID() int { return c.pid }

// Path is the owner's announcement (its socket).
func (c *Client) Path() string { return SocketPath(c.dbPath) }

// TimeZone is the name of the zone the store's days are in.
func (c *Client) TimeZone() string { return c.tz }

// Location is the zone the store's days are in.
func (c *Client) Location() *time.Location { return c.loc }

// Close marks the client closed; it holds no connection between calls.
func (c *Client) Close() error {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	return nil
}

// call is one connection: opened, handshaken and closed with ctx.
type call struct {
	c    *conn
	stop func() bool
	ctx  context.Context
}

func (cl *Client) open(ctx context.Context) (*call, error) {
	cl.mu.Lock()
	closed := cl.closed
	cl.mu.Unlock()
	if closed {
		return nil, errors.New("store client closed")
	}
	c, _, err := dialOwner(ctx, cl.dbPath)
	if err != nil {
		if errors.Is(err, ErrNoOwner) {
			return nil, fmt.Errorf("the owner of %s has stopped: %w", cl.dbPath, err)
		}
		return nil, err
	}
	k := &call{c: c, ctx: ctx}
	k.stop = context.AfterFunc(ctx, func() { c.rw.Close() })
	return k, nil
}

func (k *call) close() {
	k.stop()
	k.c.rw.Close()
}

// err turns a broken connection into the call's context error when that
// is why it broke.
func (k *call) err(what string, err error) error {
	if k.ctx.Err() != nil {
		return k.ctx.Err()
	}
	if isEOF(err) {
		return fmt.Errorf("%s: the store owner closed the connection (stopped?): %w", what, err)
	}
	return fmt.Errorf("%s: %w", what, err)
}

func (k *call) send(m *message) error {
	if err := k.c.writeMessage(m); err != nil {
		return k.err(m.Op, err)
	}
	if err := k.c.flush(); err != nil {
		return k.err(m.Op, err)
	}
	return nil
}

func (k *call) recv(what string) (*message, error) {
	m, err := k.c.readMessage()
	if err != nil {
		return nil, k.err(what, err)
	}
	return m, replyError(m)
}

// Stats asks the owner.
func (cl *Client) Stats(ctx context.Context, q store.StatsQuery) ([]store.StatsRow, error) {
	w, err := readCall[statsWire](ctx, cl, opStats, q)
	if err != nil {
		return nil, err
	}
	return w.rows(), nil
}

// KnownSizes asks the owner.
func (cl *Client) KnownSizes(ctx context.Context) (map[int64][]store.KnownIngest, error) {
	return readCall[map[int64][]store.KnownIngest](ctx, cl, opKnown, nil)
}

// Begin starts a transaction on the owner, on a connection of its own:
// if this process dies before Finish, the owner rolls it back. It waits
// while another writer's transaction runs.
func (cl *Client) Begin(ctx context.Context) (store.Tx, error) {
	if cl.readOnly {
		return nil, errReadOnly
	}
	return cl.begin(ctx)
}

func (cl *Client) begin(ctx context.Context) (*clientTx, error) {
	k, err := cl.open(ctx)
	if err != nil {
		return nil, err
	}
	// The transaction outlives Begin's context: its own calls bring theirs.
	k.stop()
	k.ctx = context.Background()
	stop := context.AfterFunc(ctx, func() { k.c.rw.Close() })
	fail := func(err error) (*clientTx, error) {
		stop()
		k.c.rw.Close()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, err
	}
	if err := k.send(&message{Op: opBegin}); err != nil {
		return fail(err)
	}
	m, err := k.recv("begin")
	if err != nil {
		return fail(err)
	}
	if !stop() {
		return fail(ctx.Err())
	}
	return &clientTx{k: k, id: m.ID}, nil
}

// Commit writes a batch in one transaction (Begin, Append, Finish on one
// connection) and returns its ingest id.
func (cl *Client) Commit(ctx context.Context, b *store.Batch) (int32, error) {
	if cl.readOnly {
		return 0, errReadOnly
	}
	return store.CommitBatch(ctx, b, func(ctx context.Context) (store.Tx, error) { return cl.begin(ctx) })
}

// Reassign re-geolocates through the owner: it sends the distinct sources
// of the days, locate runs here, and the owner applies the places in one
// transaction while it holds off other writers.
func (cl *Client) Reassign(ctx context.Context, from, to string, locate func(netip.Addr) store.Place, countryDB, asnDB string) (store.ReassignResult, error) {
	var res store.ReassignResult
	if cl.readOnly {
		return res, errReadOnly
	}
	k, err := cl.open(ctx)
	if err != nil {
		return res, err
	}
	defer k.close()
	if err := k.send(&message{Op: opReassign, From: from, To: to, CountryDB: countryDB, ASNDB: asnDB}); err != nil {
		return res, err
	}
	// Addresses come in bulk frames, then a control frame with their count.
	var places []store.Place
	for {
		f, err := k.c.readFrame()
		if err != nil {
			return res, k.err("reassign", err)
		}
		if f.kind == kindControl {
			m, err := decodeMessage(f)
			if err != nil {
				return res, fmt.Errorf("reassign: %w", err)
			}
			if err := replyError(m); err != nil {
				return res, err
			}
			if m.Op != opSources || m.Count != len(places) {
				return res, fmt.Errorf("reassign: the owner sent %d sources and announced %d", len(places), m.Count)
			}
			break
		}
		addrs, err := decodeAddrs(f.payload)
		if err != nil {
			return res, fmt.Errorf("reassign: %w", err)
		}
		for _, a := range addrs {
			places = append(places, locate(a))
		}
	}
	for i := 0; i < len(places); i += addrsPerFrame {
		if err := k.c.writeBulk(encodePlaces(places[i:min(len(places), i+addrsPerFrame)])); err != nil {
			return res, k.err("reassign", err)
		}
	}
	if err := k.send(&message{Op: opPlaces, Count: len(places)}); err != nil {
		return res, err
	}
	m, err := k.recv("reassign")
	if err != nil {
		return res, err
	}
	return m.Reassign, nil
}

// clientTx is a transaction on the owner, alive as long as its connection.
type clientTx struct {
	mu   sync.Mutex
	k    *call
	id   int32
	done bool
}

// ID is the ingest id the capture's rows carry.
func (t *clientTx) ID() int32 { return t.id }

// roundTrip runs one request of the transaction under ctx: a cancelled
// ctx closes the connection, and so rolls the transaction back.
func (t *clientTx) roundTrip(ctx context.Context, what string, send func() error) (*message, error) {
	stop := context.AfterFunc(ctx, func() { t.k.c.rw.Close() })
	defer stop()
	if err := send(); err != nil {
		return nil, t.broken(ctx, what, err)
	}
	if err := t.k.c.flush(); err != nil {
		return nil, t.broken(ctx, what, err)
	}
	m, err := t.k.c.readMessage()
	if err != nil {
		return nil, t.broken(ctx, what, err)
	}
	return m, replyError(m)
}

func (t *clientTx) broken(ctx context.Context, what string, err error) error {
	t.done = true
	t.k.c.rw.Close()
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return t.k.err(what, err)
}

// Append sends one part of the capture's rows, in chunks the owner
// appends as they come.
func (t *clientTx) Append(ctx context.Context, r *aggregate.Result, places []store.Place, sensor string, pattern func(int) string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.done {
		return errors.New("transaction already finished")
	}
	ch, err := newChunker(r, places, sensor, pattern, chunkTarget)
	if err != nil {
		return fmt.Errorf("internal: %w", err)
	}
	for {
		b, err := ch.next()
		if err != nil {
			return err
		}
		if b == nil {
			return nil
		}
		if _, err := t.roundTrip(ctx, "append", func() error { return t.k.c.writeBulk(b) }); err != nil {
			// The owner ends a transaction whose append failed.
			t.done = true
			t.k.close()
			return err
		}
	}
}

// Finish records the ingest and commits on the owner.
func (t *clientTx) Finish(ctx context.Context, in store.Ingest, replace bool, sensor store.Sensor) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.done {
		return errors.New("transaction already finished")
	}
	_, err := t.roundTrip(ctx, "finish", func() error {
		return t.k.c.writeMessage(&message{Op: opFinish, Ingest: &in, Replace: replace, Sensor: sensor})
	})
	t.done = true
	t.k.close()
	return err
}

// Abort rolls back on the owner.
func (t *clientTx) Abort() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.done {
		return nil
	}
	t.done = true
	_, err := t.roundTrip(context.Background(), "abort", func() error {
		return t.k.c.writeMessage(&message{Op: opAbort})
	})
	t.k.close()
	return err
}

var _ store.Store = (*Client)(nil)
