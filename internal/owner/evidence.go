package owner

import (
	"context"

	"github.com/honeyscope/honeyscope/internal/store"
)

var _ store.EvidenceStore = (*guarded)(nil)

// EvidenceDays implements store.EvidenceStore on the owned store.
func (g *guarded) EvidenceDays(ctx context.Context, q store.EvidenceQuery) ([]store.EvidenceDay, error) {
	return read(g, ctx, func(st store.Store, ctx context.Context) ([]store.EvidenceDay, error) {
		e, err := store.EvidenceOf(st)
		if err != nil {
			return nil, err
		}
		return e.EvidenceDays(ctx, q)
	})
}

// RuleSetRuns implements store.EvidenceStore on the owned store.
func (g *guarded) RuleSetRuns(ctx context.Context, q store.EvidenceQuery) ([]store.RuleSetRun, error) {
	return read(g, ctx, func(st store.Store, ctx context.Context) ([]store.RuleSetRun, error) {
		e, err := store.EvidenceOf(st)
		if err != nil {
			return nil, err
		}
		return e.RuleSetRuns(ctx, q)
	})
}

// Backfill implements store.EvidenceStore on the owned store, as one
// operation in flight (Stop waits for it, or its deadline cancels it).
func (g *guarded) Backfill(ctx context.Context, ruleSet int32, q store.EvidenceQuery, c store.Classifiers, progress func(done, total int)) (store.BackfillResult, error) {
	return read(g, ctx, func(st store.Store, ctx context.Context) (store.BackfillResult, error) {
		e, err := store.EvidenceOf(st)
		if err != nil {
			return store.BackfillResult{}, err
		}
		return e.Backfill(ctx, ruleSet, q, c, progress)
	})
}
