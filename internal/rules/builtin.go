package rules

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"hash/maphash"
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
//
// Match's answer depends on the payload's bytes only, and darknet traffic
// repeats the same payloads (one bot's exploit from many sources), so each
// pooled matcher keeps the answers for its last payloads of up to
// CacheMaxLen bytes in a direct-mapped table of CacheEntries slots, each
// holding a copy of its payload that a hit is compared with in full.
type ExploitAdapter struct {
	e       *Engine
	pool    sync.Pool
	ids     []string
	version string
	seed    maphash.Seed
}

// Bounds of the adapter's answer cache, per pooled matcher (the copies
// take CacheEntries × CacheMaxLen bytes: 2 MiB).
const (
	CacheEntries = 4096
	CacheMaxLen  = 512
)

var _ classify.ExploitMatcher = (*ExploitAdapter)(nil)

// NewExploitAdapter returns the adapter of e.
func NewExploitAdapter(e *Engine) *ExploitAdapter {
	a := &ExploitAdapter{e: e, ids: make([]string, len(e.rules)), seed: maphash.MakeSeed()}
	h := sha256.New()
	for i, r := range e.rules {
		a.ids[i] = r.ID()
		io.WriteString(h, r.Text)
		h.Write([]byte{'\n'})
	}
	a.version = "rules-" + hex.EncodeToString(h.Sum(nil))[:12]
	a.pool.New = func() any {
		return &adapterScratch{m: NewMatcher(e), ents: make([]cacheEntry, CacheEntries), data: make([]byte, CacheEntries*CacheMaxLen)}
	}
	return a
}

type adapterScratch struct {
	m    *Matcher
	ents []cacheEntry
	data []byte // slot i's payload at i*CacheMaxLen
}

// cacheEntry is one slot of the answer cache.
type cacheEntry struct {
	h  uint64
	n  int32 // payload length + 1; 0: empty
	id int32
}

// Match implements classify.ExploitMatcher: the payload is inspected as the
// payload of a TCP packet to a server (so HTTP buffers apply) of unknown
// addresses and ports; the result is a rule index or -1.
func (a *ExploitAdapter) Match(payload []byte) int {
	if len(payload) == 0 {
		return -1
	}
	s := a.pool.Get().(*adapterScratch)
	var ce *cacheEntry
	var slot []byte
	var h uint64
	if len(payload) <= CacheMaxLen {
		h = maphash.Bytes(a.seed, payload)
		i := int(h & (CacheEntries - 1))
		ce, slot = &s.ents[i], s.data[i*CacheMaxLen:(i+1)*CacheMaxLen]
		if ce.n == int32(len(payload))+1 && ce.h == h && bytes.Equal(slot[:len(payload)], payload) {
			id := int(ce.id)
			a.pool.Put(s)
			return id
		}
	}
	id := int32(-1)
	if al, ok := s.m.PayloadFirst(payload, nil); ok {
		id = al.Rule
	}
	if ce != nil {
		copy(slot, payload)
		*ce = cacheEntry{h: h, n: int32(len(payload)) + 1, id: id}
	}
	a.pool.Put(s)
	return int(id)
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
