// Package owner is the "store" component of `honeyscope serve`: it opens the
// DuckDB store writable for the process lifetime and hands out a guarded
// view of it (Store) to the other components (the API, the remote-store
// server). The guard counts commits and keeps track of every operation in
// flight, so that Stop can let a running commit finish (or roll it back when
// the stop deadline passes) before the store is closed cleanly.
//
// The name: while serve runs it is the store's one owner (DuckDB lets one
// process open a file for writing and no other process open it at all);
// other processes reach the store through the owner.
package owner

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/honeyscope/honeyscope/internal/aggregate"
	"github.com/honeyscope/honeyscope/internal/daemon"
	"github.com/honeyscope/honeyscope/internal/evidence"
	"github.com/honeyscope/honeyscope/internal/srcports"
	"github.com/honeyscope/honeyscope/internal/store"
	"github.com/honeyscope/honeyscope/internal/store/duckstore"
)

// ErrStopping is returned by the guarded store's methods once Stop has begun.
var ErrStopping = errors.New("store is shutting down")

// ErrNotStarted is returned by the guarded store's methods before Start.
var ErrNotStarted = errors.New("store not open yet")

// Dependencies of the store component.
type Dependencies struct {
	// Open opens the store (nil: duckstore.Open, writable, creating it).
	Open func(ctx context.Context, cfg Configuration) (store.Store, error)
}

// Component owns the open store.
type Component struct {
	r      *daemon.Reporter
	log    *slog.Logger
	config Configuration
	deps   Dependencies
	m      metrics

	base   context.Context // cancelled when Stop gives up waiting
	cancel context.CancelFunc

	mu       sync.Mutex
	st       store.Store
	stopping bool
	active   int           // operations in flight
	idle     chan struct{} // closed when active drops to 0 while stopping
	txs      map[*guardedTx]struct{}
	view     *guarded
}

// New returns the store component; nothing is opened until Start.
func New(r *daemon.Reporter, config Configuration, deps Dependencies) (*Component, error) {
	if config.Path == "" {
		return nil, errors.New("store component: no store path")
	}
	if config.LockTimeout <= 0 {
		config.LockTimeout = DefaultConfiguration().LockTimeout
	}
	if config.AbortGrace <= 0 {
		config.AbortGrace = DefaultConfiguration().AbortGrace
	}
	if deps.Open == nil {
		deps.Open = openDuck(r.Logger("store"))
	}
	c := &Component{r: r, log: r.Logger("store"), config: config, deps: deps, txs: map[*guardedTx]struct{}{}}
	c.base, c.cancel = context.WithCancel(context.Background())
	c.view = &guarded{c: c}
	if err := c.initMetrics(); err != nil {
		return nil, fmt.Errorf("store component metrics: %w", err)
	}
	return c, nil
}

func openDuck(log *slog.Logger) func(ctx context.Context, cfg Configuration) (store.Store, error) {
	return func(ctx context.Context, cfg Configuration) (store.Store, error) {
		return duckstore.Open(ctx, cfg.Path, duckstore.Options{
			TimeZone:     cfg.TimeZone,
			LockTimeout:  cfg.LockTimeout,
			WriteThreads: cfg.WriteThreads,
			Waiting: func() {
				log.Warn("store is in use by another process; waiting", "path", cfg.Path, "timeout", cfg.LockTimeout)
			},
			Migrating: func(from, to int, name string) {
				log.Info("upgrading the store's schema", "path", cfg.Path, "from", from, "to", to, "step", name)
			},
		})
	}
}

// Start opens the store.
func (c *Component) Start(ctx context.Context) error {
	st, err := c.deps.Open(ctx, c.config)
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.st = st
	c.mu.Unlock()
	c.log.Info("store open", "path", st.Path(), "tz", st.TimeZone())
	return nil
}

// Stop refuses new operations, waits for those in flight (a commit finishes)
// until ctx expires, then rolls back the transactions still open, cancels
// the operations still running, waits for them at most AbortGrace, and
// closes the store.
func (c *Component) Stop(ctx context.Context) error {
	c.mu.Lock()
	if c.st == nil {
		c.mu.Unlock()
		return nil
	}
	c.stopping = true
	idle := make(chan struct{})
	if c.active == 0 {
		close(idle)
	} else {
		c.idle = idle
		c.log.Info("waiting for store operations in flight", "operations", c.active, "transactions", len(c.txs))
	}
	c.mu.Unlock()

	select {
	case <-idle:
	case <-ctx.Done():
		c.mu.Lock()
		txs := make([]*guardedTx, 0, len(c.txs))
		for t := range c.txs {
			txs = append(txs, t)
		}
		n := c.active
		c.mu.Unlock()
		c.log.Warn("stop deadline passed: rolling back open transactions", "transactions", len(txs), "operations", n)
		c.cancel()
		for _, t := range txs {
			if err := t.Abort(); err != nil {
				c.log.Warn("roll back", "ingest_id", t.inner.ID(), "err", err)
			}
		}
		select {
		case <-idle:
		case <-time.After(c.config.AbortGrace):
			c.log.Error("store operations still running after roll back; closing anyway")
		}
	}
	c.mu.Lock()
	st := c.st
	c.st = nil
	c.mu.Unlock()
	c.cancel()
	if err := st.Close(); err != nil {
		return fmt.Errorf("close store %s: %w", st.Path(), err)
	}
	c.log.Info("store closed", "path", st.Path())
	return nil
}

// Store is the guarded view of the open store that other components use.
// Its Close does nothing: the component closes the store on Stop. Before
// Start and after Stop its methods return ErrNotStarted / ErrStopping.
func (c *Component) Store() store.Store { return c.view }

// Ready says whether the store can be asked: nil while open, ErrNotStarted
// before Start, ErrStopping once Stop has begun.
func (c *Component) Ready() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.stopping:
		return ErrStopping
	case c.st == nil:
		return ErrNotStarted
	}
	return nil
}

// Commits counts the capture transactions committed through Store (it is
// incremented by Store's Commit and Tx.Finish; callers must not add to it).
func (c *Component) Commits() prometheus.Counter { return c.m.commits }

// enter registers an operation; leave must follow.
func (c *Component) enter() (store.Store, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopping {
		return nil, ErrStopping
	}
	if c.st == nil {
		return nil, ErrNotStarted
	}
	c.active++
	return c.st, nil
}

func (c *Component) leave() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.active--
	if c.active == 0 && c.idle != nil {
		close(c.idle)
		c.idle = nil
	}
}

// opContext is ctx, also cancelled when Stop gives up waiting.
func (c *Component) opContext(ctx context.Context) (context.Context, func()) {
	ctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(c.base, cancel)
	return ctx, func() { stop(); cancel() }
}

// guarded is the store as other components see it.
type guarded struct{ c *Component }

func (g *guarded) Stats(ctx context.Context, q store.StatsQuery) ([]store.StatsRow, error) {
	st, err := g.c.enter()
	if err != nil {
		return nil, err
	}
	defer g.c.leave()
	ctx, done := g.c.opContext(ctx)
	defer done()
	return st.Stats(ctx, q)
}

func (g *guarded) Begin(ctx context.Context) (store.Tx, error) {
	st, err := g.c.enter()
	if err != nil {
		return nil, err
	}
	octx, done := g.c.opContext(ctx)
	tx, err := st.Begin(octx)
	done()
	if err != nil {
		g.c.leave()
		return nil, err
	}
	t := &guardedTx{c: g.c, inner: tx}
	g.c.mu.Lock()
	g.c.txs[t] = struct{}{}
	g.c.mu.Unlock()
	g.c.m.openTx.Inc()
	return t, nil
}

func (g *guarded) Commit(ctx context.Context, b *store.Batch) (int32, error) {
	st, err := g.c.enter()
	if err != nil {
		return 0, err
	}
	defer g.c.leave()
	ctx, done := g.c.opContext(ctx)
	defer done()
	id, err := st.Commit(ctx, b)
	if err != nil {
		g.c.m.commitFailures.Inc()
	} else {
		g.c.m.commits.Inc()
	}
	return id, err
}

func (g *guarded) KnownSizes(ctx context.Context) (map[int64][]store.KnownIngest, error) {
	st, err := g.c.enter()
	if err != nil {
		return nil, err
	}
	defer g.c.leave()
	ctx, done := g.c.opContext(ctx)
	defer done()
	return st.KnownSizes(ctx)
}

func (g *guarded) Reassign(ctx context.Context, from, to string, locate func(netip.Addr) store.Place, countryDB, asnDB string) (store.ReassignResult, error) {
	st, err := g.c.enter()
	if err != nil {
		return store.ReassignResult{}, err
	}
	defer g.c.leave()
	ctx, done := g.c.opContext(ctx)
	defer done()
	return st.Reassign(ctx, from, to, locate, countryDB, asnDB)
}

func (g *guarded) Path() string { return g.c.config.Path }

func (g *guarded) TimeZone() string {
	if st := g.current(); st != nil {
		return st.TimeZone()
	}
	return g.c.config.TimeZone
}

func (g *guarded) Location() *time.Location {
	if st := g.current(); st != nil {
		return st.Location()
	}
	return time.UTC
}

// Close does nothing: the store component closes the store on Stop.
func (g *guarded) Close() error { return nil }

func (g *guarded) current() store.Store {
	g.c.mu.Lock()
	defer g.c.mu.Unlock()
	return g.c.st
}

var (
	_ store.EvidenceTx   = (*guardedTx)(nil)
	_ store.SrcPortTx    = (*guardedTx)(nil)
	_ store.ContinuingTx = (*guardedTx)(nil)
)

// guardedTx counts as one operation in flight from Begin to Finish/Abort.
type guardedTx struct {
	c     *Component
	inner store.Tx
	once  sync.Once
}

func (t *guardedTx) ID() int32 { return t.inner.ID() }

// Continues passes store.Batch.Continues on to the store's Tx when it
// takes it (store.ContinuingTx).
func (t *guardedTx) Continues() {
	if ct, ok := t.inner.(store.ContinuingTx); ok {
		ct.Continues()
	}
}

func (t *guardedTx) Append(ctx context.Context, r *aggregate.Result, places []store.Place, sensor string, pattern func(int) string) error {
	ctx, done := t.c.opContext(ctx)
	defer done()
	return t.inner.Append(ctx, r, places, sensor, pattern)
}

// AppendEvidence keeps the capture's evidence when the store's Tx does
// (store.EvidenceTx), and none otherwise.
func (t *guardedTx) AppendEvidence(ctx context.Context, p *evidence.Part, sensor string) error {
	et, ok := t.inner.(store.EvidenceTx)
	if !ok {
		return nil
	}
	ctx, done := t.c.opContext(ctx)
	defer done()
	return et.AppendEvidence(ctx, p, sensor)
}

// AppendSrcPorts keeps the capture's source-port histograms when the
// store's Tx does (store.SrcPortTx), and none otherwise.
func (t *guardedTx) AppendSrcPorts(ctx context.Context, p *srcports.Part, sensor string) error {
	st, ok := t.inner.(store.SrcPortTx)
	if !ok {
		return nil
	}
	ctx, done := t.c.opContext(ctx)
	defer done()
	return st.AppendSrcPorts(ctx, p, sensor)
}

func (t *guardedTx) Finish(ctx context.Context, in store.Ingest, replace bool, sensor store.Sensor) error {
	ctx, done := t.c.opContext(ctx)
	defer done()
	err := t.inner.Finish(ctx, in, replace, sensor)
	// Finish either commits or rolls back: the transaction is over.
	t.end(err == nil)
	return err
}

func (t *guardedTx) Abort() error {
	err := t.inner.Abort()
	t.end(false)
	return err
}

func (t *guardedTx) end(committed bool) {
	t.once.Do(func() {
		if committed {
			t.c.m.commits.Inc()
		} else {
			t.c.m.commitFailures.Inc()
		}
		t.c.m.openTx.Dec()
		t.c.mu.Lock()
		delete(t.c.txs, t)
		t.c.mu.Unlock()
		t.c.leave()
	})
}

// UpdateLinks brings the store's links up to date when it keeps them
// (store.LinkUpdater); otherwise there is nothing to do.
func (g *guarded) UpdateLinks(ctx context.Context) (bool, error) {
	st, err := g.c.enter()
	if err != nil {
		return false, err
	}
	defer g.c.leave()
	u, ok := st.(store.LinkUpdater)
	if !ok {
		return false, nil
	}
	ctx, done := g.c.opContext(ctx)
	defer done()
	return u.UpdateLinks(ctx)
}
