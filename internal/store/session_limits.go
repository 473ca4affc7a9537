package store

import (
	"fmt"
	"strings"
)

// Limits of the session, sample and fetch reads, the same in every store.
const (
	// DefaultSessionLimit is the rows a read returns when its query says
	// no limit.
	DefaultSessionLimit = 1000
	// MaxSessionLimit is the most rows one read returns.
	MaxSessionLimit = 10000
	// MaxListRows bounds each list of a session read back (the recorder
	// bounds them far lower; a store written otherwise may not).
	MaxListRows = 10000
)

// SessionLimit returns the rows a read of limit (0: DefaultSessionLimit)
// from offset may return, at most MaxSessionLimit.
func SessionLimit(limit, offset int) (int, error) {
	if limit < 0 || offset < 0 {
		return 0, fmt.Errorf("limit %d, offset %d: want 0 or more", limit, offset)
	}
	if limit == 0 {
		return DefaultSessionLimit, nil
	}
	return min(limit, MaxSessionLimit), nil
}

// HashPrefix checks a SHA-256 or a prefix of one of at least 8 hex digits
// (surrounding space aside) and returns it in lower case.
func HashPrefix(s string) (string, error) {
	h := strings.ToLower(strings.TrimSpace(s))
	if len(h) < 8 || len(h) > 64 {
		return "", fmt.Errorf("sha256 %q: want 8 to 64 hex digits", s)
	}
	for i := 0; i < len(h); i++ {
		if c := h[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return "", fmt.Errorf("sha256 %q: want 8 to 64 hex digits", s)
		}
	}
	return h, nil
}

// MaxIDLen bounds a session or batch id (session ids are 16 hex digits,
// Cowrie's 12; a batch id names a sensor's commit or a log file).
const MaxIDLen = 256

// Check refuses a batch the stores cannot key: an ID, or a session's ID,
// empty or over MaxIDLen bytes.
func (b *SessionBatch) Check() error {
	if b.ID == "" || len(b.ID) > MaxIDLen {
		return fmt.Errorf("batch id of %d bytes (want 1 to %d)", len(b.ID), MaxIDLen)
	}
	for i := range b.Sessions {
		if id := b.Sessions[i].ID; id == "" || len(id) > MaxIDLen {
			return fmt.Errorf("session %d: id of %d bytes (want 1 to %d)", i, len(id), MaxIDLen)
		}
	}
	return nil
}
