package storecache

import (
	"context"

	"github.com/honeyscope/honeyscope/internal/store"
)

var _ store.RuleSetStore = (*Store)(nil)

// AddRuleSet stores a rule set in the underlying store (no cached view
// depends on rule sets).
func (s *Store) AddRuleSet(ctx context.Context, rs store.RuleSet) (store.RuleSet, error) {
	r, err := store.RuleSetsOf(s.Store)
	if err != nil {
		return rs, err
	}
	return r.AddRuleSet(ctx, rs)
}

// RuleSets asks the underlying store.
func (s *Store) RuleSets(ctx context.Context) ([]store.RuleSet, error) {
	r, err := store.RuleSetsOf(s.Store)
	if err != nil {
		return nil, err
	}
	return r.RuleSets(ctx)
}

// RuleSet asks the underlying store.
func (s *Store) RuleSet(ctx context.Context, name string) (store.RuleSet, error) {
	r, err := store.RuleSetsOf(s.Store)
	if err != nil {
		return store.RuleSet{}, err
	}
	return r.RuleSet(ctx, name)
}

// RuleMsgs asks the underlying store.
func (s *Store) RuleMsgs(ctx context.Context) (map[string]string, error) {
	r, err := store.RuleSetsOf(s.Store)
	if err != nil {
		return nil, err
	}
	return r.RuleMsgs(ctx)
}
