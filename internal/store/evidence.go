package store

import (
	"context"
	"errors"
	"time"

	"github.com/honeyscope/honeyscope/internal/civil"
	"github.com/honeyscope/honeyscope/internal/evidence"
	"github.com/honeyscope/honeyscope/internal/session"
)

// EvidenceTx is a capture's transaction that can keep the capture's
// evidence (package evidence) with its rows: replaced and removed with
// them. duckstore's Tx implements it; a Tx without it keeps none.
type EvidenceTx interface {
	// AppendEvidence writes the evidence of the capture's packets, all of
	// sensor. Payloads the store holds already are not stored again.
	AppendEvidence(ctx context.Context, p *evidence.Part, sensor string) error
}

// BuiltinRuleSet stands for the built-in rules alone where a rule-set id is
// given or returned (an ingest records no rule set for them); it is named
// "builtin" where a rule set name is asked for. Stored sets have ids from 1.
const BuiltinRuleSet int32 = -1

// EvidenceQuery selects stored evidence: the days [From, To] (zero: open)
// of one sensor ("" for every sensor).
type EvidenceQuery struct {
	From, To civil.Day
	Sensor   string
}

// EvidenceDay is the evidence of one sensor on one day.
type EvidenceDay struct {
	Day      civil.Day
	Sensor   string
	Packets  uint64 // payload packets kept
	Payloads int    // distinct payloads among them
}

// EvidencePayload is one stored payload handed to a backfill's classifier.
type EvidencePayload struct {
	Hash []byte // SHA-256 of the whole payload
	Len  int    // the whole payload's length
	Data []byte // its first bytes as kept (Len when not cut)
}

// Classifiers are what a backfill runs over the stored evidence.
type Classifiers struct {
	// Payload returns the exploit pattern of a stored payload ("" for
	// none).
	Payload func(EvidencePayload) string
	// Session, when set, classifies a honeypot session's commands and
	// HTTP requests: one pattern per command and one per request, in the
	// session's order ("" for none). The session holds what the store
	// keeps of it (addresses, ports, start, sensor, commands, requests),
	// not its logins, URLs or files. Nil leaves the sessions out.
	Session func(s *session.Session) (commands, requests []string)
}

// BackfillResult says what a backfill wrote.
type BackfillResult struct {
	Days     int    // (day, sensor) pairs re-evaluated (evidence or sessions)
	Payloads int    // distinct payloads classified
	Matched  int    // of them, matched by a rule
	Packets  uint64 // evidence packets over those days
	Exploits uint64 // of them (and of the session messages), exploit counts under the rule set
	Rows     int64  // exploit_counts rows written
	// Sessions is the honeypot sessions re-evaluated (their start on
	// those days), Messages their commands and requests, SessionHits
	// those a rule matched (counted in Exploits, one per message).
	Sessions    int
	Messages    int
	SessionHits uint64
	// Dropped is the payload packets of the ingests of those days that
	// their evidence did not keep (its bounds); Uncovered the ingests with
	// data on those days that kept no evidence at all (ingested before the
	// evidence store, with --no-evidence, or through the store's owner).
	// Counts under the rule set miss their packets.
	Dropped   uint64
	Uncovered int
}

// RuleSetRun is one (sensor, day) whose exploit counts exist under a rule
// set, and how: classified while ingested, or re-evaluated by a backfill.
type RuleSetRun struct {
	Day      civil.Day
	Sensor   string
	RuleSet  int32 // BuiltinRuleSet for the built-in rules alone
	Backfill bool  // by `rules backfill` (At says when), else by ingest
	At       time.Time
}

// EvidenceStore reads stored evidence and keeps exploit counts under rule
// sets other than the one each capture was classified with.
type EvidenceStore interface {
	// EvidenceDays lists the days with evidence in q, by day and sensor.
	EvidenceDays(ctx context.Context, q EvidenceQuery) ([]EvidenceDay, error)
	// Backfill classifies every distinct payload of the evidence in q
	// (c.Payload), and, when c.Session is set, the commands and requests
	// of the honeypot sessions that started on those days, and replaces
	// the exploit counts stored under ruleSet for those days and sensors
	// with the result, in one transaction (a second backfill replaces,
	// never adds). A payload counts its packets; a session's command or
	// request one per message, under the session's source, TCP and port.
	// progress, when set, is told how many payloads of the total are
	// classified so far.
	Backfill(ctx context.Context, ruleSet int32, q EvidenceQuery, c Classifiers, progress func(done, total int)) (BackfillResult, error)
	// RuleSetRuns lists, for the days in q, which rule sets have exploit
	// counts for each sensor and day (from ingests and backfills), by day,
	// sensor and rule set.
	RuleSetRuns(ctx context.Context, q EvidenceQuery) ([]RuleSetRun, error)
}

// ErrNoEvidence is returned by a backfill over days without evidence.
var ErrNoEvidence = errors.New("no evidence stored for those days")

// ErrNoEvidenceStore is returned for a store that keeps no evidence.
var ErrNoEvidenceStore = errors.New("this store keeps no evidence")

// EvidenceOf returns st as an EvidenceStore, or an error saying it keeps
// none.
func EvidenceOf(st any) (EvidenceStore, error) {
	if e, ok := st.(EvidenceStore); ok {
		return e, nil
	}
	return nil, ErrNoEvidenceStore
}
