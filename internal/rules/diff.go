package rules

import (
	"cmp"
	"slices"
)

// RuleID identifies one rule a set read, whether it loaded or not.
type RuleID struct {
	GID, SID, Rev uint32
	Msg           string // "" when the rule's msg could not be read
	Loaded        bool   // the rule loaded (false: it is among Unsupported)
}

// IDs returns every rule the set read, loaded or unsupported, once per
// gid:sid (the highest rev when a sid occurs more than once, as Suricata
// keeps it), in gid, sid order. Unsupported entries without a sid (text
// that is not a rule) are left out. Rules skipped as disabled are not in
// the set: load with Options.IncludeDisabled to compare them too.
func (s *Set) IDs() []RuleID {
	m := make(map[[2]uint32]RuleID, len(s.Rules)+len(s.Unsupported))
	put := func(id RuleID) {
		k := [2]uint32{id.GID, id.SID}
		if old, ok := m[k]; ok && (old.Rev > id.Rev || old.Rev == id.Rev && old.Loaded) {
			return
		}
		m[k] = id
	}
	for _, r := range s.Rules {
		put(RuleID{GID: r.GID, SID: r.SID, Rev: r.Rev, Msg: r.Msg, Loaded: true})
	}
	for _, u := range s.Unsupported {
		if u.SID != 0 {
			put(RuleID{GID: u.GID, SID: u.SID, Rev: u.Rev, Msg: u.Msg})
		}
	}
	out := make([]RuleID, 0, len(m))
	for _, id := range m {
		out = append(out, id)
	}
	slices.SortFunc(out, func(a, b RuleID) int {
		return cmp.Or(cmp.Compare(a.GID, b.GID), cmp.Compare(a.SID, b.SID))
	})
	return out
}

// RevChange is a rule both sets have under different revs.
type RevChange struct {
	GID, SID    uint32
	OldRev, Rev uint32
	OldMsg, Msg string
}

// Diff is what changed from one rule set to another, by gid:sid: rules
// only the new set has, rules only the old one has, and rules whose rev
// differs. Rules with the same gid:sid:rev count as unchanged whatever
// else of their text differs (rule sets back-fill metadata without a rev
// bump).
type Diff struct {
	Added   []RuleID
	Removed []RuleID
	Changed []RevChange
}

// DiffSets compares two sets (see Diff), each list in gid, sid order.
func DiffSets(old, new *Set) Diff {
	return DiffIDs(old.IDs(), new.IDs())
}

// DiffIDs compares two lists of rule ids in gid, sid order (as IDs
// returns them).
func DiffIDs(a, b []RuleID) Diff {
	var d Diff
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		var c int
		switch {
		case i == len(a):
			c = 1
		case j == len(b):
			c = -1
		default:
			c = cmp.Or(cmp.Compare(a[i].GID, b[j].GID), cmp.Compare(a[i].SID, b[j].SID))
		}
		switch {
		case c < 0:
			d.Removed = append(d.Removed, a[i])
			i++
		case c > 0:
			d.Added = append(d.Added, b[j])
			j++
		default:
			if a[i].Rev != b[j].Rev {
				d.Changed = append(d.Changed, RevChange{GID: a[i].GID, SID: a[i].SID, OldRev: a[i].Rev, Rev: b[j].Rev,
					OldMsg: a[i].Msg, Msg: b[j].Msg})
			}
			i++
			j++
		}
	}
	return d
}
