package store

import (
	"context"
	"net/netip"

	"github.com/honeyscope/honeyscope/internal/session"
)

// SessionBatch is what a honeypot commits once per commit interval, or what
// one Cowrie log file contributes.
type SessionBatch struct {
	// ID identifies the batch: a commit that fails after writing may be
	// retried with the same ID and is then not applied twice.
	ID string
	// Sessions are upserted by Session.ID: a session committed while open
	// and again when finished is one session, its lists replaced.
	Sessions []session.Session
	// Hits, when not nil, is the intrusion counts (class intrusion, one per
	// intrusion session, per day × source × port) of the sessions this batch
	// finishes, written in the same transaction. Its Ingest names the batch
	// (Path "honeypot:SENSOR" or the Cowrie log's path, Hash the batch or
	// file identity) so sensor coverage and duplicate detection work as
	// for captures.
	Hits *Batch
}

// SessionQuery selects sessions.
type SessionQuery struct {
	From, To   string // inclusive days of the session start, YYYY-MM-DD ("" = open)
	Sensors    []string
	Services   []string
	Src        netip.Addr // zero: any
	ID         string     // one session
	LoggedIn   bool       // only sessions with a successful login
	Intrusions bool       // only intrusions (login + at least one command)
	SHA256     string     // only sessions that produced this file
	Limit      int        // 0 = 1000; newest first
	Offset     int

	// Username keeps the sessions with a login attempt by this user name
	// (exact, "" = any).
	Username string
	// Contains keeps the sessions with a command, an HTTP request target
	// or a URL containing this text (case-sensitive, "" = any).
	Contains string
}

// SampleQuery selects samples.
type SampleQuery struct {
	From, To string // inclusive days of last seen
	SHA256   string // one sample (a unique prefix of at least 8 hex digits)
	Src      netip.Addr
	Limit    int // 0 = 1000; most recently seen first
	Offset   int
}

// SessionStore is what the honeypot and the session commands need of a store.
type SessionStore interface {
	// CommitSessions writes b in one transaction.
	CommitSessions(ctx context.Context, b SessionBatch) error
	// Sessions returns the sessions q selects, with their lists.
	Sessions(ctx context.Context, q SessionQuery) ([]session.Session, error)
	// Samples returns the samples q selects (Count: sessions that produced them).
	Samples(ctx context.Context, q SampleQuery) ([]session.Sample, error)
}
