package classify

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
)

// detectionRevision is raised by hand whenever the classification logic
// that the pattern table cannot show changes: the class fingerprints in
// Classify or a pattern's context check function. Changes to the table
// itself (names, literals, case folding, groups, order) change
// BuiltinVersion on their own.
const detectionRevision = 1

// BuiltinVersion identifies the built-in detection rules (class
// fingerprints and exploit pattern set): "builtin-" and the first 12 hex
// digits of a SHA-256 over detectionRevision and the pattern table in
// priority order. Two ingests with the same BuiltinVersion were
// classified alike; the store records it per ingest.
var BuiltinVersion = builtinVersion(builtinPatterns)

func builtinVersion(specs []patternSpec) string {
	h := sha256.New()
	fmt.Fprintf(h, "revision %d\n", detectionRevision)
	lit := func(kind string, l litSpec) {
		fmt.Fprintf(h, "%s %q fold=%v check=%v\n", kind, l.text, l.fold, l.check != nil)
	}
	for _, p := range specs {
		fmt.Fprintf(h, "pattern %q %q\n", p.name, p.desc)
		for _, l := range p.anchors {
			lit("anchor", l)
		}
		for i, g := range p.all {
			fmt.Fprintf(h, "group %d\n", i)
			for _, l := range g {
				lit("all", l)
			}
		}
	}
	return "builtin-" + hex.EncodeToString(h.Sum(nil))[:12]
}

// Version returns BuiltinVersion for the built-in set (another pattern
// set compiled by newPatternMatcher hashes its own table).
func (m *builtinMatcher) Version() string {
	if len(m.patterns) > 0 && &m.patterns[0] == &builtinPatterns[0] {
		return BuiltinVersion
	}
	return builtinVersion(m.patterns)
}

// DetectionVersion names the detection rules a classifier with exploit
// matcher m applies, for the ingest log: m's own Version() when it has one
// (BuiltinVersion for NewBuiltinExploits), "custom" for a matcher without
// one, and "no-exploits-" + BuiltinVersion when m is nil (the exploit class
// disabled, the other classes as built in).
func DetectionVersion(m ExploitMatcher) string {
	if m == nil {
		return "no-exploits-" + BuiltinVersion
	}
	if v, ok := m.(interface{ Version() string }); ok {
		return v.Version()
	}
	return "custom"
}
