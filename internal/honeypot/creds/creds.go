// Package creds decides which login attempts succeed on the honeypot's
// telnet and SSH front ends: a fixed list, every attempt, any attempt after
// N failures, or the leaked Mirai bot's credential table.
package creds

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/honeyscope/honeyscope/internal/config"
	"github.com/honeyscope/honeyscope/internal/session"
)

// Credentials is a login policy. Check reports whether the attempt-th login
// attempt of the session (1 for the first) with user and pass succeeds. sess
// is the session's header (source, service, port); policies must not keep it.
// Implementations are safe for concurrent use.
type Credentials interface {
	Check(sess *session.Session, attempt int, user, pass string) bool
}

// Pair is one user name and password; "*" in either matches anything.
type Pair struct {
	User, Password string
}

func (p Pair) match(user, pass string) bool {
	return (p.User == "*" || p.User == user) && (p.Password == "*" || p.Password == pass)
}

// List accepts only the listed pairs.
type List []Pair

// Check reports whether user and pass match a pair of the list.
func (l List) Check(_ *session.Session, _ int, user, pass string) bool {
	for _, p := range l {
		if p.match(user, pass) {
			return true
		}
	}
	return false
}

// Any accepts every attempt.
type Any struct{}

// Check returns true.
func (Any) Check(*session.Session, int, string, string) bool { return true }

// After accepts any attempt once N attempts of the session have failed
// (N = 0 accepts the first), and the listed pairs at once.
type After struct {
	N      int
	Accept List
}

// Check reports whether attempt is past N or the pair is listed.
func (a After) Check(s *session.Session, attempt int, user, pass string) bool {
	return attempt > a.N || a.Accept.Check(s, attempt, user, pass)
}

// Mirai accepts the pairs of the Mirai bot's scanner table (or another
// table read with ReadTable) and the listed pairs.
type Mirai struct {
	Table  map[Pair]bool
	Accept List
}

// NewMirai returns the policy accepting the built-in Mirai table and accept.
func NewMirai(accept List) *Mirai {
	return &Mirai{Table: tableSet(MiraiTable), Accept: accept}
}

// Check reports whether the pair is in the table or listed.
func (m *Mirai) Check(s *session.Session, attempt int, user, pass string) bool {
	return m.Table[Pair{user, pass}] || m.Accept.Check(s, attempt, user, pass)
}

func tableSet(t []Pair) map[Pair]bool {
	m := make(map[Pair]bool, len(t))
	for _, p := range t {
		m[p] = true
	}
	return m
}

// ParsePair parses "user:password" (the password may contain ':').
func ParsePair(s string) (Pair, error) {
	u, p, ok := strings.Cut(s, ":")
	if !ok {
		return Pair{}, fmt.Errorf("credential %q: want user:password", s)
	}
	return Pair{u, p}, nil
}

// maxTable bounds a credential table file.
const (
	maxTableBytes = 1 << 20
	maxTableLines = 100000
)

// ReadTable reads a credential table: one pair per line as "user TAB
// password", or "line TAB user TAB password [TAB ...]" (the decoded
// table's columns: a leading number, then user and password); blank lines
// and lines starting with '#' are skipped.
func ReadTable(r io.Reader) ([]Pair, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxTableBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxTableBytes {
		return nil, fmt.Errorf("credential table larger than %d bytes", maxTableBytes)
	}
	var out []Pair
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), maxTableBytes)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimRight(sc.Text(), "\r")
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		switch {
		case len(f) == 2:
			out = append(out, Pair{f[0], f[1]})
		case len(f) >= 3 && isDigits(f[0]):
			out = append(out, Pair{f[1], f[2]})
		default:
			return nil, fmt.Errorf("credential table line %d: want user<TAB>password", n)
		}
		if len(out) > maxTableLines {
			return nil, fmt.Errorf("credential table: more than %d pairs", maxTableLines)
		}
	}
	return out, sc.Err()
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// DefaultAfterTries is the "after" policy's N when none is configured.
const DefaultAfterTries = 2

// FromConfig builds the policy a configuration section describes (Policy ""
// is "after").
func FromConfig(c config.Credentials) (Credentials, error) {
	var accept List
	for _, s := range c.Accept {
		p, err := ParsePair(s)
		if err != nil {
			return nil, fmt.Errorf("credentials.accept: %w", err)
		}
		accept = append(accept, p)
	}
	switch c.Policy {
	case "list":
		if len(accept) == 0 {
			return nil, errors.New("credentials.policy list: credentials.accept is empty (no login would succeed)")
		}
		return accept, nil
	case "any":
		return Any{}, nil
	case "", "after":
		n := c.AfterTries
		if n <= 0 {
			n = DefaultAfterTries
		}
		return After{N: n, Accept: accept}, nil
	case "mirai":
		if c.MiraiTable == "" {
			return NewMirai(accept), nil
		}
		f, err := os.Open(c.MiraiTable)
		if err != nil {
			return nil, fmt.Errorf("credentials.mirai_table: %w", err)
		}
		defer f.Close()
		t, err := ReadTable(f)
		if err != nil {
			return nil, fmt.Errorf("credentials.mirai_table %s: %w", c.MiraiTable, err)
		}
		return &Mirai{Table: tableSet(t), Accept: accept}, nil
	}
	return nil, fmt.Errorf("credentials.policy %q: want list, any, after or mirai", c.Policy)
}
