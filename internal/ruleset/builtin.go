package ruleset

import (
	"sync"

	"github.com/honeyscope/honeyscope/internal/rules"
)

var builtinOnce = sync.OnceValues(func() (*rules.ExploitAdapter, error) {
	a, _, err := Matcher(nil, rules.Options{})
	return a, err
})

// Builtin returns the exploit matcher of the built-in rule file alone
// (compiled once; safe for concurrent use).
func Builtin() (*rules.ExploitAdapter, error) { return builtinOnce() }
