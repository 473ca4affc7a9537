package remote

import (
	"context"

	"github.com/honeyscope/honeyscope/internal/store"
)

// Rule sets through the owner: the reads are Reader calls; AddRuleSet is
// one too, run under the owner's write lock (server.go).
const (
	opAddRuleSet = "add-rule-set"
	opRuleSets   = "rule-sets"
	opRuleSet    = "rule-set"
	opRuleMsgs   = "rule-msgs"
)

// ruleSetOp makes the readFunc of a RuleSetStore method of one argument.
func ruleSetOp[A, R any](f func(store.RuleSetStore, context.Context, A) (R, error)) readFunc {
	return readOp(func(st store.Store, ctx context.Context, a A) (R, error) {
		r, err := store.RuleSetsOf(st)
		if err != nil {
			var zero R
			return zero, err
		}
		return f(r, ctx, a)
	})
}

// addRuleSetOp is run by the server holding its write lock.
var addRuleSetOp = ruleSetOp(store.RuleSetStore.AddRuleSet)

func init() {
	readOps[opRuleSets] = readOp0(func(st store.Store, ctx context.Context) ([]store.RuleSet, error) {
		r, err := store.RuleSetsOf(st)
		if err != nil {
			return nil, err
		}
		return r.RuleSets(ctx)
	})
	readOps[opRuleSet] = ruleSetOp(store.RuleSetStore.RuleSet)
	readOps[opRuleMsgs] = readOp0(func(st store.Store, ctx context.Context) (map[string]string, error) {
		r, err := store.RuleSetsOf(st)
		if err != nil {
			return nil, err
		}
		return r.RuleMsgs(ctx)
	})
}

var _ store.RuleSetStore = (*Client)(nil)

// AddRuleSet asks the owner to store a rule set.
func (cl *Client) AddRuleSet(ctx context.Context, rs store.RuleSet) (store.RuleSet, error) {
	if cl.readOnly {
		return rs, errReadOnly
	}
	return readCall[store.RuleSet](ctx, cl, opAddRuleSet, rs)
}

// RuleSets asks the owner.
func (cl *Client) RuleSets(ctx context.Context) ([]store.RuleSet, error) {
	return readCall[[]store.RuleSet](ctx, cl, opRuleSets, nil)
}

// RuleSet asks the owner.
func (cl *Client) RuleSet(ctx context.Context, name string) (store.RuleSet, error) {
	return readCall[store.RuleSet](ctx, cl, opRuleSet, name)
}

// RuleMsgs asks the owner.
func (cl *Client) RuleMsgs(ctx context.Context) (map[string]string, error) {
	return readCall[map[string]string](ctx, cl, opRuleMsgs, nil)
}
