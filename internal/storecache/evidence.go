package storecache

import (
	"context"

	"github.com/honeyscope/honeyscope/internal/store"
)

var _ store.EvidenceStore = (*Store)(nil)

// EvidenceDays asks the underlying store (not cached).
func (s *Store) EvidenceDays(ctx context.Context, q store.EvidenceQuery) ([]store.EvidenceDay, error) {
	e, err := store.EvidenceOf(s.Store)
	if err != nil {
		return nil, err
	}
	return e.EvidenceDays(ctx, q)
}

// RuleSetRuns asks the underlying store (not cached).
func (s *Store) RuleSetRuns(ctx context.Context, q store.EvidenceQuery) ([]store.RuleSetRun, error) {
	e, err := store.EvidenceOf(s.Store)
	if err != nil {
		return nil, err
	}
	return e.RuleSetRuns(ctx, q)
}

// Backfill writes through to the underlying store and then drops every
// cached answer: the exploit counts under the rule set changed.
func (s *Store) Backfill(ctx context.Context, ruleSet int32, q store.EvidenceQuery, c store.Classifiers, progress func(done, total int)) (store.BackfillResult, error) {
	e, err := store.EvidenceOf(s.Store)
	if err != nil {
		return store.BackfillResult{}, err
	}
	defer s.Invalidate()
	return e.Backfill(ctx, ruleSet, q, c, progress)
}
