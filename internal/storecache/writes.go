package storecache

import (
	"context"
	"net/netip"

	"github.com/honeyscope/honeyscope/internal/aggregate"
	"github.com/honeyscope/honeyscope/internal/evidence"
	"github.com/honeyscope/honeyscope/internal/srcports"
	"github.com/honeyscope/honeyscope/internal/store"
)

// Every write moves the generation on when it ends, whatever its outcome
// (a failed write may still have changed something; asking again costs
// only time).

// Begin starts a capture's transaction; its Finish moves the generation on.
func (s *Store) Begin(ctx context.Context) (store.Tx, error) {
	tx, err := s.Store.Begin(ctx)
	if err != nil {
		return nil, err
	}
	return &tx2{Tx: tx, s: s}, nil
}

var (
	_ store.EvidenceTx   = (*tx2)(nil)
	_ store.SrcPortTx    = (*tx2)(nil)
	_ store.ContinuingTx = (*tx2)(nil)
)

type tx2 struct {
	store.Tx
	s *Store
}

func (t *tx2) Finish(ctx context.Context, in store.Ingest, replace bool, sensor store.Sensor) error {
	defer t.s.Invalidate()
	return t.Tx.Finish(ctx, in, replace, sensor)
}

func (t *tx2) Append(ctx context.Context, r *aggregate.Result, places []store.Place, sensor string, pattern func(int) string) error {
	return t.Tx.Append(ctx, r, places, sensor, pattern)
}

// AppendEvidence keeps the capture's evidence when the underlying
// transaction does (store.EvidenceTx), and none otherwise.
func (t *tx2) AppendEvidence(ctx context.Context, p *evidence.Part, sensor string) error {
	if et, ok := t.Tx.(store.EvidenceTx); ok {
		return et.AppendEvidence(ctx, p, sensor)
	}
	return nil
}

// AppendSrcPorts keeps the capture's source-port histograms when the
// underlying transaction does (store.SrcPortTx), and none otherwise.
func (t *tx2) AppendSrcPorts(ctx context.Context, p *srcports.Part, sensor string) error {
	if st, ok := t.Tx.(store.SrcPortTx); ok {
		return st.AppendSrcPorts(ctx, p, sensor)
	}
	return nil
}

// Continues passes store.Batch.Continues on when the underlying
// transaction takes it (store.ContinuingTx).
func (t *tx2) Continues() {
	if ct, ok := t.Tx.(store.ContinuingTx); ok {
		ct.Continues()
	}
}

// Commit writes a batch.
func (s *Store) Commit(ctx context.Context, b *store.Batch) (int32, error) {
	defer s.Invalidate()
	return s.Store.Commit(ctx, b)
}

// Reassign geolocates stored sources again.
func (s *Store) Reassign(ctx context.Context, from, to string, locate func(netip.Addr) store.Place, countryDB, asnDB string) (store.ReassignResult, error) {
	defer s.Invalidate()
	return s.Store.Reassign(ctx, from, to, locate, countryDB, asnDB)
}

// CommitSessions writes honeypot sessions.
func (s *Store) CommitSessions(ctx context.Context, b store.SessionBatch) error {
	defer s.Invalidate()
	return s.Store.CommitSessions(ctx, b)
}
