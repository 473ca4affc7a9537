package owner

import (
	"context"

	"github.com/honeyscope/honeyscope/internal/store"
)

var _ store.RuleSetStore = (*guarded)(nil)

// AddRuleSet implements store.RuleSetStore on the owned store.
func (g *guarded) AddRuleSet(ctx context.Context, rs store.RuleSet) (store.RuleSet, error) {
	return read(g, ctx, func(st store.Store, ctx context.Context) (store.RuleSet, error) {
		r, err := store.RuleSetsOf(st)
		if err != nil {
			return rs, err
		}
		return r.AddRuleSet(ctx, rs)
	})
}

// RuleSets implements store.RuleSetStore on the owned store.
func (g *guarded) RuleSets(ctx context.Context) ([]store.RuleSet, error) {
	return read(g, ctx, func(st store.Store, ctx context.Context) ([]store.RuleSet, error) {
		r, err := store.RuleSetsOf(st)
		if err != nil {
			return nil, err
		}
		return r.RuleSets(ctx)
	})
}

// RuleSet implements store.RuleSetStore on the owned store.
func (g *guarded) RuleSet(ctx context.Context, name string) (store.RuleSet, error) {
	return read(g, ctx, func(st store.Store, ctx context.Context) (store.RuleSet, error) {
		r, err := store.RuleSetsOf(st)
		if err != nil {
			return store.RuleSet{}, err
		}
		return r.RuleSet(ctx, name)
	})
}

// RuleMsgs implements store.RuleSetStore on the owned store.
func (g *guarded) RuleMsgs(ctx context.Context) (map[string]string, error) {
	return read(g, ctx, func(st store.Store, ctx context.Context) (map[string]string, error) {
		r, err := store.RuleSetsOf(st)
		if err != nil {
			return nil, err
		}
		return r.RuleMsgs(ctx)
	})
}
