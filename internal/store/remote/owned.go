package remote

import (
	"context"
	"net/netip"
	"sync"
	"time"

	"github.com/honeyscope/honeyscope/internal/aggregate"
	"github.com/honeyscope/honeyscope/internal/session"
	"github.com/honeyscope/honeyscope/internal/store"
)

// Store returns the owned store for the owner's own use (the API, a live
// capture): its writes wait for the same write lock as the clients', so
// that two transactions never run at once (each would not see the
// other's ingest when checking for duplicates). Close does nothing: the
// owner closes the store itself after Stop.
func (s *Server) Store() store.Store { return ownedStore{Reader: s.st, s: s} }

// ownedStore answers reads from the store itself; writes take the owner's
// write lock.
type ownedStore struct {
	store.Reader
	s *Server
}

func (o ownedStore) Stats(ctx context.Context, q store.StatsQuery) ([]store.StatsRow, error) {
	return o.s.st.Stats(ctx, q)
}

func (o ownedStore) KnownSizes(ctx context.Context) (map[int64][]store.KnownIngest, error) {
	return o.s.st.KnownSizes(ctx)
}

func (o ownedStore) Path() string { return o.s.st.Path() }

func (o ownedStore) TimeZone() string { return o.s.st.TimeZone() }

func (o ownedStore) Location() *time.Location { return o.s.st.Location() }

func (o ownedStore) Close() error { return nil }

func (o ownedStore) Begin(ctx context.Context) (store.Tx, error) {
	if err := o.s.acquireWrite(ctx); err != nil {
		return nil, err
	}
	tx, err := o.s.st.Begin(ctx)
	if err != nil {
		o.s.releaseWrite()
		return nil, err
	}
	return &ownedTx{s: o.s, tx: tx}, nil
}

func (o ownedStore) Commit(ctx context.Context, b *store.Batch) (int32, error) {
	if err := o.s.acquireWrite(ctx); err != nil {
		return 0, err
	}
	defer o.s.releaseWrite()
	id, err := o.s.st.Commit(ctx, b)
	if err == nil {
		o.s.committed(b.Ingest)
	}
	return id, err
}

func (o ownedStore) Reassign(ctx context.Context, from, to string, locate func(netip.Addr) store.Place, countryDB, asnDB string) (store.ReassignResult, error) {
	if err := o.s.acquireWrite(ctx); err != nil {
		return store.ReassignResult{}, err
	}
	defer o.s.releaseWrite()
	return o.s.st.Reassign(ctx, from, to, locate, countryDB, asnDB)
}

func (o ownedStore) CommitSessions(ctx context.Context, b store.SessionBatch) error {
	if err := o.s.acquireWrite(ctx); err != nil {
		return err
	}
	defer o.s.releaseWrite()
	err := o.s.st.CommitSessions(ctx, b)
	if err == nil && b.Hits != nil {
		o.s.committed(b.Hits.Ingest)
	}
	return err
}

func (o ownedStore) Sessions(ctx context.Context, q store.SessionQuery) ([]session.Session, error) {
	return o.s.st.Sessions(ctx, q)
}

func (o ownedStore) Samples(ctx context.Context, q store.SampleQuery) ([]session.Sample, error) {
	return o.s.st.Samples(ctx, q)
}

// ownedTx releases the write lock when it ends.
type ownedTx struct {
	mu   sync.Mutex
	s    *Server
	tx   store.Tx
	done bool
}

func (t *ownedTx) ID() int32 { return t.tx.ID() }

func (t *ownedTx) Append(ctx context.Context, r *aggregate.Result, places []store.Place, sensor string, pattern func(int) string) error {
	return t.tx.Append(ctx, r, places, sensor, pattern)
}

func (t *ownedTx) Finish(ctx context.Context, in store.Ingest, replace bool, sensor store.Sensor) error {
	err := t.tx.Finish(ctx, in, replace, sensor)
	if err == nil {
		t.s.committed(in)
	}
	t.release()
	return err
}

func (t *ownedTx) Abort() error {
	err := t.tx.Abort()
	t.release()
	return err
}

func (t *ownedTx) release() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.done {
		t.done = true
		t.s.releaseWrite()
	}
}
