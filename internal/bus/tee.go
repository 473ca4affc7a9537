package bus

import (
	"context"
	"errors"
	"fmt"

	"github.com/honeyscope/honeyscope/internal/aggregate"
	"github.com/honeyscope/honeyscope/internal/evidence"
	"github.com/honeyscope/honeyscope/internal/srcports"
	"github.com/honeyscope/honeyscope/internal/store"
)

// Tee is a store that writes to a local store and publishes what the
// local store committed: reads are the local store's. The local write
// comes first: what it refuses (a duplicate) is not published, and what
// fails to publish after a local commit is an error naming both.
type Tee struct {
	store.Store
	Pub *Publisher
}

// Begin starts a Tx on both.
func (t *Tee) Begin(ctx context.Context) (store.Tx, error) {
	lt, err := t.Store.Begin(ctx)
	if err != nil {
		return nil, err
	}
	pt, _ := t.Pub.Begin(ctx)
	return &teeTx{local: lt, pub: pt}, nil
}

// Commit writes a batch through one teed Tx.
func (t *Tee) Commit(ctx context.Context, b *store.Batch) (int32, error) {
	return store.CommitBatch(ctx, b, t.Begin)
}

// CommitSessions commits locally, then publishes.
func (t *Tee) CommitSessions(ctx context.Context, b store.SessionBatch) error {
	if err := t.Store.CommitSessions(ctx, b); err != nil {
		return err
	}
	if err := t.Pub.CommitSessions(ctx, b); err != nil {
		return fmt.Errorf("committed locally, not published: %w", err)
	}
	return nil
}

// Close closes the publisher; the local store is its owner's.
func (t *Tee) Close() error { return t.Pub.Close() }

type teeTx struct {
	local, pub store.Tx
}

func (t *teeTx) ID() int32 { return t.local.ID() }

func (t *teeTx) Append(ctx context.Context, r *aggregate.Result, places []store.Place, sensor string, pattern func(int) string) error {
	if err := t.local.Append(ctx, r, places, sensor, pattern); err != nil {
		t.pub.Abort()
		return err
	}
	if err := t.pub.Append(ctx, r, places, sensor, pattern); err != nil {
		t.local.Abort()
		return fmt.Errorf("publish: %w", err)
	}
	return nil
}

func (t *teeTx) Finish(ctx context.Context, in store.Ingest, replace bool, sensor store.Sensor) error {
	if err := t.local.Finish(ctx, in, replace, sensor); err != nil {
		t.pub.Abort()
		return err
	}
	if err := t.pub.Finish(ctx, in, replace, sensor); err != nil {
		return fmt.Errorf("committed locally, not published: %w", err)
	}
	return nil
}

// AppendEvidence keeps the capture's evidence in the local store when its
// transaction does (store.EvidenceTx); the bus carries none.
func (t *teeTx) AppendEvidence(ctx context.Context, p *evidence.Part, sensor string) error {
	if et, ok := t.local.(store.EvidenceTx); ok {
		if err := et.AppendEvidence(ctx, p, sensor); err != nil {
			t.pub.Abort()
			return err
		}
	}
	return nil
}

// AppendSrcPorts keeps the capture's source-port histograms in the local
// store when its transaction does (store.SrcPortTx); the bus carries none.
func (t *teeTx) AppendSrcPorts(ctx context.Context, p *srcports.Part, sensor string) error {
	if st, ok := t.local.(store.SrcPortTx); ok {
		if err := st.AppendSrcPorts(ctx, p, sensor); err != nil {
			t.pub.Abort()
			return err
		}
	}
	return nil
}

func (t *teeTx) Abort() error {
	return errors.Join(t.local.Abort(), t.pub.Abort())
}

var _ store.Store = (*Tee)(nil)
