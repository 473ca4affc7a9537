package store

import (
	"context"
	"errors"
	"time"

	"github.com/honeyscope/honeyscope/internal/civil"
)

// RuleSet is a rule set kept in the store: the rule files that classify
// exploits (besides the built-in rules), a version label, and from which
// day on and for which sensor it is the active one.
type RuleSet struct {
	ID      int32
	Name    string
	Version string
	Hash    string     // content hash of Files (ruleset.Hash): "sha256:<hex>"
	Files   []RuleFile // the rule files as text, in load order
	From    civil.Day  // the first day it is active (zero: from the start)
	Sensor  string     // the sensor it is active for ("" for every sensor)
	AddedAt time.Time
	// AdHoc: stored by an ingest given rule files (--rules), not by
	// `rules add`: it is never active on its own.
	AdHoc bool
	// Rules are the rules the files hold, loaded or not (for naming the
	// rules of exploit hits); not filled by RuleSets.
	Rules []RuleInfo
}

// RuleFile is one rule file of a set.
type RuleFile struct {
	Name string
	Text string
}

// RuleInfo names one rule of a stored set.
type RuleInfo struct {
	GID, SID, Rev uint32
	Msg           string
	Classtype     string
}

// ErrNoRuleSet is returned for a rule set name the store does not hold.
var ErrNoRuleSet = errors.New("no such rule set")

// RuleSetStore keeps rule sets (duckstore.Store and the remote client
// implement it; a Store without it keeps none).
type RuleSetStore interface {
	// AddRuleSet stores rs (its ID and AddedAt are set by the store) and
	// returns it as stored. An ad-hoc set whose hash the store already
	// holds is not stored again: the one held is returned.
	AddRuleSet(ctx context.Context, rs RuleSet) (RuleSet, error)
	// RuleSets lists the stored sets, oldest first, without Files and Rules.
	RuleSets(ctx context.Context) ([]RuleSet, error)
	// RuleSet returns the newest set of that name (or of that id, written
	// "#N") with its Files and Rules, or ErrNoRuleSet.
	RuleSet(ctx context.Context, name string) (RuleSet, error)
	// RuleMsgs returns the msg of every rule of every stored set, by
	// "gid:sid:rev".
	RuleMsgs(ctx context.Context) (map[string]string, error)
}

// ActiveRuleSet returns the set active for sensor on day among sets (as
// RuleSets lists them): of the sets for that sensor or for every sensor,
// not ad hoc, whose From is on or before day, the one with the latest From
// (a set for the sensor itself before one for every sensor, then the one
// added last). ok is false when none is.
func ActiveRuleSet(sets []RuleSet, sensor string, day civil.Day) (RuleSet, bool) {
	var best RuleSet
	ok := false
	for _, rs := range sets {
		if rs.AdHoc || rs.Sensor != "" && rs.Sensor != sensor || rs.From > day {
			continue
		}
		if !ok || rs.From > best.From || rs.From == best.From && (rs.Sensor != "" || best.Sensor == "") {
			best, ok = rs, true
		}
	}
	return best, ok
}

// ErrNoRuleSets is returned by a store that keeps no rule sets.
var ErrNoRuleSets = errors.New("this store keeps no rule sets")

// RuleSetsOf returns st as a RuleSetStore, or an error saying it keeps
// none.
func RuleSetsOf(st any) (RuleSetStore, error) {
	if r, ok := st.(RuleSetStore); ok {
		return r, nil
	}
	return nil, ErrNoRuleSets
}
