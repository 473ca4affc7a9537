package rules

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io"
	"strings"
	"sync"

	"github.com/honeyscope/honeyscope/internal/classify"
)

//go:embed builtin.rules
var builtinFS embed.FS

// BuiltinFile is the name of the embedded built-in rule file.
const BuiltinFile = "builtin.rules"

// LoadBuiltin returns a set holding the built-in rules: the exploit
// patterns of internal/classify written in this syntax (sids 9000001+ for
// payloads, 9100001+ for honeypot command lines). It loads with the same
// parser as any rule file, so its syntax is checked by the tests.
func LoadBuiltin(opt Options) (*Set, error) {
	s := NewSet(opt)
	if err := s.AddFS(builtinFS, BuiltinFile); err != nil {
		return nil, err
	}
	return s, nil
}

// Pattern returns the value of the rule's "pattern NAME" metadata (the
// built-in pattern it stands for), or "".
func (r *Rule) Pattern() string {
	for _, m := range r.Metadata {
		if v, ok := strings.CutPrefix(m, "pattern "); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// ExploitAdapter implements classify.ExploitMatcher over an engine, so the
// packet pipeline can switch from the built-in patterns to rules: Match
// returns the index of the first (lowest index) rule that matches the
// payload, Pattern gives the rule's "gid:sid:rev" and msg (what the store
// records of an exploit hit). Matchers come from a
// pool, so the adapter is safe for concurrent use and Match does not
// allocate in steady state.
type ExploitAdapter struct {
	e       *Engine
	pool    sync.Pool
	ids     []string
	version string
}

var _ classify.ExploitMatcher = (*ExploitAdapter)(nil)

// NewExploitAdapter returns the adapter of e.
func NewExploitAdapter(e *Engine) *ExploitAdapter {
	a := &ExploitAdapter{e: e, ids: make([]string, len(e.rules))}
	h := sha256.New()
	for i, r := range e.rules {
		a.ids[i] = r.ID()
		io.WriteString(h, r.Text)
		h.Write([]byte{'\n'})
	}
	a.version = "rules-" + hex.EncodeToString(h.Sum(nil))[:12]
	a.pool.New = func() any { return &adapterScratch{m: NewMatcher(e)} }
	return a
}

type adapterScratch struct {
	m *Matcher
}

// Match implements classify.ExploitMatcher: the payload is inspected as the
// payload of a TCP packet to a server (so HTTP buffers apply) of unknown
// addresses and ports; the result is a rule index or -1.
func (a *ExploitAdapter) Match(payload []byte) int {
	if len(payload) == 0 {
		return -1
	}
	s := a.pool.Get().(*adapterScratch)
	al, ok := s.m.PayloadFirst(payload, nil)
	a.pool.Put(s)
	if !ok {
		return -1
	}
	return int(al.Rule)
}

// Pattern implements classify.ExploitMatcher: "gid:sid:rev" and the rule's msg.
func (a *ExploitAdapter) Pattern(id int) (name, description string) {
	if id < 0 || id >= len(a.ids) {
		return "", ""
	}
	return a.ids[id], a.e.rules[id].Msg
}

// Version names the detection rules for the ingest log
// (classify.DetectionVersion): "rules-" and the first 12 hex digits of a
// SHA-256 over the loaded rules' text in order.
func (a *ExploitAdapter) Version() string { return a.version }

// Engine returns the engine the adapter matches with.
func (a *ExploitAdapter) Engine() *Engine { return a.e }

// NumPatterns implements classify.ExploitMatcher.
func (a *ExploitAdapter) NumPatterns() int { return len(a.ids) }
