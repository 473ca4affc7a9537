package rules

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// An address or port group is a tree: a list of items, each possibly negated,
// each a leaf (a prefix, a port range) or a nested group. A group matches a
// value when it has no positive items or some positive item matches, and no
// negated item matches ("[10.0.0.0/8,!10.1.0.0/16]", "!$HOME_NET",
// "[1024:,!8080]"), as in Suricata.

// addrGroup is a parsed address group; any is true for "any".
type addrGroup struct {
	any   bool
	items []addrItem
}

type addrItem struct {
	neg    bool
	prefix netip.Prefix // valid for a leaf
	sub    *addrGroup   // for a nested group
}

func (g *addrGroup) match(a netip.Addr) bool {
	if g.any {
		return true
	}
	pos, hit := false, false
	for i := range g.items {
		it := &g.items[i]
		var m bool
		if it.sub != nil {
			m = it.sub.match(a)
		} else {
			m = it.prefix.Contains(a)
		}
		if it.neg {
			if m {
				return false
			}
			continue
		}
		pos = true
		hit = hit || m
	}
	return hit || !pos
}

// portGroup is a parsed port group.
type portGroup struct {
	any   bool
	items []portItem
}

type portItem struct {
	neg    bool
	lo, hi uint16
	sub    *portGroup
}

func (g *portGroup) match(p uint16) bool {
	if g.any {
		return true
	}
	pos, hit := false, false
	for i := range g.items {
		it := &g.items[i]
		var m bool
		if it.sub != nil {
			m = it.sub.match(p)
		} else {
			m = p >= it.lo && p <= it.hi
		}
		if it.neg {
			if m {
				return false
			}
			continue
		}
		pos = true
		hit = hit || m
	}
	return hit || !pos
}

// groupParser expands variables and parses nested lists for both kinds.
type groupParser struct {
	vars  Vars
	items int
}

// resolve expands a "$NAME" reference.
func (gp *groupParser) resolve(name string, depth int) (string, error) {
	if depth > maxVarDepth {
		return "", fmt.Errorf("variable $%s: nested too deeply (a loop?)", name)
	}
	v, ok := gp.vars[name]
	if !ok {
		return "", fmt.Errorf("undefined variable $%s", name)
	}
	return v, nil
}

// splitList splits the inside of [ ] on top-level commas.
func splitList(s string) ([]string, error) {
	var parts []string
	depth, start := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '[':
			depth++
		case ']':
			depth--
			if depth < 0 {
				return nil, errors.New("unbalanced ]")
			}
		case ',':
			if depth == 0 {
				parts = append(parts, strings.TrimSpace(s[start:i]))
				start = i + 1
			}
		}
	}
	if depth != 0 {
		return nil, errors.New("unbalanced [")
	}
	parts = append(parts, strings.TrimSpace(s[start:]))
	return parts, nil
}

// groupKind says how to build one kind of group (addresses, ports):
// what an empty group and "any" are, how to add a nested group, and how
// to parse and add a plain item.
type groupKind[G any] struct {
	name  string // "address" or "port", for messages
	empty func() *G
	any   func() *G
	sub   func(g *G, neg bool, sub *G)
	leaf  func(g *G, neg bool, item string) error
}

// parseGroup parses a group of Suricata's header syntax: "any", one
// item, a $VARIABLE, or a bracketed list of those (nested, negated with
// "!"), bounded in depth and in items over the whole rule.
func parseGroup[G any](gp *groupParser, k groupKind[G], s string, depth int) (*G, error) {
	s = strings.TrimSpace(s)
	if depth > maxGroupDepth {
		return nil, fmt.Errorf("%s group nested too deeply", k.name)
	}
	if s == "any" {
		return k.any(), nil
	}
	g := k.empty()
	var list []string
	if strings.HasPrefix(s, "[") {
		if !strings.HasSuffix(s, "]") {
			return nil, fmt.Errorf("%s group %q: missing ]", k.name, s)
		}
		var err error
		if list, err = splitList(s[1 : len(s)-1]); err != nil {
			return nil, fmt.Errorf("%s group %q: %w", k.name, s, err)
		}
	} else {
		list = []string{s}
	}
	for _, it := range list {
		gp.items++
		if gp.items > maxGroupItems {
			return nil, fmt.Errorf("%s group too large", k.name)
		}
		neg := false
		for strings.HasPrefix(it, "!") {
			neg = !neg
			it = strings.TrimSpace(it[1:])
		}
		switch {
		case it == "":
			return nil, fmt.Errorf("%s group %q: empty item", k.name, s)
		case it == "any":
			if neg {
				return nil, fmt.Errorf("%s !any matches nothing", k.name)
			}
			k.sub(g, false, k.any())
		case strings.HasPrefix(it, "$"):
			v, err := gp.resolve(it[1:], depth)
			if err != nil {
				return nil, err
			}
			sub, err := parseGroup(gp, k, v, depth+1)
			if err != nil {
				return nil, fmt.Errorf("$%s: %w", it[1:], err)
			}
			k.sub(g, neg, sub)
		case strings.HasPrefix(it, "["):
			sub, err := parseGroup(gp, k, it, depth+1)
			if err != nil {
				return nil, err
			}
			k.sub(g, neg, sub)
		default:
			if err := k.leaf(g, neg, it); err != nil {
				return nil, err
			}
		}
	}
	return g, nil
}

var addrKind = groupKind[addrGroup]{
	name:  "address",
	empty: func() *addrGroup { return &addrGroup{} },
	any:   func() *addrGroup { return &addrGroup{any: true} },
	sub:   func(g *addrGroup, neg bool, sub *addrGroup) { g.items = append(g.items, addrItem{neg: neg, sub: sub}) },
	leaf: func(g *addrGroup, neg bool, it string) error {
		p, err := parsePrefix(it)
		if err != nil {
			return err
		}
		g.items = append(g.items, addrItem{neg: neg, prefix: p})
		return nil
	},
}

var portKind = groupKind[portGroup]{
	name:  "port",
	empty: func() *portGroup { return &portGroup{} },
	any:   func() *portGroup { return &portGroup{any: true} },
	sub:   func(g *portGroup, neg bool, sub *portGroup) { g.items = append(g.items, portItem{neg: neg, sub: sub}) },
	leaf: func(g *portGroup, neg bool, it string) error {
		lo, hi, err := parsePortRange(it)
		if err != nil {
			return err
		}
		g.items = append(g.items, portItem{neg: neg, lo: lo, hi: hi})
		return nil
	},
}

func (gp *groupParser) addr(s string, depth int) (*addrGroup, error) {
	return parseGroup(gp, addrKind, s, depth)
}

func (gp *groupParser) port(s string, depth int) (*portGroup, error) {
	return parseGroup(gp, portKind, s, depth)
}

// parsePrefix parses an address or a prefix ("10.0.0.0/8", "1.2.3.4",
// "2001:db8::/32", "10.0.0.0/255.0.0.0").
func parsePrefix(s string) (netip.Prefix, error) {
	if i := strings.IndexByte(s, '/'); i >= 0 {
		a, err := netip.ParseAddr(s[:i])
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("address %q: %w", s, err)
		}
		bits, err := strconv.Atoi(s[i+1:])
		if err != nil {
			m, merr := netip.ParseAddr(s[i+1:])
			if merr != nil || !m.Is4() || !a.Is4() {
				return netip.Prefix{}, fmt.Errorf("address %q: bad prefix length", s)
			}
			mb := m.As4()
			v := uint32(mb[0])<<24 | uint32(mb[1])<<16 | uint32(mb[2])<<8 | uint32(mb[3])
			bits = 0
			for v&0x80000000 != 0 {
				bits++
				v <<= 1
			}
			if v != 0 {
				return netip.Prefix{}, fmt.Errorf("address %q: non-contiguous netmask", s)
			}
		}
		p, err := a.Prefix(bits)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("address %q: %w", s, err)
		}
		return p, nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("address %q: %w", s, err)
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// parsePortRange parses "80", "1024:", ":1023" or "1000:2000".
func parsePortRange(s string) (lo, hi uint16, err error) {
	num := func(t string, def uint16) (uint16, error) {
		t = strings.TrimSpace(t)
		if t == "" {
			return def, nil
		}
		n, err := strconv.ParseUint(t, 10, 16)
		if err != nil {
			return 0, fmt.Errorf("port %q: not a number 0-65535", s)
		}
		return uint16(n), nil
	}
	if i := strings.IndexByte(s, ':'); i >= 0 {
		if lo, err = num(s[:i], 0); err != nil {
			return
		}
		if hi, err = num(s[i+1:], 65535); err != nil {
			return
		}
		if lo > hi {
			return 0, 0, fmt.Errorf("port range %q: low above high", s)
		}
		return lo, hi, nil
	}
	if strings.TrimSpace(s) == "" {
		return 0, 0, fmt.Errorf("empty port")
	}
	lo, err = num(s, 0)
	return lo, lo, err
}
