// Package backfill re-evaluates the stored evidence (package evidence) under
// a rule set, so that exploit counts exist under it for days that were
// classified with another one (`honeyscope rules backfill`).
package backfill

import (
	"context"
	"errors"
	"fmt"

	"github.com/honeyscope/honeyscope/internal/rules"
	"github.com/honeyscope/honeyscope/internal/ruleset"
	"github.com/honeyscope/honeyscope/internal/store"
)

// Classifier returns the classifiers a backfill runs: over each stored
// payload, the built-in rules and files compiled as `ingest --rules`
// compiles them (ruleset.Matcher), giving the first matching rule's
// "gid:sid:rev" or ""; over each honeypot session, the same rules on its
// commands and requests (SessionClassifier). The set is returned for its
// Unsupported list.
func Classifier(files []ruleset.File) (store.Classifiers, *rules.Set, error) {
	m, s, err := ruleset.Matcher(files, rules.Options{})
	if err != nil {
		return store.Classifiers{}, nil, err
	}
	return store.Classifiers{
		Payload: func(p store.EvidencePayload) string {
			id := m.Match(p.Data)
			if id < 0 {
				return ""
			}
			name, _ := m.Pattern(id)
			return name
		},
		Session: SessionClassifier(m.Engine()),
	}, s, nil
}

// Files returns the rule files of a stored set (none for the built-in rules
// alone, store.BuiltinRuleSet).
func Files(rs store.RuleSet) []ruleset.File {
	out := make([]ruleset.File, len(rs.Files))
	for i, f := range rs.Files {
		out[i] = ruleset.File{Name: f.Name, Text: f.Text}
	}
	return out
}

// Resolve finds the rule set a backfill or a read names: "builtin" is the
// built-in rules alone (store.BuiltinRuleSet, no files), anything else a
// stored set by name or "#ID" (with its files).
func Resolve(ctx context.Context, st any, name string) (store.RuleSet, error) {
	if name == "builtin" {
		return store.RuleSet{ID: store.BuiltinRuleSet, Name: "builtin"}, nil
	}
	r, err := store.RuleSetsOf(st)
	if err != nil {
		return store.RuleSet{}, err
	}
	rs, err := r.RuleSet(ctx, name)
	if errors.Is(err, store.ErrNoRuleSet) {
		return rs, fmt.Errorf("%w (honeyscope rules list shows the stored sets; \"builtin\" is the built-in rules alone)", err)
	}
	return rs, err
}

// Run backfills the evidence of q under rs (see store.EvidenceStore.Backfill).
func Run(ctx context.Context, es store.EvidenceStore, rs store.RuleSet, q store.EvidenceQuery, progress func(done, total int)) (store.BackfillResult, error) {
	classify, _, err := Classifier(Files(rs))
	if err != nil {
		return store.BackfillResult{}, fmt.Errorf("rule set %s: %w", rs.Name, err)
	}
	return es.Backfill(ctx, rs.ID, q, classify, progress)
}
